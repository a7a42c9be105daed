"""A signed-in group adds another service to its own organisation: staff check it first, like a public request."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from directory.core.clock import utcnow
from directory.core.writes import Actor
from directory.groups import links as groups
from directory.listings import operations
from directory.models import Organization, Service
from directory.models.groups import ListingRequest
from tests.conftest import html, table_dumps
from tests.mailbox import db_session, make_listing, staff_client, submit

pytestmark = pytest.mark.both_backends

STAFF = Actor(label="staff: test", source="staff")
CONTACT = "sam@bispham-knitters.example.org"
NEW = {
    "service_name": "Saturday lampwick club", "description": "Bring a broken lamp; we mend it together.",
    "categories": ["arts-crafts", "loneliness"], "when": "First Saturday of the month, 10am to 1pm",
    "address": "Church hall, Red Bank Road", "postcode": "fy2 9hz", "contact_name": "Sam", "phone": "01253 123456",
}  # fmt: skip


def _organization_of(app: Flask, service_id: int) -> int:
    with db_session(app) as session:
        return int(session.get_one(Service, service_id).organization_id)


def _signed_in(app: Flask, organization_id: int, *, days: int = 14) -> tuple[FlaskClient, int]:
    """A contact who opened a real edit link and pressed its button; returns the client and the link's row id."""
    with db_session(app) as session:
        token, row = groups.invite(session, organization_id, CONTACT, created_by="staff: test", days=days)
        session.commit()
        row_id = row.id
    client = app.test_client()
    assert submit(client, f"/group/link/{token}").status_code == 302
    return client, row_id


def _add_path(organization_id: int) -> str:
    return f"/group/organisations/{organization_id}/services/new"


def _send(client: FlaskClient, organization: int, **changes: Any) -> Any:
    page = html(client.get(_add_path(organization)))
    token = page.find("input", {"name": "csrf_token"})["value"]
    return client.post(_add_path(organization), data={"csrf_token": token, **NEW, **changes})


def _staff_decides(app: Flask, service_name: str, form_number: int, **data: str) -> Any:
    staff = staff_client(app, "link-worker")
    row = next(tr for tr in html(staff.get("/staff/listing-requests")).select("tbody tr")
               if service_name in tr.get_text())  # fmt: skip
    assert "already listed: the service is added to it" in row.get_text()
    form = row.find_all("form")[form_number]
    token = form.find("input", {"name": "csrf_token"})["value"]
    response = staff.post(form["action"], data={"csrf_token": token, **data})
    assert response.status_code == 302
    return html(staff.get(response.headers["Location"])).get_text(" ", strip=True)


def _count(app: Flask, model: Any) -> int:
    with db_session(app) as session:
        return int(session.scalar(select(func.count()).select_from(model)))


def _found(app: Flask, words: str) -> list[str]:
    """The names of the services a public search finds."""
    return [a.get_text(strip=True) for a in html(app.test_client().get(f"/?q={words}")).select("li.result h3 a")]


def test_a_group_adds_a_service_that_staff_list_under_its_own_organisation(app: Flask) -> None:
    organization_id = _organization_of(app, make_listing(app, name="Thursday knit and natter"))
    contact, _ = _signed_in(app, organization_id)
    home = html(contact.get("/group/"))
    button = home.find("a", string="Add another service")
    assert button is not None and button["href"] == _add_path(organization_id)
    form_page = html(contact.get(button["href"]))
    organisation_name = form_page.find("h1").get_text()
    assert organisation_name.startswith("Add another service to Group ")
    assert form_page.find("input", {"name": "organization_name"}) is None  # shown, never typed
    organizations_before = _count(app, Organization)

    sent = _send(contact, organization_id, service_name="Saturday lampwick club")
    assert sent.status_code == 303 and sent.headers["Location"].endswith("/group/#sent-for-checking")
    waiting = html(contact.get("/group/")).find(id="sent-for-checking").get_text(" ", strip=True)
    assert "Saturday lampwick club : sent for checking" in waiting
    assert _found(app, "lampwick") == []  # nothing is live before staff check it

    assert "Listed Saturday lampwick club" in _staff_decides(app, "Saturday lampwick club", 0)
    with db_session(app) as session:
        service = session.scalars(select(Service).where(Service.name == "Saturday lampwick club")).one()
        assert service.organization_id == organization_id
        assert [t.code for t in service.categories] == ["arts-crafts", "loneliness"]
        assert service.locations[0].postcode == "FY2 9HZ"
        assert service.verified_how == "group-edited" and service.verified_by.startswith("staff: ")
        [revision] = operations.history(session, "service", service.id)
        assert revision.source == "group" and revision.actor.startswith(f"group: {CONTACT} (approved by staff: ")
        request = session.scalars(select(ListingRequest).where(ListingRequest.service_id == service.id)).one()
        assert (request.status, request.organization_id) == ("approved", organization_id)
    assert _count(app, Organization) == organizations_before  # attached, not a new or matched organisation
    assert _found(app, "lampwick") == ["Saturday lampwick club"]
    home = html(contact.get("/group/"))
    assert home.find(id="sent-for-checking") is None
    assert [h.get_text() for h in home.select(".group-listing h2")] == [
        "Saturday lampwick club",
        "Thursday knit and natter",
    ]


