"""Which release of the English Indices of Deprivation the pages show, the IoD2019 shipped in the package,
an imported IoD2025 replacing it, and the age denominators the gap score counts provision against."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from directory.cli import cli
from directory.core.db import db
from directory.gaps.compute import age_denominators
from directory.models import Deprivation, GapRun, GapScore
from tests.conftest import html
from tests.directory.gaps import gap_world
from tests.directory.gaps.gap_world import CODES, LAD
from tests.geo.conftest import csv_bytes, file7_headers, file7_row

pytestmark = pytest.mark.both_backends

PAGES = ("/gaps/map?la=E06000009&category=carers", "/gaps/table?la=E06000009&category=carers",
         f"/gaps/areas/{CODES[0]}", "/gaps/funding-risk")  # fmt: skip
CODES_2021 = ("E01960001", "E01960002", "E01960003")


@pytest.fixture(scope="module")
def world(app: Flask, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return gap_world.load_with_commands(app, tmp_path_factory.mktemp("edition-files"))


def release_on(page: Any) -> list[str]:
    return [tag.get_text(" ", strip=True) for tag in page.find_all(class_="deprivation-release")]


@pytest.mark.parametrize("path", PAGES)
def test_every_gap_page_names_the_deprivation_release_it_shows(
    world: dict[str, Any], signed_in: Callable[..., FlaskClient], path: str
) -> None:
    response = signed_in("community-development").get(path)
    assert response.status_code == 200
    assert any("English Indices of Deprivation 2019" in text for text in release_on(html(response))), path


def test_older_people_and_children_are_counted_against_their_age_group(
    world: dict[str, Any], session: Any, make_service: Callable[..., Any], app: Flask
) -> None:
    # gap_world's File 6 gives every LSOA 200 children aged 0-15, 500 aged 16-59 and 300 aged 60 and over.
    for category in ("older-people", "parenting-families"):
        hall = {"name": "Hall", "address_1": "2 Gap Street", "city": "Blackpool", "postcode": gap_world.POSTCODES["A"]}
        make_service(categories=[category], locations=[hall])
    session.commit()
    assert app.test_cli_runner().invoke(cli, ["gaps", "compute"]).exit_code == 0
    session.expire_all()
    scores = {(s.lsoa_code, s.category_code): s for s in session.scalars(select(GapScore))}
    population = dict(zip(CODES, gap_world.POPULATION, strict=True))
    for code in CODES:
        older, families = scores[(code, "older-people")], scores[(code, "parenting-families")]
        assert older.within_radius >= 1 and families.within_radius >= 1
        assert older.per_1000 == pytest.approx(older.within_radius / 300 * 1000, abs=1e-3)
        assert families.per_1000 == pytest.approx(families.within_radius / 200 * 1000, abs=1e-3)
        carers = scores[(code, "carers")]
        assert carers.per_1000 == pytest.approx(carers.within_radius / population[code] * 1000, abs=1e-3)
    stored = session.scalars(select(Deprivation).where(Deprivation.lsoa_code == CODES[0])).one()
    assert (stored.population_0_15, stored.population_16_59, stored.population_60_plus,
            stored.population_working_age) == (200, 500, 300, 600)  # fmt: skip


def test_without_age_figures_a_category_keeps_all_residents_and_the_run_says_so() -> None:
    notes: list[str] = []
    frame = pd.DataFrame({"lsoa_code": ["A", "B"], "population": [10, 20], "population_60_plus": [3, None]})
    chosen = age_denominators(frame, ["older-people", "young-people", "carers"], notes)
    assert chosen == {}
    assert any("older-people per 1,000 uses all residents" in note for note in notes)
    assert any("young-people" in note for note in notes)


def test_an_imported_iod2025_replaces_the_iod2019_and_the_pages_say_so(
    world: dict[str, Any], app: Flask, tmp_path: Path, signed_in: Callable[..., FlaskClient]
) -> None:
    headers = file7_headers("2025")
    rows = [file7_row(headers, code, f"Gapton 21{i}", LAD, 100 * (i + 1)) for i, code in enumerate(CODES_2021)]
    file7 = tmp_path / "File_7_IoD2025_All_Ranks_Scores_Deciles_Population_Denominators.csv"
    file7.write_bytes(csv_bytes(headers, rows, bom=True))
    bounds = tmp_path / "lsoa21.geojson"
    bounds.write_text(json.dumps(gap_world.boundaries_geojson(CODES_2021, edition="2021")))
    runner = app.test_cli_runner()
    for args in (["geo", "import-imd", str(file7)], ["geo", "import-boundaries", str(bounds)], ["gaps", "compute"]):
        result = runner.invoke(cli, args)
        assert result.exit_code == 0, result.output
    with app.app_context():
        run = db.session.scalars(select(GapRun)).one()
        assert run.lsoa_edition == "2021" and run.matched == 3
        db.session.remove()
    staff = signed_in("community-development")
    for path in ("/gaps/map?la=E06000009&category=carers", "/gaps/funding-risk", f"/gaps/areas/{CODES_2021[0]}"):
        texts = release_on(html(staff.get(path)))
        assert any("English Indices of Deprivation 2025" in t for t in texts) and not any("2019" in t for t in texts)


def test_the_packaged_iod2019_loads_by_command_and_a_wrong_call_changes_nothing(app: Flask) -> None:
    runner = app.test_cli_runner()
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Deprivation))
        db.session.remove()
    both = runner.invoke(cli, ["geo", "import-imd", "--packaged", __file__])
    neither = runner.invoke(cli, ["geo", "import-imd"])
    assert both.exit_code == neither.exit_code == 1 and "--packaged" in both.output + neither.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Deprivation)) == before
        db.session.remove()
    loaded = runner.invoke(cli, ["geo", "import-imd", "--packaged"])
    assert loaded.exit_code == 0, loaded.output
    assert (
        "Imported 32,844 LSOAs of deprivation figures (LSOA 2011; IoD2019 Files 1 + 2 + 6 (packaged))" in loaded.output
    )
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(Deprivation)
                .where(Deprivation.edition == "2011", Deprivation.carried == "")
            )
            == 32_844
        )
        db.session.remove()
