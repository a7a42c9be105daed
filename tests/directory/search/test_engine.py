"""Link-worker search: text, synonyms, distance, filters, ordering, postcodes and the JSON API."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from directory.core.clock import utcnow
from directory.core.db import db
from directory.listings import operations
from directory.listings.fts import fts_expression
from directory.models import DemandEvent, Postcode
from directory.search.engine import search
from directory.search.query import SearchError, locate, parse_query
from tests.conftest import STAFF, built_app, html, table_dumps

# Postcodes on a north-south line in Blackpool (about 1.0 km apart per 0.009 degrees), and one in Burnley.
POSTCODES = {
    "FY1 1AA": (53.8000, -3.0500, "E01012671", "E06000009"),
    "FY1 2BB": (53.8090, -3.0500, "E01012672", "E06000009"),
    "FY1 3DA": (53.8180, -3.0500, "E01012673", "E06000009"),
    "FY3 9ZZ": (53.8450, -3.0500, "E01012674", "E06000009"),
    "BB11 1AA": (53.7900, -2.2400, "E01024800", "E07000117"),
}

pytestmark = pytest.mark.both_backends


@pytest.fixture
def app(tmp_path: Any, backend: str) -> Iterator[Flask]:
    """A fresh database per test here, so each search sees only what the test made."""
    with built_app(backend, tmp_path) as app:
        with app.app_context():
            for pcds, (lat, long, lsoa, lad) in POSTCODES.items():
                db.session.add(Postcode(postcode_key=pcds.replace(" ", ""), pcds=pcds, latitude=lat, longitude=long,
                                        lsoa_code=lsoa, lad_code=lad))  # fmt: skip
            db.session.commit()
        yield app


@pytest.fixture
def place() -> Callable[[str], list[dict[str, str]]]:
    return lambda pcds: [{"name": f"Hall at {pcds}", "address_1": "1 High Street", "postcode": pcds}]


def found(session: Any, app: Flask, **args: Any) -> list[str]:
    return [r.service.name for r in search(session, parse_query(args), app.config).results]


def test_words_match_by_stem_and_prefix(make_service: Any, session: Any, app: Flask) -> None:
    make_service(name="Knit and natter")
    make_service(name="Knitting club")
    make_service(name="Chess club", categories=["older-people"])
    assert sorted(found(session, app, q="knitting")) == ["Knit and natter", "Knitting club"]
    assert sorted(found(session, app, q="kni")) == ["Knit and natter", "Knitting club"]


def test_words_are_alternatives_ranked_by_how_many_match(make_service: Any, session: Any, app: Flask) -> None:
    make_service(name="Chess club", categories=["older-people"])
    make_service(name="Chess and knitting afternoon", categories=["older-people"])
    make_service(name="Bowls", categories=["older-people"])
    assert found(session, app, q="chess knitting")[0] == "Chess and knitting afternoon"
    assert set(found(session, app, q="chess knitting")) == {"Chess club", "Chess and knitting afternoon"}


def test_synonyms_widen_the_search(make_service: Any, session: Any, app: Flask) -> None:
    make_service(name="Debt help drop-in", description="Help with arrears.", categories=["debt-benefits"])
    make_service(name="Depression support group", categories=["mental-health"])
    make_service(name="Crochet circle")
    assert found(session, app, q="money advice") == ["Debt help drop-in"]
    assert found(session, app, q="low mood") == ["Depression support group"]
    assert found(session, app, q="knit") == ["Crochet circle"]


def test_admin_synonym_edits_take_effect(make_service: Any, session: Any, app: Flask) -> None:
    from directory.search.synonyms import save_synonym

    make_service(name="Men's shed", categories=["older-people"])
    assert found(session, app, q="joinery") == []
    save_synonym(session, "joinery", "shed, carpentry")
    assert found(session, app, q="joinery") == ["Men's shed"]


def test_phrase_search_needs_the_words_together(make_service: Any, session: Any, app: Flask) -> None:
    make_service(name="Walking football")
    make_service(name="Football and walking", description="Two separate things.")
    assert found(session, app, q='"walking football"') == ["Walking football"]


@pytest.mark.parametrize(
    "typed",
    ['men\'s', '"unclosed', "NEAR(a b)", "AND OR NOT", "*", "-debt", "café", "Ünïcode ’s", "'; DROP TABLE service; --",
     "x" * 300, "🙂", '""', "a:b", "(", "^start", "¼", "ŉ", "\\'"],
)  # fmt: skip
def test_awkward_text_never_breaks_search(make_service: Any, session: Any, app: Flask, typed: str) -> None:
    make_service(name="Men's shed café")
    search(session, parse_query({"q": typed}), app.config)  # must not raise


def test_apostrophes_and_accents_match(make_service: Any, session: Any, app: Flask) -> None:
    make_service(name="Men's shed café")
    assert found(session, app, q="mens shed") == ["Men's shed café"]  # the stemmer folds the plural
    assert found(session, app, q="men's") == ["Men's shed café"]
    assert found(session, app, q="cafe") == ["Men's shed café"]


def test_empty_text_lists_everything_live(make_service: Any, session: Any, app: Flask) -> None:
    make_service(name="A")
    make_service(name="B")
    assert sorted(found(session, app, q="   ")) == ["A", "B"]
    assert fts_expression("  ") is None


def test_nearest_first_and_radius_limits(make_service: Any, session: Any, app: Flask, place: Any) -> None:
    make_service(name="Far", locations=place("FY3 9ZZ"))
    make_service(name="Near", locations=place("FY1 2BB"))
    make_service(name="Here", locations=place("FY1 1AA"))
    assert found(session, app, postcode="fy11aa", radius="10", sort="nearest") == ["Here", "Near", "Far"]
    assert found(session, app, postcode="FY1 1AA", radius="2", sort="nearest") == ["Here", "Near"]
    outcome = search(session, parse_query({"postcode": "FY1 1AA", "sort": "nearest"}), app.config)
    assert [round(r.distance_km or 0, 1) for r in outcome.results] == [0.0, 1.0]


def test_shortest_wait_first_unknown_last(make_service: Any, session: Any, app: Flask) -> None:
    slow, quick, unknown = make_service(name="Slow"), make_service(name="Quick"), make_service(name="Unknown")
    operations.report_waiting_time(session, slow.id, 12, source="group", actor=STAFF)
    operations.report_waiting_time(session, quick.id, 2, source="group", actor=STAFF)
    assert unknown is not None
    assert found(session, app, sort="wait") == ["Quick", "Slow", "Unknown"]
    assert found(session, app, sort="wait", max_wait="4") == ["Quick", "Unknown"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"free": "yes"}, ["Free"]),
        ({"age": "15"}, ["Free", "Youth", "Paid"]),
        ({"age": "70"}, ["Free", "Women", "Paid"]),
        ({"gender": "men"}, ["Free", "Youth", "Paid"]),
        ({"accessibility": ["hearing-loop", "step-free"]}, ["Women"]),
        ({"accessibility": "step-free"}, ["Women", "Paid"]),
        ({"day": "MO"}, ["Free"]),
        ({"day": "TU", "time": "evening"}, ["Youth"]),
        ({"time": "morning"}, ["Free", "Women"]),
        ({"self_referral": "yes"}, ["Youth", "Women"]),
        ({"accepting": "yes"}, ["Free", "Youth"]),
        ({"home_visits": "yes"}, ["Paid"]),
        ({"delivery": "online"}, ["Women"]),
        ({"remote": "no"}, ["Free", "Youth", "Paid"]),
    ],
)
def test_each_filter(make_service: Any, session: Any, app: Flask, args: dict[str, Any], expected: list[str]) -> None:
    make_service(
        name="Free",
        is_free=True,
        delivery_modes=["in-person"],
        capacity="accepting",
        schedules=[{"byday": "MO", "opens_at": "10:00", "closes_at": "12:00"}],
    )
    make_service(
        name="Youth",
        minimum_age=11,
        maximum_age=18,
        is_free=False,
        cost_description="£1",
        referral_routes=["self"],
        delivery_modes=["in-person"],
        capacity="accepting",
        schedules=[{"byday": "TU", "opens_at": "18:00", "closes_at": "20:00"}],
    )
    make_service(
        name="Women",
        gender="women",
        minimum_age=18,
        is_free=False,
        cost_description="£2",
        accessibility=["step-free", "hearing-loop"],
        referral_routes=["self", "gp"],
        delivery_modes=["online"],
        capacity="waiting-list",
        schedules=[{"byday": "WE", "opens_at": "09:30", "closes_at": "11:00"}],
    )
    make_service(name="Paid", is_free=False, cost_description="£5", accessibility=["step-free"],
                 referral_routes=["professional"], delivery_modes=["in-person", "home-visits"],
                 capacity="not-accepting",
                 schedules=[{"byday": "TH", "opens_at": "13:00", "closes_at": "15:00"}])  # fmt: skip
    assert sorted(found(session, app, **args)) == sorted(expected)


def test_by_appointment_services_count_for_any_day(make_service: Any, session: Any, app: Flask) -> None:
    make_service(name="Appointments", schedules=[{"by_appointment": True}])
    make_service(name="Fridays", schedules=[{"byday": "FR", "opens_at": "10:00", "closes_at": "11:00"}])
    assert found(session, app, day="MO") == ["Appointments"]


def test_service_area_matches_postcodes_in_that_authority(make_service: Any, session: Any, app: Flask) -> None:
    make_service(name="Blackpool phone line", service_areas=["E06000009"], delivery_modes=["phone"])
    make_service(name="Burnley phone line", service_areas=["E07000117"], delivery_modes=["phone"])
    assert found(session, app, postcode="FY1 3DA", radius="1") == ["Blackpool phone line"]
    assert found(session, app, postcode="BB11 1AA") == ["Burnley phone line"]
    assert found(session, app, postcode="FY1 3DA", remote="no") == []


def test_stale_sinks_unverified_and_archived_left_out(make_service: Any, session: Any, app: Flask) -> None:
    now = utcnow()
    make_service(name="Stale lunch club", last_verified_at=(now - timedelta(days=300)).isoformat())
    make_service(name="Fresh lunch club", last_verified_at=(now - timedelta(days=10)).isoformat())
    make_service(name="Old lunch club", last_verified_at=(now - timedelta(days=400)).isoformat())
    gone = make_service(name="Gone lunch club")
    operations.archive(session, "service", gone.id, expected_version=1, actor=STAFF)
    assert found(session, app, q="lunch club") == ["Fresh lunch club", "Stale lunch club"]
    assert "Old lunch club" in found(session, app, q="lunch club", unverified="yes")
    assert "Gone lunch club" in found(session, app, q="lunch club", archived="yes")


def test_postcodes_invalid_unknown_and_outward_only(session: Any) -> None:
    with pytest.raises(SearchError, match="not a valid UK postcode"):
        locate(session, "not a postcode")
    with pytest.raises(SearchError, match="not in our list of postcodes"):
        locate(session, "SW1A 1AA")
    district = locate(session, "fy1")
    assert district.outward_only and district.lad_code == "E06000009" and district.lsoa_code is None
    assert district.latitude == pytest.approx(53.809, abs=1e-3)
    with pytest.raises(SearchError, match="No postcodes starting"):
        locate(session, "ZE1")


@pytest.mark.parametrize(
    ("args", "field"),
    [({"radius": "far"}, "radius"), ({"radius": "0"}, "radius"), ({"age": "-1"}, "age"), ({"sort": "random"}, "sort"),
     ({"day": "Funday"}, "day"), ({"accessibility": "jetpack"}, "accessibility"), ({"max_wait": "x"}, "max_wait")],
)  # fmt: skip
def test_bad_parameters_are_named(args: dict[str, str], field: str) -> None:
    with pytest.raises(SearchError) as caught:
        parse_query(args)
    assert caught.value.field == field


def test_search_page_shows_a_clear_message_for_a_bad_postcode(client: Any) -> None:
    response = client.get("/?postcode=XX99+9XXX")
    assert response.status_code == 422
    assert "not a valid UK postcode" in html(response).find(role="alert").get_text()


def test_search_page_works_without_javascript_as_a_get_form(client: Any, make_service: Any, place: Any) -> None:
    make_service(name="Tea dance", locations=place("FY1 2BB"), categories=["older-people"])
    page = html(client.get("/"))
    form = page.find("form", role="search")
    assert form["method"] == "get" and page.find("script") is None
    result = html(client.get("/?q=tea&postcode=FY1+1AA&category=older-people"))
    items = result.select("ol.results li")
    assert len(items) == 1 and "Tea dance" in items[0].get_text() and "1.0 km" in items[0].get_text()


def test_api_gives_distance_and_public_fields_to_anonymous(client: Any, make_service: Any, place: Any) -> None:
    make_service(name="Bingo", locations=place("FY1 2BB"), internal_notes="SECRET", funding_notes="SECRET2")
    body = client.get("/api/search?q=bingo&postcode=FY1%201AA").get_json()
    [result] = body["results"]
    assert result["name"] == "Bingo" and result["distance_km"] == pytest.approx(1.0, abs=0.05)
    assert "internal_notes" not in result and "SECRET" not in str(body)
    error = client.get("/api/search?postcode=nonsense")
    assert error.status_code == 400 and error.get_json()["field"] == "postcode"


def test_api_gives_staff_fields_to_staff(signed_in: Any, make_service: Any) -> None:
    make_service(name="Bingo", internal_notes="Caller needs patience")
    client = signed_in("link-worker")
    [result] = client.get("/api/search?q=bingo").get_json()["results"]
    assert result["internal_notes"] == "Caller needs patience"


def test_staff_search_with_no_result_records_unmet_need_by_lsoa(signed_in: Any, session: Any) -> None:
    client = signed_in("link-worker", team="Blackpool South PCN")
    client.get("/?category=lgbtq&category=carers&postcode=FY1+2BB")
    events = session.scalars(select(DemandEvent)).all()
    assert sorted((e.kind, e.category_code, e.lsoa_code, e.team) for e in events) == [
        ("unmet-need", "carers", "E01012672", "Blackpool South PCN"),
        ("unmet-need", "lgbtq", "E01012672", "Blackpool South PCN"),
    ]


def test_anonymous_searches_record_nothing(client: Any, session: Any) -> None:
    client.get("/?category=lgbtq&postcode=FY1+2BB")
    assert session.scalars(select(DemandEvent)).all() == []


def test_no_client_postcode_is_stored_anywhere(signed_in: Any, session: Any, make_service: Any, place: Any) -> None:
    make_service(name="Choir", locations=place("FY1 1AA"), categories=["arts-crafts"])
    client = signed_in("link-worker")
    client.get("/?category=lgbtq&postcode=FY1+3DA")  # nothing: an unmet-need event
    client.get("/api/search?q=choir&postcode=FY1%203DA")
    for table, dump in table_dumps(session):
        assert "FY1 3DA" not in dump and "FY13DA" not in dump, table


def test_rebuilding_the_index_finds_the_same(make_service: Any, session: Any, app: Flask) -> None:
    from directory.listings.search_index import rebuild

    make_service(name="Café crochet", categories=["arts-crafts"])
    make_service(name="Debt help", categories=["debt-benefits"])
    before = (found(session, app, q="cafe"), found(session, app, q="arts"), found(session, app, q="money advice"))
    assert rebuild(session) == 2
    assert (
        found(session, app, q="cafe"),
        found(session, app, q="arts"),
        found(session, app, q="money advice"),
    ) == before
    assert before == (["Café crochet"], ["Café crochet"], ["Debt help"])


def test_relevance_is_the_same_whether_ranked_by_listed_ids_or_in_one_pass(
    make_service: Any, session: Any, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    from directory.search import text as search_text

    make_service(name="Knit and natter", description="Knitting, knitting and more knitting.")
    make_service(name="Craft club", description="Some knitting.")
    make_service(name="Chess club", categories=["older-people"])
    query = parse_query({"q": "knitting"})
    monkeypatch.setattr(search_text, "_SEEK_RATIO", 0)  # always rank the listed ids only
    listed = [(r.service.name, r.relevance) for r in search(session, query, app.config).results]
    monkeypatch.setattr(search_text, "_SEEK_RATIO", 10**9)  # always rank every match in one pass
    one_pass = [(r.service.name, r.relevance) for r in search(session, query, app.config).results]
    assert [name for name, _ in listed] == ["Knit and natter", "Craft club"]
    assert [name for name, _ in one_pass] == [name for name, _ in listed]
    assert [score for _, score in listed] == pytest.approx([score for _, score in one_pass])
    assert listed[0][1] > listed[1][1] > 0


def test_results_in_another_order_still_carry_their_relevance(make_service: Any, session: Any, app: Flask) -> None:
    make_service(name="Knit and natter", description="Knitting, knitting and more knitting.")
    make_service(name="Craft club", description="Some knitting.")
    by_relevance = {
        r.service.name: r.relevance for r in search(session, parse_query({"q": "knit"}), app.config).results
    }
    by_date = {
        r.service.name: r.relevance
        for r in search(session, parse_query({"q": "knit", "sort": "verified"}), app.config).results
    }
    assert by_date == pytest.approx(by_relevance)
    assert all(score > 0 for score in by_date.values())
