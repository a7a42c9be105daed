"""The ``asset-directory`` command: a Flask group. Each package adds its own commands (``register``); the root
holds ``init``, ``demo`` and the official data files."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from werkzeug.serving import run_simple

from geo.catalogue.download import fetch
from geo.catalogue.file_status import status as file_status
from geo.catalogue.official_files import CATALOGUE
from geo.errors import DataFileError

from . import create_app
from .accounts import cli as accounts_cli
from .backlog import cli as backlog_cli
from .core.console import fail
from .core.db import db
from .demo.build import DemoError, build_demo
from .gaps import cli as gaps_cli
from .groups import cli as groups_cli
from .imports import cli as imports_cli
from .jobs import cli as jobs_cli
from .listings import cli as listings_cli
from .ops import cli as ops_cli
from .ops.database import init_database, safe_url


@click.group(cls=FlaskGroup, create_app=create_app)
def cli() -> None:
    """Community asset directory: run, initialise, demo, manage users and official data."""


@cli.command("init")
@with_appcontext
def init_command() -> None:
    """Create or migrate the database to head (safe to run again)."""
    added = init_database()
    click.echo(f"Database ready at {safe_url()}; {added} categories added.")


@cli.command("demo")
@click.option("--no-serve", is_flag=True, help="Build the demo database, then stop.")
@click.option("--seed", default=2026, show_default=True, help="Seed for the demo generator.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@with_appcontext
def demo_command(no_serve: bool, seed: int, host: str, port: int) -> None:
    """Build the demo directory for Blackpool and Burnley, Pendle and Rossendale, then serve it."""
    init_database()
    try:
        report = build_demo(db.session, seed=seed, data_dir=current_app.config["DATA_DIR"], echo=click.echo)
    except DemoError as exc:
        fail(str(exc))
    click.echo(report)
    if not no_serve:
        click.echo(f"Serving the demo at http://{host}:{port}/  (Ctrl+C to stop)")
        # Flask refuses app.run() inside its own CLI, so serve with Werkzeug directly.
        run_simple(host, port, current_app._get_current_object(), threaded=True)  # type: ignore[attr-defined]


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
    known = {entry.name for entry in CATALOGUE}
    unknown = [name for name in names if name not in known]
    if unknown:
        fail(f"Unknown file name(s): {', '.join(unknown)}. Known: {', '.join(sorted(known))}.")
    wanted = list(names) or [e.name for e in CATALOGUE if e.download_url or mirror]
    try:
        paths = fetch(wanted, _cache_dir(), progress=not quiet, base_url=mirror)
    except DataFileError as exc:
        fail(str(exc))
    for path in paths:
        click.echo(f"ready: {path}")


@data_group.command("status")
@with_appcontext
def data_status() -> None:
    """Which official files are present (DIRECTORY_DATA_DIR and the cache) and recognised."""
    folders = [Path(p) for p in (current_app.config["DATA_DIR"], _cache_dir()) if p]
    click.echo("Looking in: " + ", ".join(str(f) for f in folders))
    for status in file_status([f for f in folders if f.exists()]):
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


# The order commands are added in does not matter, except that ``geo`` exists before packages add to it.
for package_cli in (accounts_cli, listings_cli, gaps_cli, backlog_cli, groups_cli, imports_cli, jobs_cli, ops_cli):
    package_cli.register(cli)

if __name__ == "__main__":
    cli()
