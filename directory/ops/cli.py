"""Commands to run the product in production: ``serve`` (gunicorn), ``backup`` and ``restore``."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from ..core.console import fail
from ..core.db import db
from .backup import BackupError, backup, restore
from .database import at_newest_schema, prove_restored, safe_url
from .serve import run


def register(cli: click.Group) -> None:
    """Add ``serve``, ``backup`` and ``restore`` to the asset-directory group."""

    @cli.command("serve")
    @click.option(
        "--bind", default="127.0.0.1:8000", show_default=True, help="Address and port (behind a reverse proxy)."
    )
    @click.option("--workers", default=2, show_default=True, help="gunicorn worker processes.")
    @click.option(
        "--threads", default=1, show_default=True,
        help="Threads per worker. 1 (gunicorn's sync worker) suits a buffering reverse proxy: requests are CPU-bound, "
        "and threads sharing one interpreter lock only stretch the slowest responses.",
    )  # fmt: skip
    @click.option("--timeout", default=60, show_default=True, help="Seconds before a stuck worker is restarted.")
    @click.option("--insecure-cookies", is_flag=True, help="Allow cookies over plain HTTP (local trials only).")
    @with_appcontext
    def serve_command(bind: str, workers: int, threads: int, timeout: int, insecure_cookies: bool) -> None:
        """Run the production web server (gunicorn); run `asset-directory init` first."""
        if not at_newest_schema():
            fail("The database is not at the newest schema: run `asset-directory init` first, then serve.")

        click.echo(f"Serving on http://{bind}/ with {workers} workers (Ctrl+C to stop)")
        run(bind=bind, workers=workers, threads=threads, timeout=timeout, secure_cookies=not insecure_cookies)

    @cli.command("backup")
    @click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
    @with_appcontext
    def backup_command(file: Path) -> None:
        """Write a consistent backup of the database (SQLite online backup, or pg_dump)."""

        try:
            written = backup(db.engine.url.render_as_string(hide_password=False), file)
        except BackupError as exc:
            fail(str(exc))
        click.echo(f"Backup written to {written} ({written.stat().st_size:,} bytes).")

    @cli.command("restore")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
    @with_appcontext
    def restore_command(file: Path, yes: bool) -> None:
        """Replace the database with a backup (a safety backup of the current one is taken first)."""

        if not yes and not click.confirm(f"Replace the database {safe_url()} with {file}?"):
            fail("Nothing was restored.")
        db.session.remove()
        db.engine.dispose()
        try:
            safety = restore(
                db.engine.url.render_as_string(hide_password=False), file, Path(current_app.instance_path),
                prove=lambda: prove_restored(file),
            )  # fmt: skip
        except BackupError as exc:
            fail(str(exc))
        click.echo(f"Restored from {file}. The database as it was before is kept in {safety}.")
