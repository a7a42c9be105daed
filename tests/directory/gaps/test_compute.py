"""Deprivation and boundary imports, gap computation, and the gap pages, on a world worked out by hand."""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from directory.cli import cli
from directory.core.db import db
from directory.gaps.exports import csv_safe
from directory.models import Service, User
from directory.models.gaps import Deprivation, GapRun, GapScore, Lsoa
from tests.conftest import built_app, html
from tests.directory.gaps import gap_world
from tests.directory.gaps.gap_world import CODES, HOSTILE, NAMES
from tests.geo.conftest import FILE1_HEADERS, csv_bytes

N_2011 = 32_844
pytestmark = pytest.mark.both_backends


@pytest.fixture(scope="module")
def world(app: Flask, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, int]]:
    folder = tmp_path_factory.mktemp("gap-files")
    runner = app.test_cli_runner()
    imported = runner.invoke(cli, ["geo", "import-imd", *map(str, gap_world.write_iod(folder))])
    assert imported.exit_code == 0, imported.output
    boundaries = runner.invoke(cli, ["geo", "import-boundaries", str(gap_world.write_boundaries(folder))])
    assert boundaries.exit_code == 0, boundaries.output
    with app.app_context():
        ids = gap_world.add_services(db.session)
        db.session.remove()
    computed = runner.invoke(cli, ["gaps", "compute"])
    assert computed.exit_code == 0, computed.output
    yield {**ids, "imd_output": imported.output, "boundaries_output": boundaries.output, "compute": computed.output}


def score_of(session: Any, code: str, category: str) -> GapScore:
    found = session.scalars(select(GapScore).where(GapScore.lsoa_code == code, GapScore.category_code == category))
    return found.one()


# --- imports ---------------------------------------------------------------------------------------------------


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


# --- computation -----------------------------------------------------------------------------------------------


def test_provision_is_measured_from_live_fresh_services_only(world: dict[str, Any], session: Any) -> None:
    # The fresh service sits at A's centre; the stale one at C's is ignored.
    expected = {CODES[0]: (0.0, 1, 1.0), CODES[1]: (1000.0, 1, 0.5), CODES[2]: (2000.0, 1, 1 / 1.5)}
    for code, (nearest, within, per_1000) in expected.items():
        row = score_of(session, code, "carers")
        assert row.nearest_m == pytest.approx(nearest, abs=0.5)
        assert row.within_radius == within
        assert row.per_1000 == pytest.approx(per_1000, abs=1e-3)
    none = score_of(session, CODES[1], "debt-benefits")
    assert none.nearest_m is None and none.within_radius == 0 and none.provision_part == pytest.approx(1.0)


def test_gap_scores_match_the_formula_worked_by_hand(world: dict[str, Any], session: Any) -> None:
    def score(rank: int, nearest: float, per_1000: float, events: int) -> float:
        d = (N_2011 - rank) / (N_2011 - 1)
        p = ((1 - math.exp(-nearest / 2000)) + math.exp(-per_1000)) / 2
        m = min(1.0, math.log1p(events) / math.log1p(20))
        return 100 * (0.4 * d + 0.4 * p + 0.2 * m)

    # Three signpostings in C count for C and its neighbour B, not for A (which does not touch C).
    assert score_of(session, CODES[0], "carers").score == pytest.approx(score(100, 0, 1.0, 0), abs=0.01)
    assert score_of(session, CODES[1], "carers").score == pytest.approx(score(16_422, 1000, 0.5, 3), abs=0.01)
    assert score_of(session, CODES[2], "carers").score == pytest.approx(score(32_844, 2000, 1 / 1.5, 3), abs=0.01)
    assert score_of(session, CODES[1], "carers").score == pytest.approx(49.11, abs=0.01)  # 40.00 + 9.11 by hand
    assert score_of(session, CODES[1], "carers").demand == 3 and score_of(session, CODES[0], "carers").demand == 0
    run = session.scalars(select(GapRun)).one()
    assert (run.lsoas, run.matched, run.deprivation_basis, run.lsoa_edition) == (3, 3, "rank", "2011")
    assert run.weights["deprivation"] == 0.4 and run.computed_at is not None
    assert "3 LSOA 2011 x 21 categories" in world["compute"]


def test_computing_again_replaces_the_previous_run(world: dict[str, Any], app: Flask, session: Any) -> None:
    result = app.test_cli_runner().invoke(cli, ["gaps", "compute"])
    assert result.exit_code == 0
    assert session.scalar(select(func.count()).select_from(GapRun)) == 1
    assert session.scalar(select(func.count()).select_from(GapScore)) == 3 * 21