def test_a_declined_service_says_so_plainly_and_nothing_is_listed(app: Flask) -> None:
    organization_id = _organization_of(app, make_listing(app))
    contact, _ = _signed_in(app, organization_id)
    assert _send(contact, organization_id, service_name="Gym membership offer").status_code == 303
    assert "Declined" in _staff_decides(app, "Gym membership offer", 1, reason="We list free community groups.")
    said = html(contact.get("/group/")).find(id="sent-for-checking").get_text(" ", strip=True)
    assert "Gym membership offer : not listed. Our reason, on" in said and "We list free community groups." in said
    with db_session(app) as session:
        assert session.scalars(select(Service).where(Service.name == "Gym membership offer")).all() == []
        request = session.scalars(select(ListingRequest).where(ListingRequest.service_name == "Gym membership offer"))
        assert request.one().status == "rejected"  # kept, with its reason
    mail = Path(app.instance_path) / "mail"
    assert any("We list free community groups." in p.read_text(errors="ignore") for p in mail.glob("*"))


def test_bad_input_names_each_field_by_its_label_keeps_what_was_typed_and_changes_nothing(app: Flask) -> None:
    organization_id = _organization_of(app, make_listing(app))
    contact, _ = _signed_in(app, organization_id)
    with db_session(app) as session:
        before = dict(table_dumps(session))
    response = _send(contact, organization_id, service_name="", postcode="nowhere", categories=["no-such-need"])
    assert response.status_code == 422
    page = html(response)
    summary = page.find(class_="error-summary").get_text(" ", strip=True)
    assert "What you run (for example: Tuesday knit and natter):" in summary
    assert "Postcode:" in summary
    assert page.find("textarea", {"name": "description"}).get_text() == NEW["description"]
    assert page.find("input", {"name": "postcode"})["value"] == "nowhere"
    assert page.find("input", {"name": "when"})["value"] == NEW["when"]
    with db_session(app) as session:
        assert dict(table_dumps(session)) == before
    unknown = _send(contact, organization_id, categories=["no-such-need"])
    assert unknown.status_code == 422
    assert (
        "Needs it helps with: Unknown categories: no-such-need."
        in html(unknown).find(class_="error-summary").get_text()
    )
    with db_session(app) as session:
        assert dict(table_dumps(session)) == before


def test_another_organisations_sign_in_cannot_add_to_this_one(app: Flask) -> None:
    ours = _organization_of(app, make_listing(app))
    theirs = _organization_of(app, make_listing(app))
    contact, _ = _signed_in(app, theirs)
    token = html(contact.get("/group/")).find("input", {"name": "csrf_token"})["value"]
    requests_before = _count(app, ListingRequest)
    assert contact.get(_add_path(ours)).status_code == 404
    assert contact.post(_add_path(ours), data={"csrf_token": token, **NEW}).status_code == 404
    # Naming the other organisation in the form changes nothing: the sign-in decides where it goes.
    assert _send(contact, theirs, organization_id=str(ours), organization_name="Ours").status_code == 303
    with db_session(app) as session:
        [request] = session.scalars(select(ListingRequest).order_by(ListingRequest.id.desc()).limit(1))
        assert request.organization_id == theirs and request.organization_name != "Ours"
    assert _count(app, ListingRequest) == requests_before + 1


def test_an_expired_or_withdrawn_sign_in_cannot_add_and_nor_can_a_forged_form(app: Flask) -> None:
    organization_id = _organization_of(app, make_listing(app))
    contact, link_id = _signed_in(app, organization_id)
    token = html(contact.get(_add_path(organization_id))).find("input", {"name": "csrf_token"})["value"]
    requests_before = _count(app, ListingRequest)
    assert contact.post(_add_path(organization_id), data=NEW).status_code == 400  # no CSRF token
    hours = app.config["GROUP_SESSION_HOURS"]
    with time_machine.travel(utcnow() + timedelta(hours=hours, minutes=1), tick=False):
        assert contact.post(_add_path(organization_id), data={"csrf_token": token, **NEW}).status_code == 403
    other, other_link = _signed_in(app, organization_id)
    with db_session(app) as session:
        groups.revoke(session, other_link, by="staff: test")
        session.commit()
    assert other.get(_add_path(organization_id)).status_code == 403
    assert app.test_client().get(_add_path(organization_id)).status_code == 403  # never signed in
    assert _count(app, ListingRequest) == requests_before
    assert link_id != other_link


def test_staff_cannot_add_to_an_organisation_archived_since_and_the_request_waits(app: Flask) -> None:
    service_id = make_listing(app)
    organization_id = _organization_of(app, service_id)
    contact, _ = _signed_in(app, organization_id)
    assert _send(contact, organization_id, service_name="Late request").status_code == 303
    with db_session(app) as session:
        version = session.get_one(Organization, organization_id).version
        operations.archive(session, "organization", organization_id, expected_version=version, actor=STAFF)
        session.commit()
    assert "is archived: restore it before adding Late request" in _staff_decides(app, "Late request", 0)
    with db_session(app) as session:
        request = session.scalars(select(ListingRequest).where(ListingRequest.service_name == "Late request")).one()
        assert request.status == "waiting"
