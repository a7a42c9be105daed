"""The area page and the backlog name areas as people do, say the score in words, and map the area (issue 22).

On the hand-worked world of ``gap_world``: three 1 km squares in Blackpool (deciles 1, 5 and 10), a live
carers' service at A's centre, three signpostings in C, postcodes FY4 1AA/AB/AD at the centres.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from directory.accounts.users import create_user
from directory.backlog.flags import record_flag
from directory.core.db import db
from directory.gaps.area_data import import_boundaries
from directory.gaps.compute import compute_gaps
from tests.conftest import PASSWORD, built_app, html, sign_in
from tests.directory.gaps import gap_world
from tests.directory.gaps.gap_world import CODES, HOSTILE

pytestmark = pytest.mark.both_backends
ONS_CODE = re.compile(r"E0\d{7}")


@pytest.fixture(scope="module")
def world(app: Flask, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return gap_world.load_with_commands(app, tmp_path_factory.mktemp("gap-files"))


@pytest.fixture
def staff(world: dict[str, Any], signed_in: Callable[..., FlaskClient]) -> FlaskClient:
    return signed_in("community-development")


def words_by_category(page: BeautifulSoup) -> dict[str, str]:
    return {tr.find("td").find(string=True).strip(): tr.select_one("p.score-words").get_text()
            for tr in page.select("table.gap-scores tbody tr")}  # fmt: skip


def map_data(page: BeautifulSoup) -> dict[str, Any]:
    script = "\n".join(s.get_text() for s in page.find_all("script") if not s.get("src"))
    return json.loads(re.search(r"var gap_data_\w+ = (\{.*?\});\n", script).group(1))


def test_the_area_page_is_headed_by_the_place_people_know_with_the_ons_name_second(staff: FlaskClient) -> None:
    page = html(staff.get(f"/gaps/areas/{CODES[1]}"))
    assert page.find("h1").get_text() == "Blackpool, around FY4 1"
    assert page.title.get_text().startswith("Blackpool, around FY4 1")
    official = page.find(class_="area-ons-name").find("details")  # one click away: closed until opened
    assert not official.has_attr("open") and official.summary.get_text() == "Official area code"
    assert official.get_text(" ", strip=True) == f"Official area code LSOA Gapton 001B, {CODES[1]} (2011 boundaries)"
    assert not ONS_CODE.search(page.find("h1").get_text() + page.title.get_text())


def test_the_score_is_said_in_words_with_the_formula_one_click_away(staff: FlaskClient) -> None:
    page = html(staff.get(f"/gaps/areas/{CODES[1]}"))
    carers = words_by_category(page)["Carers"]
    assert carers == ("Among the 50% most deprived areas in England; the nearest carers service is 1.0 km away, "
                      "with 1 within 5 km; no gap flags here yet; 3 signpostings and gap flags counted here or "
                      "next door.")  # fmt: skip
    row = page.find("p", string=carers).find_parent("tr")
    formula = row.find("details")
    assert formula.summary.get_text() == "The figures behind it"
    assert formula.p.get_text().startswith("Gap score 49 of 100 = deprivation 0.50 x 0.4")


def test_the_words_are_true_for_the_most_and_least_deprived_and_a_service_in_the_area(staff: FlaskClient) -> None:
    most = words_by_category(html(staff.get(f"/gaps/areas/{CODES[0]}")))["Carers"]
    assert most.startswith("Among the 10% most deprived areas in England; a carers service is less than 100 metres")
    least = words_by_category(html(staff.get(f"/gaps/areas/{CODES[2]}")))["Carers"]
    assert least.startswith("Among the 10% least deprived areas in England; the nearest carers service is 2.0 km")


def test_a_need_with_no_service_anywhere_claims_no_distance(staff: FlaskClient) -> None:
    words = words_by_category(html(staff.get(f"/gaps/areas/{CODES[1]}")))
    others = {name: text for name, text in words.items() if name != "Carers"}
    assert others, "the shipped categories other than carers have no service in this world"
    for name, text in others.items():
        assert f"no live {name.lower()} service with a known place is listed" in text.lower(), text
        assert "km away" not in text


def test_the_area_page_maps_the_area_and_the_services_near_it_and_keeps_its_tables(staff: FlaskClient) -> None:
    page = html(staff.get(f"/gaps/areas/{CODES[1]}?category=carers"))
    assert page.find("h2", id="area-map").get_text() == "Map: Carers services near here"
    section = page.find("section", class_="area-map")
    assert section is not None and section.find("div", class_="folium-map") is not None
    data = map_data(page)
    assert [f["properties"]["c"] for f in data["areas"]["features"]] == [CODES[1]]
    assert data["areas"]["features"][0]["properties"]["n"] == "Blackpool, around FY4 1"
    assert [s[2] for s in data["services"]] == [HOSTILE]  # the live one; the stale one is left off
    inline = [s for s in page.find_all(["script", "style"]) if not s.get("src")]
    assert inline and all(s.get("nonce") for s in inline)  # allowed by the CSP's nonce, nothing inline without
    assert all(src.startswith("/gaps/assets/") for src in (s["src"] for s in page.find_all("script", src=True))
               if "leaflet" in src)  # fmt: skip
    # Without JavaScript the tables still say everything the map shows.
    assert page.find("table", class_="gap-scores") is not None
    assert [a.get_text() for a in page.find_all("a", href=re.compile(r"^/staff/services/\d+$"))] == [HOSTILE]


def test_another_need_can_be_shown_on_the_map_by_a_plain_link(staff: FlaskClient) -> None:
    page = html(staff.get(f"/gaps/areas/{CODES[1]}"))
    link = page.find("a", string="show on the map")
    assert link is not None and link["href"].endswith("#area-map")
    other = html(staff.get(link["href"]))
    heading = other.find("h2", id="area-map").get_text()
    assert heading.startswith("Map: ") and "Carers" not in heading and map_data(other)["services"] == []


def test_the_gap_table_names_areas_and_authorities(staff: FlaskClient) -> None:
    page = html(staff.get("/gaps/table?la=E06000009&category=carers"))
    rows = page.select("table.gap-table tbody tr")
    assert [r.find_all("td")[1].find("a").get_text() for r in rows] == ["Blackpool, around FY4 1"] * 3
    official = rows[0].find_all("td")[1].find("details")
    assert not official.has_attr("open") and official.summary.get_text() == "Official area code"
    assert official.get_text(" ", strip=True) == f"Official area code LSOA Gapton 001B, {CODES[1]}"
    assert {r.find_all("td")[2].get_text() for r in rows} == {"Blackpool"}


def test_the_gap_map_names_each_area_as_people_know_it(staff: FlaskClient) -> None:
    data = map_data(html(staff.get("/gaps/map?la=E06000009&category=carers")))
    names = {f["properties"]["c"]: f["properties"]["n"] for f in data["areas"]["features"]}
    assert names == dict.fromkeys(CODES, "Blackpool, around FY4 1")  # the code is not shown


def test_without_deprivation_the_area_page_says_so_in_words(tmp_path: Path, backend: str) -> None:
    with built_app(backend, tmp_path) as app:
        with app.app_context():
            import_boundaries(db.session, gap_world.write_boundaries(tmp_path))
            gap_world.add_services(db.session)
            compute_gaps(db.session, app.config)
            create_user(db.session, email_address="cd@example.org", role="community-development", password=PASSWORD)
            db.session.commit()
        client = app.test_client()
        sign_in(client, "cd@example.org")
        page = html(client.get(f"/gaps/areas/{CODES[1]}"))
    # No deprivation file names the authority: the demo's names do (Blackpool is one).
    assert page.find("h1").get_text() == "Blackpool, around FY4 1"
    assert words_by_category(page)["Carers"].startswith("No deprivation figures are loaded for this area; the nearest")
    assert page.find("section", class_="area-map") is not None


def test_backlog_items_are_named_by_place_and_say_nothing_false_about_msoas(tmp_path: Path, backend: str) -> None:
    with built_app(backend, tmp_path) as app:
        with app.app_context():
            gap_world.seed(db.session, app.config, tmp_path)
            worker = create_user(db.session, email_address="lw@example.org", role="link-worker", password=PASSWORD)
            create_user(db.session, email_address="cd@example.org", role="community-development", password=PASSWORD)
            saved = record_flag(db.session, {"category": "carers", "postcode": gap_world.POSTCODES["B"],
                                             "description": "No carers group"}, worker)  # fmt: skip
            item_id = saved.item.id
            db.session.commit()
        client = app.test_client()
        sign_in(client, "cd@example.org")
        item = html(client.get(f"/backlog/{item_id}"))
        board = html(client.get("/backlog/"))
        listed = html(client.get("/backlog/list"))
        summary = html(client.get(f"/backlog/{item_id}/summary"))
        area = html(client.get(f"/gaps/areas/{CODES[1]}"))
    assert item.find("h1").get_text() == "Carers in Blackpool, around FY4 1"
    assert item.find("p", class_="item-ref").get_text() == f"Backlog item {item_id}"
    official = item.find("p", class_="item-ref").find_next_sibling("details")
    assert official.get_text(" ", strip=True) == f"Official area code LSOA Gapton 001B, {CODES[1]}"
    facts = {dt.get_text(): dt.find_next_sibling("dd").get_text(" ", strip=True) for dt in item.select("dl.facts dt")}
    assert facts["Local authorities"] == "Blackpool" and "MSOAs" not in " ".join(facts)
    assert "Not known" not in item.get_text() and "not loaded" not in item.get_text()
    assert facts["Neighbourhoods"] == f"Blackpool, around FY4 1 Official area code LSOA Gapton 001B, {CODES[1]}"
    card = board.select_one("li.backlog-card h3").get_text(strip=True)
    assert card == "Carers in Blackpool, around FY4 1"
    assert listed.select("tbody tr")[0].find_all("td")[3].find(string=True).strip() == "Blackpool, around FY4 1"
    assert summary.find("h1").get_text() == "Evidence of unmet need: Carers in Blackpool, around FY4 1"
    for heading in [*item.find_all(["h1", "h2", "h3", "title"]), *board.find_all(["h1", "h2", "h3", "title"]),
                    *summary.find_all(["h1", "h2", "title"])]:  # fmt: skip
        assert not ONS_CODE.search(heading.get_text()), heading
    assert "1 gap flag here" in words_by_category(area)["Carers"]
