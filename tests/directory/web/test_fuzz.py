"""Generated hostile input into every public and staff form and the search: never a server error, a refusal
changes nothing, and what is saved comes back inert (issue 17's fuzz run)."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from bs4 import BeautifulSoup
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import csrf_token, table_dumps

HOSTILE = [
    "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "javascript:alert(1)", "=HYPERLINK(\"x\")",
    "+cmd|' /C calc'!A0", "@SUM(A1)", "-2+3", "'; DROP TABLE service; --", "\x00nul", "line\r\nBcc: x@evil.example",
    "\u202eevil\u202c", "zero\u200bwidth", "e\u0301\u0301\u0301", "\U0001d518nicode", "\U0001f642" * 50,
    "x" * 10_000, "", " ", "FY1 1AA", "not-an-email", "999999999999", "0", "-1", "{{7*7}}", "${7*7}", "%s%n",
    "../../etc/passwd",
]  # fmt: skip
TEXT = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=400))
FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

REQUEST_FIELDS = (
    "organization_name", "contact_name", "email", "phone", "service_name", "description", "address", "postcode",
    "when",
)  # fmt: skip
CLAIM_FIELDS = ("contact_name", "email", "role", "message")
SERVICE_FIELDS = (
    "name", "description", "url", "email", "phone", "minimum_age", "maximum_age", "eligibility_conditions",
    "cost_description", "funder", "funded_until", "internal_notes", "languages", "service_areas",
    "locations-0-name", "locations-0-address_1", "locations-0-postcode", "schedules-0-opens_at",
    "schedules-0-description", "contacts-0-name", "contacts-0-email",
)  # fmt: skip
ORGANISATION_FIELDS = ("name", "description", "charity_number", "website", "email")
FLAG_FIELDS = ("category", "postcode", "population_group", "description")
SEARCH_FIELDS = ("q", "postcode", "radius", "category", "sort", "max_wait")


def _form(fields: tuple[str, ...]) -> st.SearchStrategy[dict[str, str]]:
    return st.fixed_dictionaries(dict.fromkeys(fields, TEXT))


def _inert(body: bytes) -> list[str]:
    """What in a page would run: an inline script without our nonce, or an on* attribute."""
    page = BeautifulSoup(body, "html.parser")
    found = [
        f"<{tag.name} {name}>" for tag in page.find_all(True) for name in tag.attrs if name.lower().startswith("on")
    ]
    found += [str(tag)[:80] for tag in page.find_all("script") if not tag.get("src") and not tag.get("nonce")]
    return found


def _post_and_check(client: FlaskClient, session: Any, path: str, form: dict[str, Any], page: str) -> None:
    token = csrf_token(client, page)
    before = dict(table_dumps(session))
    response = client.post(path, data={"csrf_token": token, **form}, content_type="multipart/form-data")
    assert response.status_code < 500, (path, form)
    if 400 <= response.status_code < 500:
        session.expire_all()
        assert dict(table_dumps(session)) == before, f"a refused {path} changed something"
    assert _inert(response.data) == [], (path, form)
    if response.status_code in (302, 303):
        shown = client.get(response.headers["Location"])
        assert shown.status_code < 500 and _inert(shown.data) == []


@pytest.fixture
def admin(signed_in: Callable[..., FlaskClient]) -> FlaskClient:
    return signed_in("admin")


@given(_form(REQUEST_FIELDS))
@FUZZ
def test_the_public_listing_request_form(client: FlaskClient, session: Any, form: dict[str, str]) -> None:
    _post_and_check(client, session, "/listings/request", {**form, "categories": ["arts-crafts"]}, "/listings/request")


@given(_form(CLAIM_FIELDS))
@FUZZ
def test_the_public_claim_form(client: FlaskClient, session: Any, make_organization: Any, form: dict[str, str]) -> None:
    organization = make_organization()
    path = f"/organisations/{organization.id}/claim"
    _post_and_check(client, session, path, form, path)


@given(_form(SERVICE_FIELDS))
@FUZZ
def test_the_staff_service_form(admin: FlaskClient, session: Any, make_organization: Any, form: dict[str, str]) -> None:
    base = {"organization_id": str(make_organization().id), "categories": ["arts-crafts"], "gender": "any",
            "capacity": "accepting", "funding_status": "funded", "status": "active", "is_free": "yes",
            "schedules-0-byday": "MO"}  # fmt: skip
    _post_and_check(admin, session, "/staff/services/new", {**base, **form}, "/staff/services/new")


@given(_form(ORGANISATION_FIELDS))
@FUZZ
def test_the_staff_organisation_form(admin: FlaskClient, session: Any, form: dict[str, str]) -> None:
    page = "/staff/organisations/new"
    _post_and_check(admin, session, page, {**form, "sector": "community"}, page)


@given(_form(("term", "alternatives")))
@FUZZ
def test_the_synonyms_form(admin: FlaskClient, session: Any, form: dict[str, str]) -> None:
    _post_and_check(admin, session, "/admin/synonyms", form, "/admin/synonyms")


@given(_form(("code", "name", "description")))
@FUZZ
def test_the_categories_form(admin: FlaskClient, session: Any, form: dict[str, str]) -> None:
    _post_and_check(admin, session, "/admin/categories", form, "/admin/categories")


@given(_form(FLAG_FIELDS))
@FUZZ
def test_the_flag_a_gap_form(signed_in: Callable[..., FlaskClient], session: Any, form: dict[str, str]) -> None:
    worker = signed_in("link-worker")
    _post_and_check(worker, session, "/flags/new", {**form, "urgency": "high"}, "/flags/new")


@given(st.binary(max_size=4_000) | st.sampled_from([b"PK\x03\x04" + b"\x00" * 100, b"Name\n" + b"x," * 5_000]))
@FUZZ
def test_the_spreadsheet_upload(admin: FlaskClient, session: Any, payload: bytes) -> None:
    token = csrf_token(admin, "/admin/imports/spreadsheet")
    before = dict(table_dumps(session))
    response = admin.post(
        "/admin/imports/spreadsheet",
        data={"csrf_token": token, "file": (io.BytesIO(payload), "fuzz.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code < 500 and _inert(response.data) == []
    session.expire_all()
    assert dict(table_dumps(session)) == before  # an upload alone writes nothing until it is confirmed


@given(_form(SEARCH_FIELDS))
@FUZZ
def test_the_search_page_and_api(client: FlaskClient, form: dict[str, str]) -> None:
    for path in ("/", "/api/search"):
        response = client.get(path, query_string=form)
        assert response.status_code < 500, form
        if path == "/":
            assert _inert(response.data) == []
