"""The ORUK 3.0 read API: every endpoint's output validates against the published compiled schemas,
and what goes out comes back in through the ORUK importer unchanged (public fields).

The schemas are read from ``DIRECTORY_ORUK_DIR`` (CI sets it to ../shared/oruk); the contract tests
skip, saying why, when it is unset. The product itself never reads them.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from directory import create_app
from directory.core.csv_cells import safe_cell
from directory.core.db import db
from directory.imports.running import run_source
from directory.imports.sources import ensure_source
from directory.listings.operations import report_waiting_time
from directory.listings.snapshots import service_snapshot
from directory.models import Postcode, Service
from directory.models.imports import ExternalRecord
from directory.ops.database import init_database
from directory.oruk import serialise as oruk
from tests.conftest import STAFF, html


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The shared test app, with the ORUK blueprint registered if the app does not yet register it."""
    instance = tmp_path_factory.mktemp("oruk")
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'o.sqlite'}",
            "SECRET_KEY": "test-only-key",
            "INSTANCE_PATH": str(instance),
        }
    )
    with app.app_context():
        init_database()
        db.session.add(Postcode(postcode_key="FY11PX", pcds="FY1 1PX", latitude=53.8175, longitude=-3.0525))
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def oruk_dir() -> Path:
    folder = os.environ.get("DIRECTORY_ORUK_DIR")
    if not folder:
        pytest.skip(
            "DIRECTORY_ORUK_DIR is not set: the ORUK contract tests need the published schemas (../shared/oruk)"
        )
    return Path(folder)


def validator(oruk_dir: Path, name: str) -> Any:
    from jsonschema import FormatChecker
    from jsonschema.validators import Draft202012Validator, validator_for

    schema = json.loads((oruk_dir / "schema" / name).read_text(encoding="utf-8"))
    cls = validator_for(schema, default=Draft202012Validator)
    return cls(schema, format_checker=FormatChecker())


def assert_valid(oruk_dir: Path, name: str, instance: Any) -> None:
    errors = sorted(validator(oruk_dir, name).iter_errors(instance), key=lambda e: list(e.path))
    assert errors == [], "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


PAGE_KEYS = {"total_items", "total_pages", "page_number", "size", "first_page", "last_page", "empty", "contents"}


def assert_page(oruk_dir: Path, body: dict[str, Any], item_schema: str | None) -> None:
    assert set(body) == PAGE_KEYS
    openapi = json.loads((oruk_dir / "schema" / "openapi.json").read_text(encoding="utf-8"))
    page_schema = openapi["components"]["schemas"]["Page"]
    from jsonschema import Draft202012Validator

    Draft202012Validator(page_schema).validate(body)
    if item_schema:
        for item in body["contents"]:
            assert_valid(oruk_dir, item_schema, item)


@pytest.fixture
def listed(make_service: Callable[..., Any], session: Any) -> Any:
    service = make_service(
        name="Knit & natter <b>",
        description='=HYPERLINK("x")',
        url="https://example.org/knit",
        email="knit@example.org",
        phone="01253 000000",
        minimum_age=18,
        maximum_age=99,
        gender="women",
        is_free=False,
        cost_description="£2 a session",
        referral_routes=["self", "gp"],
        languages=["English", "Polish"],
        accessibility=["step-free"],
        delivery_modes=["in-person"],
        capacity="waiting-list",
        funding_status="time-limited",
        funder="Lottery",
        funded_until="2027-03-31",
        categories=["arts-crafts", "loneliness"],
        service_areas=["E06000009"],
        eligibility_conditions="Adults living in Blackpool; carers welcome",
        locations=[
            {
                "name": "Central Library",
                "address_1": "Queen Street",
                "city": "Blackpool",
                "postcode": "FY1 1PX",
                "accessibility": ["Step-free entrance from Queen Street", "Hearing loop: at the front desk"],
            }
        ],
        schedules=[
            {"byday": "TU", "opens_at": "10:00", "closes_at": "12:00", "description": "Drop in"},
            {"by_appointment": True, "description": "Home visits"},
            {
                "byday": "FR",
                "week_of_month": -1,
                "opens_at": "14:00",
                "valid_to": "2027-06-30",
                "except_dates": ["2026-12-25"],
            },
            {"bymonthday": 15, "interval": 2, "dtstart": "2027-01-15", "opens_at": "18:00"},
        ],
        contacts=[{"name": "Ann Persona", "title": "Organiser", "phone": "01253 111111", "email": "ann@example.org"}],
        internal_notes="staff only secret",
        funding_notes="funding secret",
    )
    report_waiting_time(session, service.id, 6, source="group", actor=STAFF)
    session.commit()
    return service


