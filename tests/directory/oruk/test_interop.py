"""Interoperability as the ORUK validator checks it: the API root says which profile it follows, every endpoint the
published OpenAPI lists answers and validates, and one instance imports another's feed over real HTTP (loopback)
with every public field equal, field by field.

The schemas come from ``DIRECTORY_ORUK_DIR`` (../shared/oruk); without it the schema checks skip saying why.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from directory.core.db import db
from directory.imports.running import run_source
from directory.imports.sources import ensure_source
from directory.listings.operations import report_waiting_time
from directory.listings.snapshots import SERVICE_SCALARS, service_snapshot
from directory.models import Postcode, Service
from directory.models.imports import ExternalRecord
from directory.oruk import serialise as oruk
from scrapers.points import area_codes
from tests.conftest import STAFF, built_app
from tests.directory.oruk.test_api import assert_page, assert_valid, oruk_dir, validator

pytestmark = pytest.mark.both_backends
__all__ = ["oruk_dir"]  # the fixture, shared with test_api

REMOTE = "https://raw.githubusercontent.com/openreferral/uk-profile/main/schema/"
# Public scalar fields of a listing: everything but staff notes, who verified and how, the stored form file, the
# organisation's local id and the pause's end date (which ORUK has no field for).
STAFF_OR_LOCAL = {"organization_id", "funding_notes", "internal_notes", "verified_by", "verified_how",
                  "referral_form_file", "paused_until"}  # fmt: skip
PUBLIC = [name for name in SERVICE_SCALARS if name not in STAFF_OR_LOCAL]
RELATED = ["categories", "service_areas", "locations", "schedules", "contacts"]
ORGANISATION = ["name", "description", "sector", "charity_number", "website", "email", "phone"]


@pytest.fixture
def published(make_service: Callable[..., Any], make_organization: Callable[..., Any], session: Any) -> list[int]:
    """Three listings that between them use every public field, with hostile text and every kind of session."""
    for key, pcds, lat, lon in (("FY11PX", "FY1 1PX", 53.8175, -3.0525), ("FY39HU", "FY3 9HU", 53.8162, -3.0251)):
        if session.get(Postcode, key) is None:
            session.add(Postcode(postcode_key=key, pcds=pcds, latitude=lat, longitude=lon,
                                 lsoa_code="E01012681", lad_code="E06000009"))  # fmt: skip
    session.commit()
    charity = make_organization(
        name='Friends of "Stanley Park" <b>', description="Volunteers since 1985 – ünïcode ok", sector="voluntary",
        charity_number="1234567", website="https://example.org/friends", email="hello@example.org",
        phone="01253 000111",
    )  # fmt: skip
    full = make_service(
        organization_id=charity.id, name="Knit & natter <script>", description="=HYPERLINK(\"x\")\nSecond line",
        url="https://example.org/knit", email="knit@example.org", phone="01253 000000", minimum_age=18,
        maximum_age=99, gender="women", eligibility_conditions="Adults in Blackpool; carers welcome", is_free=False,
        cost_description="£2 a session", referral_routes=["self", "gp"], referral_form_url="https://example.org/f",
        languages=["English", "Polish"], accessibility=["step-free", "hearing-loop"], delivery_modes=["in-person"],
        capacity="waiting-list", funding_status="time-limited", funder="Lottery", funded_until="2027-03-31",
        last_verified_at="2026-11-02T10:15:00", categories=["arts-crafts", "loneliness"],
        service_areas=["E06000009"],
        locations=[
            {"name": "Central Library", "address_1": "Queen Street", "city": "Blackpool", "postcode": "FY1 1PX",
             "accessibility": ["Step-free entrance", "Hearing loop: front desk"]},
            {"name": "Stanley Park Café", "address_1": "West Park Drive", "city": "Blackpool", "postcode": "FY3 9HU"},
        ],
        schedules=[
            {"byday": "TU", "opens_at": "10:00", "closes_at": "12:00", "description": "Drop in"},
            {"byday": "TU", "week_of_month": 1, "opens_at": "18:00", "closes_at": "20:00"},
            {"byday": "FR", "week_of_month": -1, "opens_at": "14:00", "valid_to": "2027-06-30",
             "except_dates": ["2026-12-25"]},
            {"byday": "WE", "week_of_month": 2}, {"byday": "WE", "week_of_month": 4},
            {"bymonthday": 15, "interval": 2, "dtstart": "2027-01-15", "opens_at": "18:00"},
            {"byday": "MO", "interval": 2, "dtstart": "2026-11-30", "valid_from": "2026-11-30"},
            {"by_appointment": True, "description": "Home visits"},
        ],
        contacts=[{"name": "Ann Persona", "title": "Organiser", "phone": "01253 111111", "email": "ann@example.org"}],
        internal_notes="staff only secret", funding_notes="funding secret",
    )  # fmt: skip
    report_waiting_time(session, full.id, 6, source="group", actor=STAFF)
    paused = make_service(
        name="Walking football", status="paused", categories=["physical-activity"], service_areas=["E06000009"],
        delivery_modes=["in-person"], schedules=[{"byday": "SA", "opens_at": "09:30", "closes_at": "11:00"}],
    )  # fmt: skip
    bare = make_service(name="Phone befriending", categories=["loneliness"], is_free=True)
    session.commit()
    return [full.id, paused.id, bare.id]


@pytest.fixture
def feed(app: Flask, published: list[int]) -> Iterator[str]:
    """The first instance's ORUK API, served by a real HTTP server on loopback."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="oruk-feed", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/api/oruk"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def test_the_root_names_the_profile_as_the_validator_reads_it(client: FlaskClient, oruk_dir: Path) -> None:
    response = client.get("/api/oruk/")
    body = response.get_json()
    openapi = json.loads((oruk_dir / "schema" / "openapi.json").read_text(encoding="utf-8"))
    root = openapi["paths"]["/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    from jsonschema import Draft202012Validator, FormatChecker

    assert list(Draft202012Validator(root, format_checker=FormatChecker()).iter_errors(body)) == []
    # The validator picks its 3.0 tests from "version" (a feed that says nothing is judged as version 1).
    assert body["version"] == "HSDS-UK-3.0"
    assert body["openapi_url"].endswith("/3.0/openapi.json") and body["profile"].startswith("https://")
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def _url_for(path: str, client: FlaskClient) -> str:
    """A real URL for an OpenAPI path: ``{id}`` becomes the id of the first item its list endpoint gives."""
    if "{id}" not in path:
        return f"/api/oruk{path}"
    listed = client.get(f"/api/oruk{path.removesuffix('/{id}')}").get_json()
    assert listed["contents"], f"{path}: its list is empty, nothing to fetch"
    return f"/api/oruk{path.replace('{id}', listed['contents'][0]['id'])}"


def test_every_endpoint_the_openapi_lists_answers_and_validates(
    client: FlaskClient, published: list[int], oruk_dir: Path
) -> None:
    openapi = json.loads((oruk_dir / "schema" / "openapi.json").read_text(encoding="utf-8"))
    checked = []
    for path, operations in openapi["paths"].items():
        if path == "/":
            continue  # the test above
        url = _url_for(path, client)
        response = client.get(url)
        assert response.status_code == 200, f"{url} answered {response.status_code}"
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        schema = operations["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        body = response.get_json()
        if "$ref" in schema:
            assert_valid(oruk_dir, schema["$ref"].removeprefix(REMOTE), body)
        else:
            item = schema["properties"]["contents"]["items"]["$ref"].removeprefix(REMOTE)
            assert_page(oruk_dir, body, item)
        checked.append(path)
    assert len(checked) == len(openapi["paths"]) - 1
    # Every listed service, fully nested, validates too (not only the first of each list).
    for service_id in published:
        body = client.get(f"/api/oruk/services/{oruk.oruk_id('service', service_id)}").get_json()
        assert_valid(oruk_dir, "compiled/service.json", body)
        errors = (
            list(validator(oruk_dir, "schedule.json").iter_errors(body["schedules"][0])) if body["schedules"] else []
        )
        assert errors == []


def _listing(service: Service) -> dict[str, Any]:
    """Every public field of a listing, its organisation's and its latest wait's, as plain values."""
    snapshot = service_snapshot(service)
    org = service.organization
    wait = service.latest_wait
    return {
        **{name: snapshot[name] for name in PUBLIC + RELATED},
        "organization": {name: getattr(org, name) for name in ORGANISATION},
        "wait": (wait.weeks, wait.reported_at.replace(microsecond=0)) if wait else None,
    }


def _imported(other: Flask, feed: str, ids: list[int]) -> tuple[Any, dict[int, Service]]:
    source = ensure_source(db.session, name="the other directory", kind="oruk", url=feed)
    db.session.commit()
    run = run_source(db.session, source, {**other.config, "IMPORT_ALLOW_PRIVATE": True}, started_by="test")
    links = {
        link.external_id: link.entity_id
        for link in db.session.query(ExternalRecord).filter_by(entity_type="service", source_id=source.id)
    }
    return run, {i: db.session.get(Service, links[oruk.oruk_id("service", i)]) for i in ids}


def test_a_fresh_instance_imports_the_feed_over_http_with_every_public_field_equal(
    feed: str, published: list[int], session: Any, backend: str, tmp_path: Path
) -> None:
    originals = {i: _listing(session.get(Service, i)) for i in published}
    public_count = session.query(Service).filter(Service.status != "archived").count()
    assert originals[published[0]]["schedules"][1]["week_of_month"] == 1  # the rules under test are there
    with built_app(backend, tmp_path / "second") as other, other.app_context():
        run, copies = _imported(other, feed, published)
        # Every listing the first instance publishes (earlier tests in this module add theirs) comes in.
        assert (run.status, run.created, run.rejected_count) == ("succeeded", public_count, 0), run.rejected
        for service_id in published:
            copy = _listing(copies[service_id])
            for field, value in originals[service_id].items():
                assert copy[field] == value, f"service {service_id}, {field}: {copy[field]!r} != {value!r}"
        # The same feed again changes nothing.
        again, _ = _imported(other, feed, published)
        assert (again.status, again.created, again.updated) == ("succeeded", 0, 0)
        db.session.remove()


def test_the_fresh_instance_keeps_the_places_coordinates_and_areas(
    feed: str, published: list[int], session: Any, backend: str, tmp_path: Path
) -> None:
    places = sorted(session.get(Service, published[0]).locations, key=lambda p: p.id)
    want = [(p.latitude, p.longitude, p.lad_code, p.lsoa_code) for p in places]
    assert all(lat is not None and lad is not None for lat, _, lad, _ in want)
    with built_app(backend, tmp_path / "second") as other, other.app_context():
        _, copies = _imported(other, feed, published)
        got = [(p.latitude, p.longitude, p.lad_code, p.lsoa_code) for p in sorted(copies[published[0]].locations,
                                                                                  key=lambda p: p.id)]  # fmt: skip
        db.session.remove()
    # A fresh instance has no postcode table: the points and the areas it has are the ones the feed carried.
    assert got == want


def test_area_codes_in_a_feed_are_checked_and_a_bad_one_named() -> None:
    assert area_codes({"lsoa_code": "E01012681", "lad_code": "E06000009"}) == (
        {"lsoa_code": "E01012681", "lad_code": "E06000009"},
        [],
    )
    kept, refused = area_codes({"lsoa_code": "<script>", "lad_code": "W06000015"})
    assert kept == {}
    assert ["'<script>'" in refused[0], "'W06000015'" in refused[1]] == [True, True]
    assert area_codes("E01012681") == ({}, [])


def test_the_feed_carries_the_places_coordinates(client: FlaskClient, published: list[int]) -> None:
    """This side's half of the coordinates round trip: every place with a point goes out with it."""
    body = client.get(f"/api/oruk/services/{oruk.oruk_id('service', published[0])}").get_json()
    points = [(p["location"]["latitude"], p["location"]["longitude"]) for p in body["service_at_locations"]]
    assert points == [(53.8175, -3.0525), (53.8162, -3.0251)]
