"""The gap pages (map, table and exports, area page, funding risk), on a world worked out by hand."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from directory.accounts.users import create_user
from directory.backlog.flags import record_flag
from directory.backlog.workflow import transition
from directory.core.db import db
from directory.gaps.area_data import import_boundaries
from directory.gaps.compute import compute_gaps
from directory.models import DemandEvent, GapScore, Service, User
from tests.conftest import PASSWORD, built_app, html, sign_in
from tests.directory.gaps import gap_world
from tests.directory.gaps.gap_world import CODES, HOSTILE, NAMES

pytestmark = pytest.mark.both_backends


@pytest.fixture(scope="module")
def world(app: Flask, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return gap_world.load_with_commands(app, tmp_path_factory.mktemp("gap-files"))


@pytest.mark.parametrize("path", ["/gaps/map", "/gaps/table", f"/gaps/areas/{CODES[0]}", "/gaps/funding-risk"])
def test_gap_pages_are_for_staff_only(
    world: dict[str, Any], client: FlaskClient, signed_in: Callable[..., FlaskClient],
    make_organization: Callable[..., Any], path: str,
) -> None:  # fmt: skip
    anonymous = client.get(path)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert signed_in("group-editor", organization_id=make_organization().id).get(path).status_code == 403


@pytest.fixture
def staff(world: dict[str, Any], signed_in: Callable[..., FlaskClient]) -> FlaskClient:
    return signed_in("community-development")


def map_page(staff: FlaskClient) -> tuple[BeautifulSoup, str]:
    response = staff.get("/gaps/map?la=E06000009&category=carers")
    assert response.status_code == 200
    page = html(response)
    scripts = "\n".join(s.get_text() for s in page.find_all("script") if not s.get("src"))
    return page, scripts


def test_the_map_has_its_layers_legend_and_data(staff: FlaskClient) -> None:
    page, script = map_page(staff)
    for name in ("Deprivation (IMD decile)", "Distance to nearest Carers service", "Gap score: Carers"):
        assert json.dumps(name) in script.split("base_layers")[1].split("overlays")[0]
    assert '"Live services"' in script.split("overlays")[1]
    legends = page.find_all("div", class_="gap-legend")
    assert len(legends) == 1
    legend = legends[0]
    titles = [p.get_text() for p in legend.find_all("p", class_="gap-legend-title")]
    assert titles == ["IMD decile", "Nearest Carers service", "Gap score: Carers (higher: a larger gap)"]
    assert len(legend.find_all("span", class_="gap-swatch")) == 4 + 5 + 6
    # One section per colouring; only the one on show (the gap score) is not hidden.
    shown = [s["data-layer"] for s in legend.find_all(attrs={"data-layer": True}) if not s.has_attr("hidden")]
    assert shown == ["s"]
    # Beside the map, never inside it.
    assert legend.find_parent("section", class_="gap-map") is None and legend.find_parent(class_="gap-side")
    data = json.loads(re.search(r"var gap_data_\w+ = (\{.*?\});\n", script).group(1))
    features = {f["properties"]["c"]: f["properties"] for f in data["areas"]["features"]}
    assert set(features) == set(CODES)
    assert features[CODES[1]]["d"] == 5 and features[CODES[1]]["m"] == 1000 and features[CODES[1]]["s"] == 49.1
    assert [s[2] for s in data["services"]] == [HOSTILE]  # the stale service is not on the map
    assert page.find("section", class_="gap-map") is not None


def test_hostile_names_stay_data_in_the_map_script(staff: FlaskClient) -> None:
    page, script = map_page(staff)
    assert "<img" not in script and "</script>" not in script.replace("</script>", "", 0) and "${" in script
    assert "\\u003cimg src=x onerror=alert(1)\\u003e" in script
    assert not page.find("img", src="x")
    # Names reach the page only through textContent and attributes, never innerHTML.
    assert "innerHTML" not in script and ".setContent(" not in script


def test_the_map_links_no_cdn_only_our_own_assets(staff: FlaskClient) -> None:
    page, script = map_page(staff)
    sources = [tag.get("src") for tag in page.find_all("script") if tag.get("src")]
    sources += [tag.get("href") for tag in page.find_all("link", rel="stylesheet")]
    assert (
        "/gaps/assets/leaflet/leaflet.js" in sources
        and "/gaps/assets/markercluster/leaflet.markercluster.js" in sources
    )
    assert all(src.startswith("/") for src in sources), sources
    assert not re.search(r"https?://[^\"']+\.(js|css)\b", script) and "cdn" not in str(page).lower()
    for src in sources:
        if src.startswith("/gaps/assets/"):
            response = staff.get(src)
            response.close()  # file responses hold the file open until closed
            assert response.status_code == 200


def test_asset_route_serves_only_known_packages_and_types(client: FlaskClient) -> None:
    icon = client.get("/gaps/assets/leaflet/images/marker-icon.png")
    icon.close()
    assert icon.status_code == 200 and icon.mimetype == "image/png"
    assert client.get("/gaps/assets/nope/leaflet.js").status_code == 404
    assert client.get("/gaps/assets/leaflet/../../__init__.py").status_code == 404


def test_map_without_deprivation_says_so(tmp_path: Path, world: dict[str, Any], backend: str) -> None:
    with built_app(backend, tmp_path) as app:
        with app.app_context():
            import_boundaries(db.session, gap_world.write_boundaries(tmp_path))
            gap_world.add_services(db.session)
            compute_gaps(db.session, app.config)
            db.session.commit()
            create_user(db.session, email_address="cd@example.org", role="community-development", password=PASSWORD)
            db.session.commit()
        client = app.test_client()
        sign_in(client, "cd@example.org")
        page = html(client.get("/gaps/map?category=carers"))
    notes = " ".join(p.get_text(" ", strip=True) for p in page.find_all("p", role="note"))
    assert "No deprivation figures are loaded" in notes and "provision only" in notes
    assert page.find("div", class_="folium-map") is not None


def test_the_table_ranks_areas_by_score_and_links_each_to_its_page(staff: FlaskClient) -> None:
    page = html(staff.get("/gaps/table?la=E06000009&category=carers"))
    rows = page.select("table.gap-table tbody tr")
    codes = [row.find_all("td")[1].find("a")["href"].rsplit("/", 1)[1] for row in rows]
    assert codes == [CODES[1], CODES[0], CODES[2]]  # 49.1, 47.2, then C (least deprived)
    first = rows[0].find_all("td")
    assert first[3].get_text() == "5" and first[4].get_text().startswith("1.0 km") and first[-1].get_text() == "49"
    assert rows[0].find("a")["href"] == f"/gaps/areas/{CODES[1]}"
    filtered = html(staff.get("/gaps/table?la=E06000009&category=carers&max_decile=4"))
    assert len(filtered.select("table.gap-table tbody tr")) == 1


def test_authorities_are_tick_boxes_in_a_fieldset_that_work_without_javascript(staff: FlaskClient) -> None:
    """No Ctrl-click list box (issue 22): a tick box per authority, and the ticked ones are what the form sends."""
    for path in ("/gaps/table", "/gaps/map"):
        page = html(staff.get(f"{path}?la=E06000009&category=carers"))
        assert page.find("select", attrs={"multiple": True}) is None
        fieldset = page.find("fieldset", class_="authority-choice")
        assert fieldset.legend.get_text(strip=True) == "Local authorities"
        box = fieldset.find("input", id="la-E06000009")
        assert (box["type"], box["name"], box.has_attr("checked")) == ("checkbox", "la", True)
        assert fieldset.find("label", attrs={"for": "la-E06000009"}).get_text().startswith("Blackpool")
        form = fieldset.find_parent("form")
        sent = [(i["name"], i["value"]) for i in form.select("input[type=checkbox][checked]")]
        assert sent == [("la", "E06000009")] and form["method"] == "get"


def test_the_csv_export_is_safe_from_formulas(staff: FlaskClient) -> None:
    response = staff.get("/gaps/table?la=E06000009&category=carers&format=csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["LSOA code"] for r in rows] == [CODES[1], CODES[0], CODES[2]]
    assert rows[2]["LSOA name"] == "'" + NAMES[2]
    assert rows[0]["Gap score"] == "49.1" and rows[0]["Nearest service (km)"] == "1.0"
    # Each place in the page's words beside its codes (other systems join on the codes).
    assert [(r["Place"], r["Local authority name"], r["Local authority"]) for r in rows] == [
        ("Blackpool, around FY4 1", "Blackpool", "E06000009")
    ] * 3


def test_the_geojson_export_is_a_feature_collection(staff: FlaskClient) -> None:
    response = staff.get("/gaps/table?la=E06000009&category=carers&format=geojson")
    data = json.loads(response.get_data(as_text=True))
    assert data["type"] == "FeatureCollection" and len(data["features"]) == 3
    first = data["features"][0]
    assert first["geometry"]["type"] == "Polygon" and first["properties"]["lsoa_code"] == CODES[1]
    assert first["properties"]["score"] == 49.1 and first["properties"]["category"] == "carers"
    assert first["properties"]["place"] == "Blackpool, around FY4 1" and first["properties"]["lad_name"] == "Blackpool"


def test_the_area_page_explains_the_score_and_lists_nearby_services(staff: FlaskClient) -> None:
    page = html(staff.get(f"/gaps/areas/{CODES[1]}"))
    assert page.find("h1").get_text() == "Blackpool, around FY4 1"
    explanations = {tr.find("td").find(string=True).strip(): tr.select_one("details p").get_text()
                    for tr in page.select("table.gap-scores tbody tr")}  # fmt: skip
    carers = explanations["Carers"]
    assert carers.startswith("Gap score 49 of 100 = deprivation 0.50 x 0.4 + provision gap 0.50 x 0.4 + demand 0.46")
    assert "IMD rank 16422 of 32844" in carers and "nearest service 1.0 km" in carers
    assert "3 signpostings and gap flags here or next door" in carers
    services = [a.get_text() for a in page.find_all("a", href=re.compile(r"^/staff/services/\d+$"))]
    assert services == [HOSTILE]  # shown as text, and the stale service is not listed
    assert not page.find("img", src="x")
    assert staff.get("/gaps/areas/E01999999").status_code == 404


def test_funding_risk_lists_services_ending_soon_with_the_deprivation_they_reach(staff: FlaskClient) -> None:
    page = html(staff.get("/gaps/funding-risk?days=60"))
    rows = page.select("tbody tr")
    assert len(rows) == 1
    cells = [td.get_text(" ", strip=True) for td in rows[0].find_all("td")]
    assert cells[0] == HOSTILE and "(30 days)" in cells[2]
    assert cells[3:6] == ["3", "1", "1"]  # all three areas within 5 km; A is in the most deprived decile
    assert html(staff.get("/gaps/funding-risk?days=10")).select("tbody tr") == []


def test_the_nav_links_staff_to_the_gap_map(staff: FlaskClient) -> None:
    page = html(staff.get("/staff/"))
    assert page.find("nav").find("a", href="/gaps/map") is not None


def test_the_area_page_offers_to_flag_a_gap_at_the_area(staff: FlaskClient) -> None:
    page = html(staff.get(f"/gaps/areas/{CODES[1]}"))
    link = page.find("a", string="Flag a gap in this area")
    assert link is not None and link["href"].startswith("/flags/new?") and "from=map" in link["href"]
    form = html(staff.get(link["href"]))
    assert form.find("form") is not None


def test_flags_and_resolved_gaps_are_layers_on_the_map(tmp_path: Path, backend: str) -> None:
    """A flagged gap in A shows as a flag; once its backlog item is resolved, as a resolved gap too."""
    with built_app(backend, tmp_path) as app:
        with app.app_context():
            gap_world.seed(db.session, app.config, tmp_path)
            worker = create_user(db.session, email_address="lw@example.org", role="link-worker", password=PASSWORD)
            manager = create_user(db.session, email_address="cd@example.org", role="community-development",
                                  password=PASSWORD)  # fmt: skip
            saved = record_flag(db.session, {"category": "carers", "postcode": gap_world.POSTCODES["A"],
                                                     "description": "No carers group"}, worker)  # fmt: skip
            item_id, manager_id = saved.item.id, manager.id
            db.session.commit()
        client = app.test_client()
        assert sign_in(client, "cd@example.org", PASSWORD).status_code == 302

        def layers() -> tuple[list[Any], list[Any], str]:
            page = html(client.get("/gaps/map?la=E06000009&category=carers"))
            script = "\n".join(s.get_text() for s in page.find_all("script") if not s.get("src"))
            data = json.loads(re.search(r"var gap_data_\w+ = (\{.*?\});\n", script).group(1))
            return data["flags"], data["resolved"], script.split("overlays")[1]

        flags, resolved, overlays = layers()
        assert [(f[2], f[3]) for f in flags] == [(1, "Blackpool, around FY4 1")] and resolved == []
        assert '"Gap flags"' in overlays and '"Gaps resolved"' not in overlays
        with app.app_context():
            manager = db.session.get(User, manager_id)
            service_id = db.session.scalars(select(Service.id)).first()
            for status in ("triaged", "in-progress", "resolved"):
                transition(db.session, item_id, status, manager, assignee_id=manager_id, service_id=service_id)
            db.session.commit()
        flags, resolved, overlays = layers()
        assert [(r[2], r[3]) for r in resolved] == [(1, "Blackpool, around FY4 1")] and '"Gaps resolved"' in overlays


def test_the_map_opens_on_the_need_with_the_largest_gap_not_the_first_alphabetically(
    tmp_path: Path, backend: str
) -> None:
    """Every need but carers has no service in the hand-worked world; demand recorded for food makes its gap the
    largest, so the map opens on food rather than on animals (first by name) or carers."""
    with built_app(backend, tmp_path) as app:
        with app.app_context():
            gap_world.seed(db.session, app.config, tmp_path)
            for code in CODES:
                db.session.add(DemandEvent(kind="signposting", category_code="food", lsoa_code=code,
                                           occurred_on=date.today() - timedelta(days=5)))  # fmt: skip
            compute_gaps(db.session, app.config)
            create_user(db.session, email_address="cd@example.org", role="community-development", password=PASSWORD)
            db.session.commit()
            means = dict(
                db.session.execute(
                    select(GapScore.category_code, func.avg(GapScore.score)).group_by(GapScore.category_code)
                ).all()
            )
        assert max(means, key=means.__getitem__) == "food" and means["food"] > means["animals"] > means["carers"]
        client = app.test_client()
        sign_in(client, "cd@example.org")
        page = html(client.get("/gaps/map?la=E06000009"))
        assert page.find("select", id="category").find("option", selected=True)["value"] == "food"
        table = html(client.get("/gaps/table?la=E06000009"))
        assert table.find("select", id="category").find("option", selected=True)["value"] == "food"
        asked = html(client.get("/gaps/map?la=E06000009&category=animals"))
        assert asked.find("select", id="category").find("option", selected=True)["value"] == "animals"


def test_the_map_draws_the_authority_outline_and_its_name(staff: FlaskClient) -> None:
    _page, script = map_page(staff)
    data = json.loads(re.search(r"var gap_data_\w+ = (\{.*?\});\n", script).group(1))
    assert [label[2] for label in data["labels"]] == ["Blackpool"]
    assert len(data["outlines"]["features"]) == 1
    assert data["outlines"]["features"][0]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert '"Local authority boundaries and names"' in script.split("overlays")[1]


def test_the_score_is_explained_on_a_page_of_the_app(staff: FlaskClient) -> None:
    page = html(staff.get("/gaps/map?la=E06000009&category=carers"))
    link = page.find("a", string="How the gap score is made")
    assert link is not None and link["href"] == "/gaps/score"
    assert "docs/gap-score.md" not in page.get_text()
    explained = html(staff.get(link["href"]))
    assert explained.find("h1").get_text() == "How the gap score is made"
    text = " ".join(explained.get_text().split())
    assert "deprivation × 0.4 + provision gap × 0.4 + demand × 0.2" in text
    assert "It is not a measure of need." in text
    area = html(staff.get(f"/gaps/areas/{CODES[1]}"))
    assert area.find("a", href="/gaps/score") is not None and "docs/gap-score.md" not in area.get_text()


def test_a_configured_base_map_draws_under_the_areas_with_its_attribution_and_csp(tmp_path: Path, backend: str) -> None:
    tiles = "https://{s}.tiles.example.org/{z}/{x}/{y}.png"
    with built_app(backend, tmp_path, GAP_MAP_TILES=tiles, GAP_MAP_ATTRIBUTION="© Example <contributors>") as app:
        with app.app_context():
            gap_world.seed(db.session, app.config, tmp_path)
            create_user(db.session, email_address="cd@example.org", role="community-development", password=PASSWORD)
            db.session.commit()
        client = app.test_client()
        sign_in(client, "cd@example.org")
        response = client.get("/gaps/map?la=E06000009&category=carers")
    script = "\n".join(s.get_text() for s in html(response).find_all("script") if not s.get("src"))
    assert json.dumps(tiles) in script.split("L.tileLayer(")[1]
    # The operator's attribution (Leaflet reads it as HTML, so links work), never closing the script early.
    assert '"attribution": "\\u00a9 Example \\u003ccontributors\\u003e"' in script
    assert '"fillOpacity":0.55' in script  # areas let the base map show through
    sources = next(p for p in response.headers["Content-Security-Policy"].split("; ") if p.startswith("img-src"))
    assert sources.split() == ["img-src", "'self'", "data:", "https://*.tiles.example.org"]