def test_the_root_says_what_the_api_is(client: FlaskClient) -> None:
    body = client.get("/api/oruk/").get_json()
    assert body["version"] == "HSDS-UK-3.0" and body["profile"].startswith("https://")


def test_every_endpoint_validates_against_the_published_schemas(
    client: FlaskClient, listed: Any, oruk_dir: Path
) -> None:
    sid = oruk.oruk_id("service", listed.id)
    assert_valid(oruk_dir, "compiled/service.json", client.get(f"/api/oruk/services/{sid}").get_json())
    assert_page(oruk_dir, client.get("/api/oruk/services").get_json(), "compiled/service_list.json")
    assert_page(oruk_dir, client.get("/api/oruk/services?full=true&per_page=3").get_json(), "compiled/service.json")
    assert_page(oruk_dir, client.get("/api/oruk/taxonomies").get_json(), "taxonomy.json")
    terms = client.get("/api/oruk/taxonomy_terms?per_page=100").get_json()
    assert_page(oruk_dir, terms, "taxonomy_term.json")
    assert_valid(
        oruk_dir, "taxonomy_term.json", client.get(f"/api/oruk/taxonomy_terms/{terms['contents'][0]['id']}").get_json()
    )
    pairs = client.get("/api/oruk/service_at_locations?postcode=FY1 1PX&proximity=1000").get_json()
    assert_page(oruk_dir, pairs, "compiled/service_at_location_list.json")
    assert pairs["total_items"] >= 1
    assert_valid(
        oruk_dir,
        "compiled/service.json",
        client.get(f"/api/oruk/service_at_locations/{pairs['contents'][0]['id']}").get_json(),
    )


def test_only_public_fields_go_out(client: FlaskClient, listed: Any) -> None:
    text = client.get(f"/api/oruk/services/{oruk.oruk_id('service', listed.id)}").get_data(as_text=True)
    assert "staff only secret" not in text and "funding secret" not in text and "verified_by" not in text
    body = json.loads(text)
    assert body[oruk.EXTENSION]["waiting_time"]["weeks"] == 6
    assert body[oruk.EXTENSION]["capacity"] == "waiting-list"


def test_the_services_list_filters_and_pages(
    client: FlaskClient, listed: Any, make_service: Callable[..., Any]
) -> None:
    make_service(name="Walking football", categories=["physical-activity"])
    term = client.get("/api/oruk/taxonomy_terms?per_page=100").get_json()["contents"]
    arts = next(t["id"] for t in term if t["term"] == "arts-crafts")
    found = client.get(f"/api/oruk/services?taxonomy_term_id={arts}&search=natter&per_page=500").get_json()
    assert {s["name"] for s in found["contents"]} == {"Knit & natter <b>"}
    assert client.get("/api/oruk/services?taxonomy_term_id=physical-activity&search=natter").get_json()["empty"]
    org = oruk.oruk_id("organization", listed.organization_id)
    assert client.get(f"/api/oruk/services?organization_id={org}").get_json()["total_items"] == 1
    paged = client.get("/api/oruk/services?per_page=1&page=2").get_json()
    assert (paged["page_number"], paged["size"], paged["first_page"]) == (2, 1, False)
    minimal = client.get("/api/oruk/services?minimal=true").get_json()["contents"][0]
    assert set(minimal) == {"id", "last_modified"}
    assert client.get("/api/oruk/services?modified_after=2999-01-01T00:00:00Z").get_json()["empty"] is True
    assert client.get("/api/oruk/services?page=x").status_code == 400
    assert client.get("/api/oruk/services/not-an-id").status_code == 404


def test_the_csv_export_is_formula_safe(client: FlaskClient, listed: Any) -> None:
    response = client.get("/api/oruk/export/services.csv")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    row = next(r for r in rows if r["name"] == "Knit & natter <b>")
    assert row["description"] == '\'=HYPERLINK("x")'
    assert row["waiting_weeks"] == "6" and row["postcode"] == "FY1 1PX"
    assert safe_cell("+44 1253") == "'+44 1253" and safe_cell("@SUM") == "'@SUM" and safe_cell("-1") == "'-1"


