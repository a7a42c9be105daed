"""Rendered gap maps are kept per process until the data they show changes; every page still gets its own nonce.

These tests use their own signed-in client and no ``session`` fixture: that fixture keeps one app
context (and so one ``g``, where the request's nonce lives) open across requests, which a real
server never does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from directory.accounts.users import create_user
from directory.core.db import db
from directory.gaps.cache import RenderCache, render_cache
from directory.gaps.compute import compute_gaps
from directory.listings.operations import create
from tests.conftest import PASSWORD, html, sign_in
from tests.directory.gaps import gap_world
from tests.directory.gaps.gap_world import CODES, POSTCODES, SEEDER

pytestmark = pytest.mark.both_backends
MAP = "/gaps/map?la=E06000009&category=carers"
N_2011 = 32_844


@pytest.fixture(scope="module")
def world(app: Flask, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    with app.app_context():
        gap_world.seed(db.session, app.config, tmp_path_factory.mktemp("gap-files"))
        create_user(db.session, email_address="cache@example.org", role="community-development", password=PASSWORD)
        db.session.commit()
        db.session.remove()
    yield


@pytest.fixture
def client(app: Flask, world: None) -> FlaskClient:
    client = app.test_client()
    assert sign_in(client, "cache@example.org").status_code == 302
    return client


def read_map(client: FlaskClient) -> tuple[dict[str, Any], str, str, str]:
    """The map's data, its inline script, that script's nonce and the response's CSP nonce."""
    response = client.get(MAP)
    assert response.status_code == 200
    page: BeautifulSoup = html(response)
    (inline,) = [s for s in page.find_all("script") if not s.get("src") and "gap_data_" in s.get_text()]
    script = inline.get_text()
    data = json.loads(re.search(r"var gap_data_\w+ = (\{.*?\});\n", script).group(1))
    header = re.search(r"script-src 'self' 'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
    return data, script, str(inline["nonce"]), header


def scores(data: dict[str, Any]) -> dict[str, float]:
    return {f["properties"]["c"]: f["properties"]["s"] for f in data["areas"]["features"]}


def test_a_map_is_built_once_and_each_page_carries_its_own_nonce(app: Flask, client: FlaskClient) -> None:
    render_cache(app).clear()
    _data, first, first_nonce, first_header = read_map(client)
    misses = render_cache(app).misses
    _data, second, second_nonce, second_header = read_map(client)
    # folium names every element afresh when it builds a map: the same names mean the same (cached) map.
    assert re.findall(r"gap_data_\w+", first) == re.findall(r"gap_data_\w+", second)
    assert render_cache(app).misses == misses  # the second page built nothing
    assert first_nonce == first_header and second_nonce == second_header
    assert first_nonce != second_nonce


def test_a_recomputation_shows_new_figures(app: Flask, client: FlaskClient) -> None:
    before, script, _nonce, _header = read_map(client)
    weights = {"GAP_WEIGHT_DEPRIVATION": 1.0, "GAP_WEIGHT_PROVISION": 0.0, "GAP_WEIGHT_DEMAND": 0.0}
    with app.app_context():
        compute_gaps(db.session, {**app.config, **weights})
        db.session.commit()
        db.session.remove()
    try:
        after, script_after, _nonce, _header = read_map(client)
        assert scores(after)[CODES[1]] == pytest.approx(100 * (N_2011 - 16_422) / (N_2011 - 1), abs=0.05) == 50.0
        assert scores(before)[CODES[1]] == 49.1 and script_after != script
    finally:
        with app.app_context():
            compute_gaps(db.session, app.config)
            db.session.commit()
            db.session.remove()
    assert scores(read_map(client)[0])[CODES[1]] == 49.1


def test_a_new_listing_shows_on_the_map_without_recomputing(app: Flask, client: FlaskClient) -> None:
    before, _script, _nonce, _header = read_map(client)
    assert [s[2] for s in before["services"]] == [gap_world.HOSTILE]
    with app.app_context():
        organisation = create(db.session, "organization", {"name": "Second carers"}, SEEDER)
        verified = (datetime.now(UTC) - timedelta(days=1)).replace(tzinfo=None).isoformat(timespec="seconds")
        place = {"name": "Hall", "address_1": "2 Gap Street", "city": "Blackpool", "postcode": POSTCODES["B"]}
        values = {"organization_id": organisation.id, "name": "Carers' coffee morning", "categories": ["carers"],
                  "last_verified_at": verified, "locations": [place]}  # fmt: skip
        create(db.session, "service", values, SEEDER)
        db.session.commit()
        db.session.remove()
    after, _script, _nonce, _header = read_map(client)
    assert sorted(s[2] for s in after["services"]) == sorted([gap_world.HOSTILE, "Carers' coffee morning"])


def test_the_cache_is_bounded_by_size_and_forgets_the_least_recently_used_first() -> None:
    cache = RenderCache(max_bytes=100)
    cache.put("a", "A", 40)
    cache.put("b", "B", 40)
    assert cache.get("a") == "A"  # a is now the most recently used
    cache.put("c", "C", 40)  # 120 bytes: b goes
    assert (cache.get("b"), cache.get("a"), cache.get("c"), cache.size) == (None, "A", "C", 80)
    cache.put("huge", "H", 101)  # larger than the whole cache: not kept, nothing else lost
    assert cache.get("huge") is None and len(cache) == 2
    off = RenderCache(max_bytes=0)
    assert off.get_or_make("k", lambda: "made", len) == "made" and len(off) == 0