def test_weights_come_from_settings(tmp_path: Path, backend: str) -> None:
    from directory.gaps.compute import compute_gaps

    weights = {"GAP_WEIGHT_DEPRIVATION": 1.0, "GAP_WEIGHT_PROVISION": 0.0, "GAP_WEIGHT_DEMAND": 0.0}
    with built_app(backend, tmp_path, **weights) as app, app.app_context():
        gap_world.seed(db.session, app.config, tmp_path / "files")
        compute_gaps(db.session, app.config)
        a = score_of(db.session, CODES[0], "carers")
        assert a.score == pytest.approx(100 * (N_2011 - 100) / (N_2011 - 1), abs=0.01)


def test_compute_without_boundaries_says_what_to_do(tmp_path: Path, backend: str) -> None:
    with built_app(backend, tmp_path) as app:
        result = app.test_cli_runner().invoke(cli, ["gaps", "compute"])
    assert result.exit_code == 1 and "asset-directory geo import-boundaries" in result.output


# --- pages -----------------------------------------------------------------------------------------------------


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
    legend = page.find("div", class_="gap-legend")
    assert legend is not None
    titles = [p.get_text() for p in legend.find_all("p", class_="gap-legend-title")]
    assert titles == ["IMD decile", "Nearest Carers service", "Gap score"]
    assert len(legend.find_all("span", class_="gap-swatch")) == 4 + 5 + 6
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
    from directory.accounts.users import create_user
    from directory.gaps.area_data import import_boundaries
    from directory.gaps.compute import compute_gaps
    from tests.conftest import PASSWORD, sign_in

    with built_app(backend, tmp_path) as app:
        with app.app_context():
            import_boundaries(db.session, gap_world.write_boundaries(tmp_path))
            gap_world.add_services(db.session)
            compute_gaps(db.session, app.config)
            db.session.commit()
            create_user(db.session, email_address="cd@example.org", role="community-development", password=PASSWORD)
        client = app.test_client()
        sign_in(client, "cd@example.org")
        page = html(client.get("/gaps/map?category=carers"))
    notes = " ".join(p.get_text(" ", strip=True) for p in page.find_all("p", role="note"))
    assert "No deprivation figures are loaded" in notes and "provision only" in notes
    assert page.find("div", class_="folium-map") is not None


def test_the_table_ranks_areas_by_score_and_links_each_to_its_page(staff: FlaskClient) -> None:
    page = html(staff.get("/gaps/table?la=E06000009&category=carers"))
    rows = page.select("table.gap-table tbody tr")
    codes = [row.find_all("td")[1].find("span").get_text() for row in rows]
    assert codes == [CODES[1], CODES[0], CODES[2]]  # 49.1, 47.2, then C (least deprived)
    first = rows[0].find_all("td")
    assert first[3].get_text() == "5" and first[4].get_text().startswith("1.0 km") and first[-1].get_text() == "49"
    assert rows[0].find("a")["href"] == f"/gaps/areas/{CODES[1]}"
    filtered = html(staff.get("/gaps/table?la=E06000009&category=carers&max_decile=4"))
    assert len(filtered.select("table.gap-table tbody tr")) == 1


