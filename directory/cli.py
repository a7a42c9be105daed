"""The ``asset-directory`` command: a Flask group with the product's own commands."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from flask_migrate import upgrade

from . import create_app
from .db import db
from .taxonomy import ensure_categories


@click.group(cls=FlaskGroup, create_app=create_app)
def cli() -> None:
    """Community asset directory: run, initialise, demo, manage users and official data."""


def _fail(message: str) -> None:
    click.secho(message, fg="red", err=True)
    sys.exit(1)


def init_database() -> int:
    """Create or migrate the database to the newest schema, then add missing categories."""
    # "heads": each feature's migrations may branch from the shared base; all are applied.
    upgrade(directory=str(Path(__file__).parent / "migrations"), revision="heads")
    from .synonyms import ensure_synonyms

    ensure_synonyms(db.session)
    return ensure_categories(db.session)


@cli.command("init")
@with_appcontext
def init_command() -> None:
    """Create or migrate the database to head (safe to run again)."""
    added = init_database()
    click.echo(f"Database ready at {_safe_url()}; {added} categories added.")


def _safe_url() -> str:
    return db.engine.url.render_as_string(hide_password=True)


@cli.command("demo")
@click.option("--no-serve", is_flag=True, help="Build the demo database, then stop.")
@click.option("--seed", default=2026, show_default=True, help="Seed for the demo generator.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@with_appcontext
def demo_command(no_serve: bool, seed: int, host: str, port: int) -> None:
    """Build the demo directory for Blackpool and Burnley, Pendle and Rossendale, then serve it."""
    from .demo import DemoError, build_demo

    init_database()
    try:
        report = build_demo(db.session, seed=seed, data_dir=current_app.config["DATA_DIR"], echo=click.echo)
    except DemoError as exc:
        _fail(str(exc))
    click.echo(report)
    if not no_serve:
        click.echo(f"Serving the demo at http://{host}:{port}/  (Ctrl+C to stop)")
        # Flask refuses app.run() inside its own CLI, so serve with Werkzeug directly.
        from werkzeug.serving import run_simple

        run_simple(host, port, current_app._get_current_object(), threaded=True)  # type: ignore[attr-defined]


@cli.command("serve")
@click.option("--bind", default="127.0.0.1:8000", show_default=True, help="Address and port (behind a reverse proxy).")
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
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    heads = set(ScriptDirectory(str(Path(__file__).parent / "migrations")).get_heads())
    with db.engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    if current != heads:
        _fail("The database is not at the newest schema: run `asset-directory init` first, then serve.")
    from .serve import run

    click.echo(f"Serving on http://{bind}/ with {workers} workers (Ctrl+C to stop)")
    run(bind=bind, workers=workers, threads=threads, timeout=timeout, secure_cookies=not insecure_cookies)


@cli.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(file: Path) -> None:
    """Write a consistent backup of the database (SQLite online backup, or pg_dump)."""
    from .backup import BackupError, backup

    try:
        written = backup(db.engine.url.render_as_string(hide_password=False), file)
    except BackupError as exc:
        _fail(str(exc))
    click.echo(f"Backup written to {written} ({written.stat().st_size:,} bytes).")


@cli.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(file: Path, yes: bool) -> None:
    """Replace the database with a backup (a safety backup of the current one is taken first)."""
    from .backup import BackupError, restore

    if not yes and not click.confirm(f"Replace the database {_safe_url()} with {file}?"):
        _fail("Nothing was restored.")
    db.session.remove()
    db.engine.dispose()
    try:
        safety = restore(db.engine.url.render_as_string(hide_password=False), file, Path(current_app.instance_path))
    except BackupError as exc:
        _fail(str(exc))
    click.echo(f"Restored from {file}. The database as it was before is kept in {safety}.")


@cli.group("users")
def users_group() -> None:
    """Staff accounts."""


@users_group.command("create")
@click.option("--email", required=True, help="Sign-in email address.")
@click.option(
    "--role", required=True, type=click.Choice(["admin", "link-worker", "community-development", "group-editor"])
)
@click.option("--organisation", "organisation", type=int, default=None, help="Organisation id (group editors).")
@click.option("--team", default="", help="Team name, kept with anonymous demand counts (e.g. a PCN).")
@click.option(
    "--area", "area", multiple=True, help="Local authority code the gap map opens on (repeatable, e.g. E06000009)."
)
@click.option("--password", default=None, help="Prompted for (twice) when not given.")
@with_appcontext
def users_create(
    email: str, role: str, organisation: int | None, team: str, area: tuple[str, ...], password: str | None
) -> None:
    """Add a staff account with a role."""
    from .accounts import create_user
    from .validation import ValidationFailed

    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(
            db.session, email_address=email, role=role, password=password, organization_id=organisation,
            team=team, area=area,
        )  # fmt: skip
    except ValidationFailed as exc:
        db.session.rollback()
        _fail("Not created: " + "; ".join(f"{k}: {m}" for k, m in exc.errors.items()))
    click.echo(f"Created {user.role} account for {user.email}" + (f" (area {user.area})." if user.area else "."))


@cli.group("data")
def data_group() -> None:
    """Official open data files (deprivation, postcodes, boundaries)."""


def _cache_dir() -> Path:
    return Path(current_app.instance_path) / "data"


@data_group.command("fetch")
@click.argument("names", nargs=-1)
@click.option("--mirror", default=None, help="Base URL of a mirror holding the same file names.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@with_appcontext
def data_fetch(names: tuple[str, ...], mirror: str | None, quiet: bool) -> None:
    """Download official files into the instance data cache (checksums checked when known)."""
    from geo import catalogue
    from geo.errors import DataFileError

    known = {entry.name for entry in catalogue.CATALOGUE}
    unknown = [name for name in names if name not in known]
    if unknown:
        _fail(f"Unknown file name(s): {', '.join(unknown)}. Known: {', '.join(sorted(known))}.")
    wanted = list(names) or [e.name for e in catalogue.CATALOGUE if e.download_url or mirror]
    try:
        paths = catalogue.fetch(wanted, _cache_dir(), progress=not quiet, base_url=mirror)
    except DataFileError as exc:
        _fail(str(exc))
    for path in paths:
        click.echo(f"ready: {path}")


@data_group.command("status")
@with_appcontext
def data_status() -> None:
    """Which official files are present (DIRECTORY_DATA_DIR and the cache) and recognised."""
    from geo import catalogue

    folders = [Path(p) for p in (current_app.config["DATA_DIR"], _cache_dir()) if p]
    click.echo("Looking in: " + ", ".join(str(f) for f in folders))
    for status in catalogue.status([f for f in folders if f.exists()]):
        if status.path is None:
            click.echo(f"{status.kind}: missing. {status.message}")
            continue
        what = status.source_kind or "not recognised"
        size = f"{status.size_bytes / 1e6:.1f} MB" if status.size_bytes else "size unknown"
        rows = f", about {status.rows_estimate:,} rows" if status.rows_estimate else ""
        click.echo(f"{status.kind}: {status.path} ({what}; {size}{rows}) {status.message}".rstrip())


@cli.group("geo")
def geo_group() -> None:
    """Official geography: postcodes (and, to come, deprivation and boundaries)."""


@geo_group.command("import-postcodes")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--area", "areas", multiple=True, help="Local authority code to keep (repeatable); default all.")
@click.option("--lsoa-edition", type=click.Choice(["2011", "2021"]), default="2011", show_default=True,
              help="Which LSOA codes to keep where the file has both (IoD2019 uses 2011).")  # fmt: skip
@with_appcontext
def import_postcodes_command(file: Path, areas: tuple[str, ...], lsoa_edition: str) -> None:
    """Load an ONS postcode directory (ONSPD, NSPL, lookups) or Code-Point Open into the postcode table."""
    from tqdm import tqdm

    from geo.errors import DataFileError

    from .postcodes import import_postcodes

    click.echo(f"Reading {file} ...")
    try:
        with tqdm(unit=" postcodes", desc="Storing", file=sys.stderr, disable=None) as bar:
            report = import_postcodes(db.session, file, areas=areas, lsoa_edition=lsoa_edition,  # type: ignore[arg-type]
                                      progress=bar.update)  # fmt: skip
    except DataFileError as exc:
        _fail(f"Nothing was imported. {exc}")
    click.echo(str(report))


def _register_features() -> None:
    from . import cli_backlog, cli_gaps, cli_groups, cli_imports

    for module in (cli_backlog, cli_gaps, cli_groups, cli_imports):
        module.register(cli)


_register_features()

if __name__ == "__main__":
    cli()
