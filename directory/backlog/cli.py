"""Commands for: Gap flags and the community-development backlog (issue 5)."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext
from tqdm import tqdm

from ..core.db import db
from .msoa_lookup import load_msoa_lookup


def register(cli: click.Group) -> None:
    """Add this feature's commands to the asset-directory group."""

    @cli.group("backlog")
    def backlog_group() -> None:
        """Gap flags and the community-development backlog."""

    @backlog_group.command("load-msoa")
    @click.argument("path", type=click.Path(dir_okay=False))
    @click.option(
        "--edition",
        type=click.Choice(["2011", "2021"]),
        default=None,
        help="Which LSOA/MSOA columns to read when the file has both (default: 2021 if present, else 2011).",
    )
    @click.option("--quiet", is_flag=True, help="No progress bar.")
    @with_appcontext
    def load_msoa(path: str, edition: str | None, quiet: bool) -> None:
        """Load the LSOA -> MSOA lookup from an official postcode file, so flags cluster by MSOA."""
        with tqdm(unit=" rows", disable=quiet, file=sys.stderr) as bar:
            try:
                report = load_msoa_lookup(db.session, path, edition=edition, progress=bar.update)
            except (ValueError, OSError) as exc:
                db.session.rollback()
                click.secho(f"Nothing loaded: {exc}", fg="red", err=True)
                sys.exit(1)
            db.session.commit()
        click.echo(str(report))