def test_the_csv_export_is_safe_from_formulas(staff: FlaskClient) -> None:
    response = staff.get("/gaps/table?la=E06000009&category=carers&format=csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["LSOA code"] for r in rows] == [CODES[1], CODES[0], CODES[2]]
    assert rows[2]["LSOA name"] == "'" + NAMES[2]
    assert rows[0]["Gap score"] == "49.1" and rows[0]["Nearest service (km)"] == "1.0"
    assert csv_safe("-1+2") == "'-1+2" and csv_safe("@SUM(A1)") == "'@SUM(A1)" and csv_safe(3) == 3


def test_the_geojson_export_is_a_feature_collection(staff: FlaskClient) -> None:
    response = staff.get("/gaps/table?la=E06000009&category=carers&format=geojson")
    data = json.loads(response.get_data(as_text=True))
    assert data["type"] == "FeatureCollection" and len(data["features"]) == 3
    first = data["features"][0]
    assert first["geometry"]["type"] == "Polygon" and first["properties"]["lsoa_code"] == CODES[1]
    assert first["properties"]["score"] == 49.1 and first["properties"]["category"] == "carers"


def test_the_area_page_explains_the_score_and_lists_nearby_services(staff: FlaskClient) -> None:
    page = html(staff.get(f"/gaps/areas/{CODES[1]}"))
    assert page.find("h1").get_text() == NAMES[1]
    explanations = {tr.find_all("td")[0].get_text(): tr.find_all("td")[2].get_text() for tr in page.select("tbody tr")
                    if len(tr.find_all("td")) == 3}  # fmt: skip
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


def test_gap_flags_count_as_demand_and_in_the_table(tmp_path: Path, backend: str) -> None:
    """A link worker's gap flag in A counts for A and its neighbour B (not C), and shows in the table's flags."""
    from directory.backlog import workflow as backlog
    from directory.gaps.areas import area_rows
    from directory.gaps.compute import compute_gaps
    from tests.directory.gaps.gap_world import POSTCODES, seed

    with built_app(backend, tmp_path) as app, app.app_context():
        seed(db.session, app.config, tmp_path)
        before = {code: score_of(db.session, code, "carers").demand for code in CODES}
        from directory.accounts.users import create_user

        worker: User = create_user(db.session, email_address="flagger@example.org", role="link-worker",
                                   password="x" * 12)  # fmt: skip
        backlog.record_flag(db.session, {"category": "carers", "postcode": POSTCODES["A"],
                                         "description": "No carers group nearby"}, worker)  # fmt: skip
        compute_gaps(db.session, app.config)
        after = {code: score_of(db.session, code, "carers").demand for code in CODES}
        assert after[CODES[0]] == before[CODES[0]] + 1 and after[CODES[1]] == before[CODES[1]] + 1
        assert after[CODES[2]] == before[CODES[2]]
        flags = {row.code: row.flags for row in area_rows(db.session, ["E06000009"], "carers")}
        assert flags[CODES[0]] == 1 and flags[CODES[2]] == 0


def test_the_area_page_offers_to_flag_a_gap_at_the_area(staff: FlaskClient) -> None:
    page = html(staff.get(f"/gaps/areas/{CODES[1]}"))
    link = page.find("a", string="Flag a gap in this area")
    assert link is not None and link["href"].startswith("/flags/new?") and "from=map" in link["href"]
    form = html(staff.get(link["href"]))
    assert form.find("form") is not None


def test_flags_and_resolved_gaps_are_layers_on_the_map(tmp_path: Path, backend: str) -> None:
    """A flagged gap in A shows as a flag; once its backlog item is resolved, as a resolved gap too."""
    from directory.accounts.users import create_user
    from directory.backlog import workflow as backlog
    from tests.conftest import sign_in
    from tests.directory.gaps.gap_world import POSTCODES, seed

    with built_app(backend, tmp_path) as app:
        with app.app_context():
            seed(db.session, app.config, tmp_path)
            worker = create_user(db.session, email_address="lw@example.org", role="link-worker", password="x" * 12)
            manager = create_user(db.session, email_address="cd@example.org", role="community-development",
                                  password="x" * 12)  # fmt: skip
            saved = backlog.record_flag(db.session, {"category": "carers", "postcode": POSTCODES["A"],
                                                     "description": "No carers group"}, worker)  # fmt: skip
            item_id, manager_id = saved.item.id, manager.id
        client = app.test_client()
        assert sign_in(client, "cd@example.org", "x" * 12).status_code == 302

        def layers() -> tuple[list[Any], list[Any], str]:
            page = html(client.get("/gaps/map?la=E06000009&category=carers"))
            script = "\n".join(s.get_text() for s in page.find_all("script") if not s.get("src"))
            data = json.loads(re.search(r"var gap_data_\w+ = (\{.*?\});\n", script).group(1))
            return data["flags"], data["resolved"], script.split("overlays")[1]

        flags, resolved, overlays = layers()
        assert [(f[2], f[3]) for f in flags] == [(1, NAMES[0])] and resolved == []
        assert '"Gap flags"' in overlays and '"Gaps resolved"' not in overlays
        with app.app_context():
            manager = db.session.get(User, manager_id)
            service_id = db.session.scalars(select(Service.id)).first()
            for status in ("triaged", "in-progress", "resolved"):
                backlog.transition(db.session, item_id, status, manager, assignee_id=manager_id, service_id=service_id)
        flags, resolved, overlays = layers()
        assert [(r[2], r[3]) for r in resolved] == [(1, NAMES[0])] and '"Gaps resolved"' in overlays
