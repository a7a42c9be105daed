"""Gap maps and tables aggregated to local authorities, on the hand-worked world (one authority of 3 LSOAs).

The authority's name is hostile here (a formula and markup, as a file might hold), so every place it
appears is checked to keep it text.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from directory.core.db import db
from directory.gaps.authorities import authority_rows
from directory.gaps.cache import bump_data_version
from directory.models import Deprivation
from tests.conftest import html
from tests.directory.gaps import gap_world
from tests.directory.gaps.gap_world import CODES, LAD

pytestmark = pytest.mark.both_backends
N_2011 = 32_844
LA_NAME = '=HYPERLINK("http://x")<img src=x onerror=alert(1)> Blackpool'


def score(rank: int, nearest: float, per_1000: float, events: int) -> float:
    """The gap score by hand, as in test_gaps (default weights)."""
    d = (N_2011 - rank) / (N_2011 - 1)
    p = ((1 - math.exp(-nearest / 2000)) + math.exp(-per_1000)) / 2
    m = min(1.0, math.log1p(events) / math.log1p(20))
    return 100 * (0.4 * d + 0.4 * p + 0.2 * m)


# Carers scores of A, B and C (test_gaps works them out), weighted by their populations 1000, 2000 and 1500.
CARERS = [score(100, 0, 1.0, 0), score(16_422, 1000, 0.5, 3), score(32_844, 2000, 1 / 1.5, 3)]
MEAN_CARERS = (1000 * CARERS[0] + 2000 * CARERS[1] + 1500 * CARERS[2]) / 4500


@pytest.fixture(scope="module")
def world(app: Flask, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, int]]:
    with app.app_context():
        ids = gap_world.seed(db.session, app.config, tmp_path_factory.mktemp("gap-files"))
        db.session.execute(update(Deprivation).values(lad_name=LA_NAME))
        bump_data_version(db.session)
        db.session.commit()
        db.session.remove()
    yield ids


@pytest.fixture
def staff(world: dict[str, int], signed_in: Callable[..., FlaskClient]) -> FlaskClient:
    return signed_in("community-development")


def map_data(response: Any) -> tuple[BeautifulSoup, str, dict[str, Any]]:
    assert response.status_code == 200
    page = html(response)
    script = "\n".join(s.get_text() for s in page.find_all("script") if not s.get("src"))
    data = json.loads(re.search(r"var gap_data_\w+ = (\{.*?\});\n", script).group(1))
    return page, script, data


def test_authority_figures_are_the_aggregates_worked_out_by_hand(
    world: dict[str, int], app: Flask, session: Any
) -> None:
    (row,) = authority_rows(session, app.config, [LAD], "carers", names={LAD: LA_NAME})
    assert (row.code, row.name, row.lsoas, row.population, row.weighted, row.scored) == (
        LAD, LA_NAME, 3, 4500, True, 3,
    )  # fmt: skip
    assert row.mean_score == pytest.approx(MEAN_CARERS, abs=0.01)
    assert (row.deprivation_known, row.most_deprived) == (3, 1)  # A is in decile 1
    assert (row.measured, row.no_service) == (3, 0)  # the carers' service at A is within 5 km of all three
    assert (row.live_services, row.flags, row.carried) == (1, 0, 0)  # the stale service does not count
    (debt,) = authority_rows(session, app.config, [LAD], "debt-benefits")
    assert (debt.no_service, debt.no_service_share, debt.live_services) == (3, 100.0, 0)


def test_the_aggregated_map_shows_authorities_with_figures_a_legend_and_links(staff: FlaskClient) -> None:
    page, script, data = map_data(staff.get(f"/gaps/map?la={LAD}&category=carers&level=authority"))
    assert data["level"] == "authority" and data["services"] == []
    (feature,) = data["areas"]["features"]
    p = feature["properties"]
    assert (p["c"], p["n"], p["l"], p["pop"], p["w"], p["dn"], p["dk"], p["mn"], p["mk"], p["v"], p["f"]) == (
        LAD, LA_NAME, 3, 4500, True, 1, 3, 0, 3, 1, 0,
    )  # fmt: skip
    assert p["s"] == pytest.approx(MEAN_CARERS, abs=0.06) and p["d"] == pytest.approx(33.3, abs=0.05)
    assert data["authorityUrl"] == "/gaps/map?category=carers&la="
    base_layers = script.split("base_layers")[1].split("overlays")[0]
    for name in ("Share of LSOAs in the most deprived 10%", "Mean gap score: Carers"):
        assert json.dumps(name) in base_layers
    legend = page.find("div", class_="gap-legend")
    assert legend.find("p", class_="gap-legend-note").get_text().startswith("Aggregated to local authorities")
    assert page.find("section", class_="gap-map")["aria-label"].startswith("Map of 1 local authorities")
    notes = " ".join(n.get_text(" ", strip=True) for n in page.find_all("p", role="note"))
    assert "Aggregated to local authorities" in notes


def test_the_hostile_authority_name_stays_data(staff: FlaskClient) -> None:
    page, script, _data = map_data(staff.get(f"/gaps/map?la={LAD}&category=carers&level=authority"))
    assert "<img" not in script and "\\u003cimg src=x onerror=alert(1)\\u003e" in script
    assert "innerHTML" not in script and not page.find("img", src="x")
    options = [label.get_text() for label in page.select("fieldset.authority-choice label")]
    assert options == [f"{LA_NAME} (3 neighbourhoods)"]  # escaped by the template, read back as text


def test_an_authority_links_to_its_own_map_of_lsoas(staff: FlaskClient) -> None:
    _page, _script, data = map_data(staff.get("/gaps/map?scope=england&category=carers"))
    assert data["level"] == "authority"
    _page, _script, lsoas = map_data(staff.get(data["authorityUrl"] + LAD))
    assert lsoas["level"] == "lsoa" and {f["properties"]["c"] for f in lsoas["areas"]["features"]} == set(CODES)


def test_a_map_of_more_lsoas_than_the_setting_is_aggregated_automatically(
    staff: FlaskClient, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    _page, _script, data = map_data(staff.get(f"/gaps/map?la={LAD}&category=carers"))
    assert data["level"] == "lsoa"
    monkeypatch.setitem(app.config, "GAP_MAP_MAX_LSOAS", 2)
    page, _script, data = map_data(staff.get(f"/gaps/map?la={LAD}&category=carers"))
    assert data["level"] == "authority"
    note = " ".join(page.find("p", role="note").get_text().split())
    assert "3 neighbourhoods are more than one map shows (2): choose fewer authorities" in note
    # Asking for each LSOA does not override the limit on a map ...
    _page, _script, data = map_data(staff.get(f"/gaps/map?la={LAD}&category=carers&level=lsoa"))
    assert data["level"] == "authority"
    # ... but the table (paged, with full downloads) shows them, for all of England too.
    rows = html(staff.get(f"/gaps/table?la={LAD}&category=carers&level=lsoa")).select("table.gap-table tbody tr")
    assert len(rows) == 3
    rows = html(staff.get("/gaps/table?scope=england&category=carers&level=lsoa")).select("table.gap-table tbody tr")
    assert len(rows) == 3


def test_the_table_aggregated_to_authorities_and_its_downloads(staff: FlaskClient) -> None:
    page = html(staff.get("/gaps/table?scope=england&category=carers"))
    (row,) = page.select("table.gap-authorities tbody tr")
    cells = [td.get_text(" ", strip=True) for td in row.find_all("td")]
    assert cells[0] == "1" and cells[1] == f"{LA_NAME} · map"  # the name, not its code
    assert cells[2:] == [
        "3",
        "4,500",
        f"{MEAN_CARERS:.0f} (population-weighted, 3 neighbourhoods)",
        "1 of 3",
        "0 of 3",
        "1",
        "0",
    ]
    assert row.find("a")["href"] == f"/gaps/table?la={LAD}&category=carers"
    exported = staff.get("/gaps/table?scope=england&category=carers&format=csv")
    assert 'filename="gaps-carers-england-authorities.csv"' in exported.headers["Content-Disposition"]
    (record,) = csv.DictReader(io.StringIO(exported.get_data(as_text=True)))
    assert record["Local authority"] == "'" + LA_NAME  # a spreadsheet will not run it
    assert float(record["Mean gap score of its LSOAs"]) == pytest.approx(MEAN_CARERS, abs=0.06)
    assert record["How the mean is weighted"] == "population"
    geojson = json.loads(staff.get("/gaps/table?scope=england&category=carers&format=geojson").get_data(as_text=True))
    (feature,) = geojson["features"]
    assert feature["geometry"]["type"] == "Polygon" and feature["properties"]["lad_name"] == LA_NAME
    assert feature["properties"]["level"] == "local authority" and feature["properties"]["no_service"] == 0


def test_the_area_export_names_places_and_a_hostile_name_stays_inert(staff: FlaskClient) -> None:
    exported = staff.get(f"/gaps/table?la={LAD}&level=lsoa&category=carers&format=csv").get_data(as_text=True)
    records = list(csv.DictReader(io.StringIO(exported)))
    assert len(records) == 3
    for record in records:  # the place is named from the (hostile) authority name: a spreadsheet will not run it
        assert record["Place"].startswith("'" + LA_NAME + ", around FY4 1"), record["Place"]
        assert record["Local authority name"] == "'" + LA_NAME and record["Local authority"] == LAD


def test_bad_scope_or_level_is_refused(staff: FlaskClient) -> None:
    assert staff.get("/gaps/map?scope=world").status_code == 400
    assert staff.get("/gaps/table?level=street").status_code == 400
