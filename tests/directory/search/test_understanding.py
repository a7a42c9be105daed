"""Search understands what link workers type: any word may match, needs from everyday phrases, spelling,
crisis lines for risk, and never a blank page."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask

from directory.core import meaning
from directory.core.db import db
from directory.models import Postcode
from directory.search.fallback import never_blank
from directory.search.query import parse_query
from directory.search.synonyms import ensure_synonyms, save_synonym
from tests.conftest import built_app, html
from tests.directory.search.test_engine import POSTCODES, found

pytestmark = pytest.mark.both_backends


@pytest.fixture
def app(tmp_path: Any, backend: str) -> Iterator[Flask]:
    """A fresh database per test, with the engine tests' postcodes."""
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


@pytest.fixture
def vocabulary(session: Any, app: Flask) -> None:
    ensure_synonyms(session)
    session.commit()


def test_everyday_words_find_the_needs_they_mean(make_service: Any, session: Any, app: Flask, vocabulary: None) -> None:
    make_service(name="Money advice drop-in", description="Help with debt and bills.", categories=["debt-benefits"])
    make_service(name="Memory cafe", description="For people living with dementia.", categories=["specific-conditions"])
    make_service(name="Carers' coffee morning", description="Time out for unpaid carers.", categories=["carers"])
    make_service(name="Community pantry", description="Low-cost food each week.", categories=["food"])
    make_service(name="Tea dance", categories=["older-people"])
    assert found(session, app, q="money worries")[0] == "Money advice drop-in"
    assert found(session, app, q="can't pay the bills")[0] == "Money advice drop-in"
    assert found(session, app, q="my mum has dementia")[0] == "Memory cafe"
    assert found(session, app, q="looking after my husband")[0] == "Carers' coffee morning"
    assert found(session, app, q="hungry")[0] == "Community pantry"
    assert found(session, app, q="food parcel")[0] == "Community pantry"


def test_misspelt_words_still_find(make_service: Any, session: Any, app: Flask, vocabulary: None) -> None:
    make_service(name="Memory cafe", description="For people living with dementia.", categories=["specific-conditions"])
    make_service(name="Bereavement counselling", categories=["bereavement"])
    make_service(name="Chair-based exercise", categories=["physical-activity"])
    assert found(session, app, q="dimentia")[0] == "Memory cafe"
    assert found(session, app, q="councelling")[0] == "Bereavement counselling"
    assert found(session, app, q="excercise")[0] == "Chair-based exercise"


def test_not_every_word_need_match(make_service: Any, session: Any, app: Flask, vocabulary: None) -> None:
    make_service(name="Health walks", description="Led walks on flat routes.", categories=["physical-activity"])
    make_service(name="Crochet circle", categories=["arts-crafts"])
    assert found(session, app, q="walking group") == ["Health walks"]


def test_an_admin_phrase_with_needs_takes_effect(make_service: Any, session: Any, app: Flask) -> None:
    make_service(name="Repair cafe", categories=["nature-environment"])
    make_service(name="Knit and natter", categories=["arts-crafts"])
    assert found(session, app, q="broken toaster") == []
    save_synonym(session, "broken toaster", "", "nature-environment")
    assert found(session, app, q="my toaster is broken") == ["Repair cafe"]


def test_the_condition_comes_before_the_relation(make_service: Any, session: Any, app: Flask, vocabulary: None) -> None:
    make_service(name="Dads' group", description="Dads and their children.", categories=["parenting-families"])
    make_service(name="Memory cafe", description="For people living with dementia.", categories=["specific-conditions"])
    make_service(name="Bereavement cafe", categories=["bereavement"])
    assert found(session, app, q="my dad keeps forgetting things")[0] == "Memory cafe"
    assert found(session, app, q="death of a parent")[0] == "Bereavement cafe"


