"""The gap imports on the real official files in DIRECTORY_DATA_DIR (skipped, with the reason, when it is unset)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
import shapely
from flask import Flask
from sqlalchemy import func, select

from directory.cli import cli
from directory.core.db import db
from directory.gaps.authorities import authority_rows
from directory.models import Deprivation, GapRun, GapScore, LadOutline, Lsoa
from geo import BRITISH_NATIONAL_GRID
from geo.readers.recognition import find_official_files

pytestmark = [pytest.mark.realdata, pytest.mark.both_backends]
BLACKPOOL = "E06000009"


@pytest.fixture(scope="module")
def real(app: Flask) -> dict[str, Any]:
    import os

    folder = os.environ.get("DIRECTORY_DATA_DIR")
    if not folder:
        pytest.skip("DIRECTORY_DATA_DIR is not set: the real official files are not available")
    files = [item.path for item in find_official_files(folder, "deprivation", lsoa_edition="2011")]
    boundaries = find_official_files(folder, "boundaries", lsoa_edition="2011")
    assert files and boundaries, f"no IoD2019 or LSOA 2011 boundary files in {folder}"
    runner = app.test_cli_runner()
    imd = runner.invoke(cli, ["geo", "import-imd", *map(str, files)])
    assert imd.exit_code == 0, imd.output
    bounds = runner.invoke(cli, ["geo", "import-boundaries", str(boundaries[0].path)])
    assert bounds.exit_code == 0, bounds.output
    computed = runner.invoke(cli, ["gaps", "compute"])
    assert computed.exit_code == 0, computed.output
    return {"folder": Path(folder), "imd": imd.output, "boundaries": bounds.output, "compute": computed.output}


def test_the_whole_of_england_deprivation_is_imported(real: dict[str, Any], session: Any) -> None:
    assert session.scalar(select(func.count()).select_from(Deprivation)) == 32_844
    assert "Imported 32,844 LSOAs of deprivation figures (LSOA 2011" in real["imd"]
    population = session.scalar(select(func.sum(Deprivation.population)).where(Deprivation.lad_code == BLACKPOOL))
    assert 130_000 < population < 150_000  # Blackpool, mid 2015, excluding prisoners


def test_blackpool_has_94_lsoas_some_in_the_most_deprived_decile(real: dict[str, Any], session: Any) -> None:
    blackpool = list(session.scalars(select(Deprivation).where(Deprivation.lad_code == BLACKPOOL)))
    assert len(blackpool) == 94
    assert sum(d.imd_decile == 1 for d in blackpool) > 30
    assert session.scalar(select(func.count()).where(Lsoa.lad_code == BLACKPOOL)) == 94


def test_the_lancashire_boundaries_join_every_lsoa_to_its_deprivation(real: dict[str, Any], session: Any) -> None:
    assert session.scalar(select(func.count()).select_from(Lsoa)) == 941
    assert "LSOA 2011: 941 with boundaries, 32,844 with deprivation, 941 with both" in real["boundaries"]
    run = session.scalars(select(GapRun)).one()
    assert (run.lsoas, run.matched, run.deprivation_basis) == (941, 941, "rank")
    assert session.scalar(select(func.count()).select_from(GapScore)) == 941 * 21


def test_each_authority_is_dissolved_from_its_lsoas_and_aggregated(
    real: dict[str, Any], app: Flask, session: Any
) -> None:
    outlines = {o.lad_code: o for o in session.scalars(select(LadOutline))}
    assert len(outlines) == 14 and outlines[BLACKPOOL].lsoas == 94
    area = gpd.GeoSeries([shapely.from_geojson(outlines[BLACKPOOL].geometry)], crs=4326).to_crs(BRITISH_NATIONAL_GRID)
    assert 30e6 < float(area.area.iloc[0]) < 40e6  # Blackpool is about 35 km2 of land
    rows = {row.code: row for row in authority_rows(session, app.config, sorted(outlines), "carers")}
    assert sum(row.lsoas for row in rows.values()) == 941 and rows[BLACKPOOL].most_deprived > 30
    assert rows[BLACKPOOL].weighted and 130_000 < (rows[BLACKPOOL].population or 0) < 150_000


def test_lsoa_2021_boundaries_are_not_joined_to_iod2019(real: dict[str, Any], app: Flask) -> None:
    found = find_official_files(real["folder"], "boundaries", lsoa_edition="2021")
    if not found:
        pytest.skip("no LSOA 2021 boundary file in DIRECTORY_DATA_DIR")
    result = app.test_cli_runner().invoke(cli, ["geo", "import-boundaries", str(found[0].path), "--area", BLACKPOOL])
    assert result.exit_code == 0, result.output
    assert "LSOA 2021: 94 with boundaries, 0 with deprivation, 0 with both" in result.output
    assert "does not join to LSOA 2021 boundaries" in result.output
    with app.app_context():
        db.session.remove()


def test_every_blackpool_area_is_named_by_its_real_postcode_sectors(
    real: dict[str, Any], app: Flask, session: Any, signed_in: Any
) -> None:
    """Issue 22 on the real files: the Lancashire postcodes (NSPL extract) name each of Blackpool's 94 LSOAs, and
    an area page and the gap table head each area by that name, never by its code."""
    import re

    from directory.listings.place_names import name_areas
    from tests.conftest import html

    postcodes = real["folder"] / "postcodes_lancashire_blackpool_blackburn.csv"
    runner = app.test_cli_runner()
    for command in (["geo", "import-postcodes", str(postcodes)], ["backlog", "load-msoa", "--quiet", str(postcodes)]):
        loaded = runner.invoke(cli, command)
        assert loaded.exit_code == 0, loaded.output
    codes = list(session.scalars(select(Lsoa.code).where(Lsoa.lad_code == BLACKPOOL)))
    named = name_areas(session, codes)
    headlines = [named[code].headline for code in codes]
    assert all(re.fullmatch(r"Blackpool, around FY\d \d(, FY\d \d)*( and FY\d \d)?", h) for h in headlines), headlines
    assert len(set(headlines)) > 40  # sectors tell most neighbourhoods apart; the second line does the rest
    staff = signed_in("community-development")
    page = html(staff.get(f"/gaps/areas/{codes[0]}"))
    assert page.find("h1").get_text() == named[codes[0]].headline
    assert page.select_one("p.score-words").get_text().startswith("Among the ")
    assert page.find("section", class_="area-map") is not None
    table = html(staff.get(f"/gaps/table?la={BLACKPOOL}"))
    assert not [a for a in table.select("table.gap-table tbody td a") if re.search(r"E0\d{7}", a.get_text())]
