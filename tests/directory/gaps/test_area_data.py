"""Deprivation and boundary imports (``geo import-imd``, ``geo import-boundaries``), on a world worked out by hand."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from directory.cli import cli
from directory.core.db import db
from directory.gaps.area_data import import_deprivation
from directory.models import Deprivation, GapScore, Lsoa
from tests.conftest import built_app
from tests.directory.gaps import gap_world
from tests.directory.gaps.gap_world import CODES, NAMES
from tests.geo.conftest import FILE1_HEADERS, csv_bytes

pytestmark = pytest.mark.both_backends


@pytest.fixture(scope="module")
def world(app: Flask, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return gap_world.load_with_commands(app, tmp_path_factory.mktemp("gap-files"))


def test_import_imd_stores_ranks_deciles_population_and_reports_coverage(world: dict[str, Any], session: Any) -> None:
    rows = {d.lsoa_code: d for d in session.scalars(select(Deprivation))}
    assert set(rows) == set(CODES)
    a = rows[CODES[0]]
    assert (a.imd_rank, a.imd_decile, a.population, a.edition, a.lad_code) == (100, 1, 1000, "2011", "E06000009")
    assert a.source_kind == "IoD2019 File 1 + IoD2019 File 6" and a.has_scores is False
    assert "Imported 3 LSOAs of deprivation figures (LSOA 2011" in world["imd_output"]
    assert "no scores" in world["imd_output"]
    assert "LSOA 2011: 3 with boundaries, 3 with deprivation, 3 with both" in world["boundaries_output"]


def test_import_boundaries_stores_simplified_wgs84_outlines_and_bng_centroids(
    world: dict[str, Any], session: Any
) -> None:
    lsoas = {row.code: row for row in session.scalars(select(Lsoa))}
    assert set(lsoas) == set(CODES)
    for index, code in enumerate(CODES):
        x, y = gap_world.centre(index)
        assert lsoas[code].x == pytest.approx(x, abs=0.05) and lsoas[code].y == pytest.approx(y, abs=0.05)
        geometry = json.loads(lsoas[code].geometry)
        assert geometry["type"] == "Polygon"
        lon, lat = geometry["coordinates"][0][0]
        assert -3.2 < lon < -2.9 and 53.7 < lat < 53.9  # Blackpool, in degrees
        assert all(len(str(v).split(".")[-1]) <= 5 for point in geometry["coordinates"][0] for v in point)
    assert lsoas[CODES[2]].name == NAMES[2] and lsoas[CODES[0]].lad_code == "E06000009"


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (csv_bytes(["LSOA", "Rank", "Decile"], [["E01900001", "1", "1"]], bom=False), "missing"),
        (csv_bytes(FILE1_HEADERS, [["E01900001", "x", "E06000009", "Blackpool", "12", "1"]], bom=True)[:-9], ""),
    ],
    ids=["wrong headers", "truncated"],
)
def test_a_wrong_or_truncated_deprivation_file_is_refused_and_nothing_changes(
    world: dict[str, Any], app: Flask, session: Any, tmp_path: Path, content: bytes, why: str
) -> None:
    before = [(d.lsoa_code, d.imd_rank) for d in session.scalars(select(Deprivation).order_by(Deprivation.lsoa_code))]
    path = tmp_path / "iod.csv"
    path.write_bytes(content)
    result = app.test_cli_runner().invoke(cli, ["geo", "import-imd", str(path)])
    assert result.exit_code == 1
    assert "Nothing was imported." in result.output and str(path) in result.output
    assert why in result.output
    session.expire_all()
    after = [(d.lsoa_code, d.imd_rank) for d in session.scalars(select(Deprivation).order_by(Deprivation.lsoa_code))]
    assert after == before


def test_boundaries_of_another_lsoa_edition_are_reported_not_joined(
    world: dict[str, Any], tmp_path: Path, backend: str
) -> None:
    with built_app(backend, tmp_path) as app:
        runner = app.test_cli_runner()
        assert runner.invoke(cli, ["geo", "import-imd", *map(str, gap_world.write_iod(tmp_path))]).exit_code == 0
        bounds = gap_world.write_boundaries(tmp_path, edition="2021")
        result = runner.invoke(cli, ["geo", "import-boundaries", str(bounds)])
        assert result.exit_code == 0, result.output
        assert "LSOA 2021: 3 with boundaries, 0 with deprivation, 0 with both" in result.output
        assert "Deprivation is held only for LSOA 2011, which does not join to LSOA 2021 boundaries" in result.output
        assert "asset-directory geo import-lsoa-lookup FILE" in result.output
        computed = runner.invoke(cli, ["gaps", "compute"])
        assert "No LSOA 2021 deprivation figures are stored" in computed.output
        with app.app_context():
            assert db.session.scalar(select(func.count()).where(GapScore.score.is_not(None))) == 0


def test_import_boundaries_keeps_only_the_areas_asked_for(app: Flask, tmp_path: Path) -> None:
    result = app.test_cli_runner().invoke(
        cli, ["geo", "import-boundaries", str(gap_world.write_boundaries(tmp_path)), "--area", "E06000008"]
    )
    assert result.exit_code == 1 and "no LSOA boundaries found in E06000008" in result.output


def test_an_import_is_kept_only_when_its_caller_commits(tmp_path: Path, backend: str) -> None:
    with built_app(backend, tmp_path) as app, app.app_context():
        report = import_deprivation(db.session, gap_world.write_iod(tmp_path))
        assert report.rows == 3 and db.session.scalar(select(func.count()).select_from(Deprivation)) == 3
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(Deprivation)) == 0