def test_risk_brings_crisis_lines_and_local_support_first(
    client: Any,
    make_service: Any,
    session: Any,
    vocabulary: None,
    place: Any,
) -> None:
    make_service(name="Domestic abuse support", categories=["domestic-abuse"], locations=place("FY1 2BB"))
    make_service(name="Hit the gym", description="Hit your targets.", categories=["physical-activity"],
                 locations=place("FY1 1AA"))  # fmt: skip
    page = html(client.get("/?q=partner+hits+me&postcode=FY1+1AA&radius=5"))
    crisis = page.select_one("section.crisis")
    assert crisis is not None
    numbers = [a.get_text() for a in crisis.select("a")]
    assert numbers[0] == "0808 2000 247" and "999" in numbers
    assert page.select("ol.results h3")[0].get_text(strip=True) == "Domestic abuse support"
    # crisis lines come before the results
    assert page.find_all(["section", "ol"])[0:2][0] is crisis
    body = client.get("/api/search?q=suicidal+thoughts").get_json()
    assert [line["contact"] for line in body["crisis_lines"]][:2] == ["116 123", "111, then option 2"]
    assert client.get("/api/search?q=walking").get_json()["crisis_lines"] == []


def test_never_a_blank_page(
    client: Any,
    make_service: Any,
    session: Any,
    app: Flask,
    vocabulary: None,
    place: Any,
) -> None:
    make_service(name="Faraway memory cafe", categories=["specific-conditions"], locations=place("BB11 1AA"))
    make_service(name="Dementia phone line", categories=["specific-conditions"], delivery_modes=["phone"])
    outcome = never_blank(session, parse_query({"q": "dementia", "postcode": "FY1 1AA", "radius": "5"}), app.config)
    assert outcome.results == []
    assert outcome.fallback is not None
    assert [r.service.name for r in outcome.fallback.further] == ["Faraway memory cafe"]
    assert outcome.fallback.further_km == 100
    assert ("specific-conditions", "Specific conditions") in outcome.fallback.related
    assert [r.service.name for r in outcome.fallback.remote] == ["Dementia phone line"]
    page = html(client.get("/?q=dementia&postcode=FY1+1AA&radius=5"))
    nothing = page.select_one(".nothing")
    assert nothing is not None
    assert [a.get_text() for a in nothing.select("ul.further a")] == ["Faraway memory cafe"]
    assert [a.get_text() for a in nothing.select("ul.remote a")] == ["Dementia phone line"]
    assert "Specific conditions" in [a.get_text() for a in nothing.select("ul.related a")]
    body = client.get("/api/search?q=dementia&postcode=FY1+1AA&radius=5").get_json()
    assert [r["name"] for r in body["instead"]["further_away"]] == ["Faraway memory cafe"]


def test_the_page_says_how_the_words_were_read(client: Any, make_service: Any, vocabulary: None) -> None:
    make_service(name="Memory cafe", categories=["specific-conditions"])
    said = html(client.get("/?q=dimentia")).select_one(".understood")
    assert said is not None
    assert "dementia" in said.get_text() and "Specific conditions" in said.get_text()


@pytest.mark.skipif(not meaning.installed() and not os.environ.get("CI"), reason="the meaning extra is not installed")
def test_meaning_finds_needs_no_phrase_spells_out(
    make_service: Any, session: Any, app: Flask, vocabulary: None
) -> None:
    make_service(name="Friendship lunch club", categories=["loneliness"])
    make_service(name="Community pantry", categories=["food"])
    make_service(name="Job club", categories=["employment-volunteering"])
    assert found(session, app, q="nobody ever visits me")[0] == "Friendship lunch club"
    assert found(session, app, q="the cupboards are bare")[0] == "Community pantry"
    app.config["SEARCH_MEANING"] = "off"
    try:
        assert "Friendship lunch club" not in found(session, app, q="nobody ever visits me")
    finally:
        app.config["SEARCH_MEANING"] = "auto"


@pytest.mark.skipif(not meaning.installed() and not os.environ.get("CI"), reason="the meaning extra is not installed")
def test_of_the_needs_the_words_name_the_one_the_query_means_comes_first(
    make_service: Any, session: Any, app: Flask, vocabulary: None
) -> None:
    make_service(name="Job club", description="Find work, write a CV.", categories=["employment-volunteering"])
    make_service(name="Wellbeing cafe", description="Talk things through.", categories=["mental-health"])
    make_service(name="Money advice drop-in", description="Money, debt and bills.", categories=["debt-benefits"])
    make_service(name="Domestic abuse outreach", categories=["domestic-abuse"])
    assert found(session, app, q="stress at work")[0] == "Wellbeing cafe"
    assert found(session, app, q="my boyfriend takes my money and checks my phone")[0] == "Domestic abuse outreach"