def test_the_geojson_export_has_points(client: FlaskClient, listed: Any) -> None:
    body = client.get("/api/oruk/export/services.geojson").get_json()
    assert body["type"] == "FeatureCollection"
    feature = next(f for f in body["features"] if f["properties"]["name"] == "Knit & natter <b>")
    assert feature["geometry"]["coordinates"] == [-3.0525, 53.8175]


PUBLIC = [
    "name",
    "description",
    "url",
    "email",
    "phone",
    "status",
    "minimum_age",
    "maximum_age",
    "gender",
    "eligibility_conditions",
    "is_free",
    "cost_description",
    "referral_routes",
    "referral_form_url",
    "languages",
    "accessibility",
    "delivery_modes",
    "capacity",
    "funding_status",
    "funder",
    "funded_until",
    "last_verified_at",
    "categories",
    "service_areas",
    "locations",
    "schedules",
    "contacts",
]


def test_oruk_out_then_in_is_lossless_for_public_fields(
    client: FlaskClient, listed: Any, session: Any, tmp_path: Path
) -> None:
    sid = oruk.oruk_id("service", listed.id)
    payload = client.get(f"/api/oruk/services/{sid}").get_data()
    original = service_snapshot(session.get(Service, listed.id))
    original_org = session.get(Service, listed.id).organization.name
    other = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'in.sqlite'}",
            "SECRET_KEY": "x",
            "INSTANCE_PATH": str(tmp_path),
        }
    )
    with other.app_context():
        init_database()
        source = ensure_source(db.session, name="round trip", kind="oruk", url="https://example.org/api")
        run = run_source(db.session, source, {**other.config}, payloads=[payload])
        assert (run.status, run.created, run.rejected_count) == ("succeeded", 1, 0), run.rejected
        link = db.session.query(ExternalRecord).filter_by(external_id=sid, entity_type="service").one()
        imported = db.session.get(Service, link.entity_id)
        copy = service_snapshot(imported)
        assert {k: copy[k] for k in PUBLIC} == {k: original[k] for k in PUBLIC}
        assert imported.organization.name == original_org
        assert imported.latest_wait is not None and imported.latest_wait.weeks == 6
        db.engine.dispose()


EXAMPLES = ["service_full.json", "service_list.json"]


@pytest.mark.parametrize("example", EXAMPLES)
def test_the_published_examples_import_through_the_oruk_importer(
    example: str, oruk_dir: Path, session: Any, app: Flask
) -> None:
    payload = (oruk_dir / "examples" / example).read_bytes()
    source = ensure_source(session, name=f"published {example}", kind="oruk", url="https://example.org/api")
    run = run_source(session, source, {**app.config}, payloads=[payload])
    assert run.status == "succeeded", run.failure
    # The example's placeholder postcode "ABC 1234" is not a UK postcode: named, not half-imported.
    assert run.created + run.rejected_count == 1
    if run.rejected_count:
        assert "postcode" in run.rejected[0]["reason"] or "Location" in run.rejected[0]["reason"]


def test_a_web_address_with_quotes_or_brackets_is_refused_and_one_stored_earlier_goes_out_encoded(
    client: FlaskClient, signed_in: Callable[..., FlaskClient], make_service: Callable[..., Any], session: Any
) -> None:
    from sqlalchemy import update

    from directory.models import Service

    hostile = 'https://example.org/"><img/src=x/onerror=alert(1)>'
    service = make_service(name="Address test group")
    staff = signed_in("link-worker")
    page = html(staff.get(f"/staff/services/{service.id}/edit"))
    form = {field["name"]: field.get("value", "") for field in page.select("form.listing-form input[name]")}
    refused = staff.post(f"/staff/services/{service.id}/edit", data={**form, "url": hostile, "name": service.name})
    assert refused.status_code == 422 and "characters a web address cannot" in html(refused).get_text()
    # An address stored before addresses were checked strictly still goes out inert to other systems.
    session.execute(update(Service).where(Service.id == service.id).values(url=hostile))
    session.commit()
    sid = oruk.oruk_id("service", service.id)
    body = client.get(f"/api/oruk/services/{sid}").get_data(as_text=True)
    assert '"><img' not in body and "%22%3E%3Cimg" in body
    feature = client.get("/api/oruk/export/services.csv").get_data(as_text=True)
    assert '"><img' not in feature
