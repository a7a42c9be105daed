"""Every route × every role: the expected allow or deny, including group editors of another organisation.

Adding a route without adding it to ACCESS fails test_every_route_has_a_policy.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from directory.core.db import db
from directory.listings import operations
from tests.conftest import STAFF, csrf_token, sign_in

PUBLIC, SIGNED_IN, STAFF_ONLY, ADMIN, OWNER_OR_STAFF = "public", "signed-in", "staff", "admin", "owner-or-staff"
MANAGERS, GROUP_LINK = "managers", "group-link"  # community development and admins; a group's edit-link session
ROLES = ("anonymous", "group-editor-a", "group-editor-b", "link-worker", "community-development", "admin")
ALLOWED = {
    PUBLIC: set(ROLES),
    SIGNED_IN: set(ROLES) - {"anonymous"},
    STAFF_ONLY: {"link-worker", "community-development", "admin"},
    ADMIN: {"admin"},
    OWNER_OR_STAFF: {"group-editor-a", "link-worker", "community-development", "admin"},
    MANAGERS: {"community-development", "admin"},
    GROUP_LINK: set(),  # only a group contact signed in by an edit link, which no account here is
}

ACCESS: dict[str, str] = {
    "static": PUBLIC,
    "health.healthz": PUBLIC,
    "accounts.login": PUBLIC,
    "accounts.logout": PUBLIC,
    "public.index": PUBLIC,
    "public.api_search": PUBLIC,
    "public.service": PUBLIC,
    "public.organization": PUBLIC,
    "public.referral_form": PUBLIC,  # forms of live listings; older versions' files for staff (tested elsewhere)
    "services.dashboard": SIGNED_IN,
    "services.create": STAFF_ONLY,
    "services.detail": OWNER_OR_STAFF,
    "services.edit": OWNER_OR_STAFF,
    "services.history": OWNER_OR_STAFF,
    "services.archive": STAFF_ONLY,
    "services.unarchive": STAFF_ONLY,
    "services.restore": OWNER_OR_STAFF,
    "services.waiting_time": OWNER_OR_STAFF,
    "verification.report": STAFF_ONLY,
    "organisations.index": STAFF_ONLY,
    "organisations.create": STAFF_ONLY,
    "organisations.edit": OWNER_OR_STAFF,
    "organisations.history": OWNER_OR_STAFF,
    "organisations.archive": STAFF_ONLY,
    "organisations.unarchive": STAFF_ONLY,
    "categories.manage": ADMIN,
    "accounts.users": ADMIN,
    "synonyms.manage": ADMIN,
    "basket.show": STAFF_ONLY,
    "basket.add": STAFF_ONLY,
    "basket.remove": STAFF_ONLY,
    "basket.clear": STAFF_ONLY,
    "basket.sheet": STAFF_ONLY,
    "gaps.map_page": STAFF_ONLY,
    "gaps.table": STAFF_ONLY,
    "gaps.area": STAFF_ONLY,
    "gaps.funding_risk": STAFF_ONLY,
    "gaps.score": STAFF_ONLY,
    "gaps.asset": PUBLIC,  # Leaflet's own files
    "backlog.pii_check": STAFF_ONLY,
    "backlog.flag": STAFF_ONLY,
    "backlog.board": STAFF_ONLY,
    "backlog.items": STAFF_ONLY,
    "backlog.item": STAFF_ONLY,
    "backlog.summary": STAFF_ONLY,
    "backlog.comment": STAFF_ONLY,
    "backlog.move": MANAGERS,
    "backlog.assign": MANAGERS,
    "backlog.merge": MANAGERS,
    "backlog.split": MANAGERS,
    "groups.enter": PUBLIC,  # the secret token is the permission
    "groups.enter_link": PUBLIC,  # the token kept in the session is the permission
    "verification.confirm": PUBLIC,
    "verification.stopped": PUBLIC,
    "verification.unsubscribe": PUBLIC,
    "verification.confirm_held": PUBLIC,  # the one-click tokens kept in the session are the permission
    "verification.stopped_held": PUBLIC,
    "verification.unsubscribe_held": PUBLIC,
    "renewals.new_link": PUBLIC,  # an old link is the permission; the new one goes to a listed address only
    "groups.sign_out": PUBLIC,
    "groups.home": PUBLIC,  # without an edit-link session: how to get one
    "groups.edit_service": GROUP_LINK,
    "group_services.add_service": GROUP_LINK,
    "groups.report_wait": GROUP_LINK,
    "groups.pause": GROUP_LINK,
    "groups.running_again": GROUP_LINK,
    "groups.invite": STAFF_ONLY,
    "groups.revoke": STAFF_ONLY,
    "groups.review_queue": STAFF_ONLY,
    "groups.approve": STAFF_ONLY,
    "groups.reject": STAFF_ONLY,
    "verification.follow_ups": STAFF_ONLY,
    "verification.resolve": STAFF_ONLY,
    "jobs.job_log": ADMIN,
    "groups.request_listing": PUBLIC,
    "groups.listing_requests_queue": STAFF_ONLY,
    "groups.approve_listing_request": STAFF_ONLY,
    "groups.decline_listing_request": STAFF_ONLY,
    "groups.edit_organisation": GROUP_LINK,
    "claims.claim": PUBLIC,  # the public "is this your group?" form; it changes no listing
    "claims.queue": STAFF_ONLY,
    "claims.approve": STAFF_ONLY,
    "claims.decline": STAFF_ONLY,
    "imports.sources": ADMIN,
    "imports.run": ADMIN,
    "imports.report": ADMIN,
    "imports.spreadsheet": ADMIN,
    "imports.confirm": ADMIN,
    "imports.merges": ADMIN,
    "oruk.meta": PUBLIC,
    "oruk.services": PUBLIC,
    "oruk.service": PUBLIC,
    "oruk.taxonomy": PUBLIC,
    "oruk.taxonomies": PUBLIC,
    "oruk.taxonomy_terms": PUBLIC,
    "oruk.taxonomy_term": PUBLIC,
    "oruk.service_at_locations": PUBLIC,
    "oruk.service_at_location_one": PUBLIC,
    "oruk.export_csv": PUBLIC,
    "oruk.export_geojson": PUBLIC,
}


@pytest.fixture(scope="module")
def world(app: Flask) -> Iterator[dict[str, Any]]:
    """Organisation A (with a service and its revisions) and B, and one signed-in session per role."""
    from directory.accounts.users import create_user
    from tests.conftest import PASSWORD

    with app.app_context():
        org_a = operations.create(db.session, "organization", {"name": "Org A"}, STAFF)
        org_b = operations.create(db.session, "organization", {"name": "Org B"}, STAFF)
        service = operations.create(db.session, "service", {"organization_id": org_a.id, "name": "A's group"}, STAFF)
        operations.update(db.session, "service", service.id, {"name": "A's club"}, expected_version=1, actor=STAFF)
        revision = operations.history(db.session, "service", service.id)[-1]
        ids = {"service_id": service.id, "organization_id": org_a.id, "revision_id": revision.id}
        accounts = {
            "group-editor-a": ("group-editor", org_a.id),
            "group-editor-b": ("group-editor", org_b.id),
            "link-worker": ("link-worker", None),
            "community-development": ("community-development", None),
            "admin": ("admin", None),
        }
        emails = {}
        for name, (role, organization_id) in accounts.items():
            email = f"matrix-{name}@example.org"
            create_user(db.session, email_address=email, role=role, password=PASSWORD, organization_id=organization_id)
            emails[name] = email
        db.session.commit()
    sessions: dict[str, str | None] = {"anonymous": None}
    for name, email in emails.items():
        client = app.test_client()
        assert sign_in(client, email).status_code == 302
        cookie = client.get_cookie("session")
        assert cookie is not None
        sessions[name] = cookie.value
    yield {"ids": ids, "sessions": sessions}


def _client(app: Flask, session_cookie: str | None) -> FlaskClient:
    client = app.test_client()
    if session_cookie is not None:
        client.set_cookie("session", session_cookie)
    return client


def _routes(app: Flask) -> list[tuple[str, str, str]]:
    found = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, rule.rule))
    return sorted(found)


def test_every_route_has_a_policy(app: Flask) -> None:
    missing = sorted({endpoint for endpoint, _m, _r in _routes(app)} - set(ACCESS))
    assert missing == [], f"add these endpoints to ACCESS with their policy: {missing}"


def _outcome(endpoint: str, response: Any) -> str:
    assert response.status_code < 500, f"server error {response.status_code}"
    if response.status_code == 401 and endpoint == "accounts.login":
        return "allow"  # the sign-in form answering "those details do not match"
    if response.status_code in (401, 403):
        return "deny"
    if response.status_code == 302 and response.headers["Location"].startswith("/login"):
        return "deny"
    return "allow"


@pytest.mark.parametrize("role", ROLES)
def test_each_route_allows_exactly_the_roles_it_should(app: Flask, world: dict[str, Any], role: str) -> None:
    wrong = []
    # Signing out ends the session this matrix signed the role in with (and any copy of its cookie): probe it last.
    for endpoint, method, rule in sorted(_routes(app), key=lambda route: route[0] == "accounts.logout"):
        if endpoint == "static":
            continue
        path = rule
        values = {**world["ids"], "filename": "leaflet.js", "package": "leaflet", "code": "E01012671",
                  "token": "not-a-real-token", "item_id": 1, "change_id": 1, "link_id": 1, "follow_up_id": 1,
                  "run_id": 1, "source_id": 1, "term_id": "x", "pair_id": "x", "name": "rf-none.pdf",
                  "request_id": 999, "claim_id": 999, "taxonomy_id": "x"}  # fmt: skip
        for name, value in values.items():
            path = (path.replace(f"<int:{name}>", str(value)).replace(f"<path:{name}>", str(value))
                    .replace(f"<{name}>", str(value)))  # fmt: skip
        assert "<" not in path, f"no test value for a parameter of {rule}"
        client = _client(app, world["sessions"][role])
        if method == "GET":
            response = client.get(path)
        else:
            # A real token for this session, and no other data: a permitted request fails validation
            # or is refused as stale, so the matrix changes nothing.
            token = csrf_token(client, "/login")
            response = client.open(path, method=method, data={"csrf_token": token}, json=None)
        expected = "allow" if role in ALLOWED[ACCESS[endpoint]] else "deny"
        got = _outcome(endpoint, response)
        response.close()
        if got != expected:
            wrong.append(f"{method} {path}: expected {expected}, got {response.status_code}")
    assert wrong == []
