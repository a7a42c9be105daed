"""Searches without a postcode that match more than the count cap: the first page is ordered and cut in the
database (search/topk.py), the same page the exact path gives, and the count says "more than"."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from directory.core.clock import utcnow
from directory.models import Service, WaitingTimeReport
from directory.search.engine import Outcome, search
from directory.search.query import parse_query
from tests.conftest import built_app, html

pytestmark = pytest.mark.both_backends

CAP = 8  # small, so that a few listings make a "large" search


@pytest.fixture
def app(tmp_path: Any, backend: str) -> Iterator[Flask]:
    with built_app(backend, tmp_path, SEARCH_COUNT_CAP=CAP) as app:
        yield app


@pytest.fixture
def directory(make_service: Any, session: Any) -> None:
    """Two dozen listings: knitting in names or descriptions, needs, waits, stale and fresh, names that tie."""
    now = utcnow()
    made = [
        make_service(name="Knitting circle", description="Knit with friends.", categories=["arts-crafts"]),
        make_service(name="Knit and natter", description="Tea and knitting.", categories=["loneliness"]),
        make_service(name="Craft club", description="Knitting, sewing and more knitting.", categories=["arts-crafts"]),
        make_service(name="Yarn swap", description="Bring wool; some knit.", categories=["arts-crafts"]),
        make_service(name="Chess club", description="Board games.", categories=["older-people"]),
        make_service(name="Coffee morning", description="A chat.", categories=["loneliness"]),
        make_service(name="Debt advice", description="Money help.", categories=["debt-benefits"]),
        make_service(name="Walking group", description="Walks.", categories=["physical-activity"],
                     delivery_modes=["in-person"], referral_routes=["self"]),
        make_service(name="Phone friends", description="Calls for lonely people.", categories=["loneliness"],
                     delivery_modes=["phone"], referral_routes=["self", "gp"]),
    ]  # fmt: skip
    for n in range(15):
        made.append(
            make_service(
                name=f"Knitting group {n % 5}",  # names repeat: the id decides among equals
                description="Knitting for everyone." if n % 2 else "Crochet and knit.",
                categories=["arts-crafts", "loneliness"] if n % 3 else ["arts-crafts"],
                referral_routes=["self"] if n % 4 else ["gp"],
                accessibility=["step-free"] if n % 2 else [],
            )
        )
    for n, service in enumerate(made):
        row = session.get(Service, service.id)
        row.last_verified_at = now - timedelta(days=(n * 37) % 330)  # some stale (over 270 days), one per step
        if n % 3 == 0:
            session.add(WaitingTimeReport(service_id=row.id, weeks=n % 7 + 1, reported_at=now - timedelta(days=n),
                                          reported_by="test", source="group"))  # fmt: skip
    session.commit()


def run(session: Any, app: Flask, cap: int, **args: Any) -> Outcome:
    return search(session, parse_query(args), {**app.config, "SEARCH_COUNT_CAP": cap})


def page(outcome: Outcome) -> list[tuple[str, int, float]]:
    return [(r.service.name, r.service.id, round(r.relevance, 9)) for r in outcome.results]


QUERIES = [
    {"q": "knit"},
    {"q": "knitting", "limit": "3"},
    {"q": "knit", "self_referral": "yes", "limit": "4"},
    {"q": "knit", "accessibility": "step-free"},
    {"q": "lonely"},
    {"category": "arts-crafts", "limit": "5"},
    {"category": "loneliness"},
    {},
    {"limit": "6"},
    {"remote": "no", "limit": "5"},
    {"max_wait": "3"},
]


@pytest.mark.parametrize("args", QUERIES, ids=[str(q) for q in QUERIES])
def test_the_database_gives_the_page_the_exact_path_gives(
    directory: None, session: Any, app: Flask, args: dict[str, str]
) -> None:
    for sort in ("relevance", "nearest", "wait", "verified"):
        exact = run(session, app, 10_000, sort=sort, **args)
        cut = run(session, app, CAP, sort=sort, **args)
        if exact.matched > CAP:
            assert not cut.matched_exact and cut.matched == CAP
        else:
            assert cut.matched_exact and cut.matched == exact.matched
        assert exact.matched_exact
        assert page(cut) == page(exact), sort


def test_a_large_search_shows_its_best_match_first(directory: None, session: Any, app: Flask) -> None:
    outcome = run(session, app, CAP, q="knitting", limit="3")
    assert not outcome.matched_exact  # 18 listings mention knitting: ranked in the database
    names = [r.service.name for r in outcome.results]
    assert len(names) == 3
    # Knitting in the name and the description outranks knitting only in the description.
    assert names[0].startswith("Knitting") and "Craft club" not in names and "Yarn swap" not in names
    assert outcome.results[0].relevance >= outcome.results[-1].relevance


def test_the_count_says_more_than_past_the_cap(directory: None, session: Any, app: Flask) -> None:
    assert run(session, app, CAP, q="knitting").count_words == "More than 8 results"
    assert run(session, app, CAP, q="debt").count_words in {"1 result", "2 results"}  # debt advice; money help
    assert (
        run(session, app, 10_000, q="knitting").count_words
        == f"{run(session, app, 10_000, q='knitting').matched} results"
    )
    heading = html(app.test_client().get("/?q=knitting&limit=5")).find(id="results").get_text(" ", strip=True)
    assert heading == "More than 8 results, showing the best 5"
    data = app.test_client().get("/api/search?q=knitting&limit=5").get_json()
    assert data["matched"] == CAP and data["matched_exact"] is False
    assert data["matched_words"] == "More than 8 results" and len(data["results"]) == 5
    few = app.test_client().get("/api/search?category=debt-benefits").get_json()
    assert few["matched_exact"] is True and few["matched_words"] == "1 result"
