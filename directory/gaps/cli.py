"""Commands for: Deprivation, boundaries and gap scores (issue 4)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from geo.readers.packaged_deprivation import read_packaged_deprivation

from ..core.db import db
from .area_data import import_boundaries, import_deprivation
from .compute import NothingToCompute, compute_gaps
from .lsoa_lookup import import_lsoa_lookup


def _fail(message: str) -> None:
    db.session.rollback()  # nothing of a refused import or computation is kept
    click.secho(message, fg="red", err=True)
    sys.exit(1)


def _progress(message: str) -> None:
    click.echo(message, err=True)


@click.command("import-imd")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--packaged", is_flag=True, help="Load the IoD2019 shipped in the package (all of England).")
@with_appcontext
def import_imd_command(files: tuple[Path, ...], packaged: bool) -> None:
    """Load English Indices of Deprivation files (IoD2019 Files 1/2/5/6/7 together, or IoD2025 File 7), or
    with --packaged the IoD2019 Files 1, 2 and 6 shipped in the package."""
    if bool(files) == packaged:
        _fail("Name the deprivation files to import, or give --packaged (not both).")
    try:
        frame = read_packaged_deprivation() if packaged else None
        report = import_deprivation(db.session, list(files), frame=frame, echo=_progress)
    except ValueError as exc:  # DataFileError is a ValueError: wrong headers, truncated, mixed releases
        _fail(f"Nothing was imported. {exc}")
    db.session.commit()
    click.echo(str(report))


@click.command("import-boundaries")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--area", "areas", multiple=True, help="Local authority code to keep (repeatable); default all.")
@with_appcontext
def import_boundaries_command(file: Path, areas: tuple[str, ...]) -> None:
    """Load ONS LSOA boundaries (GeoJSON, GeoPackage or shapefile), simplified for maps, with centroids."""
    try:
        report = import_boundaries(db.session, file, areas, echo=_progress)
    except ValueError as exc:
        _fail(f"Nothing was imported. {exc}")
    db.session.commit()
    click.echo(str(report))


@click.command("import-lsoa-lookup")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_lsoa_lookup_command(file: Path) -> None:
    """Load the ONS LSOA (2011) to LSOA (2021) lookup and carry deprivation across LSOA editions with it."""
    try:
        report = import_lsoa_lookup(db.session, file)
    except ValueError as exc:  # DataFileError: not the official lookup, or a bad row
        _fail(f"Nothing was imported. {exc}")
    db.session.commit()
    click.echo(str(report))


@click.group("gaps")
def gaps_group() -> None:
    """Provision and gap scores."""


@gaps_group.command("compute")
@with_appcontext
def gaps_compute_command() -> None:
    """Recompute provision and gap scores for every LSOA x category from live, current services and demand."""
    try:
        report = compute_gaps(db.session, current_app.config, echo=_progress)
    except NothingToCompute as exc:
        _fail(str(exc))
    db.session.commit()
    click.echo(str(report))


def register(cli: click.Group) -> None:
    """Add this feature's commands to the asset-directory group."""
    geo = cli.commands["geo"]
    assert isinstance(geo, click.Group)
    geo.add_command(import_imd_command)
    geo.add_command(import_boundaries_command)
    geo.add_command(import_lsoa_lookup_command)
    cli.add_command(gaps_group)
