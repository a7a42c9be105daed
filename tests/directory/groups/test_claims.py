"""Groups claim a listing staff created: the public form, staff's decision by real email, and the link's scope."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from sqlalchemy import select

from directory.core.outbox import OutboundMail
from directory.core.writes import Actor
from directory.jobs.registry import run_job
from directory.listings import operations
from directory.models import Organization, Revision, Service
from directory.models.groups import GroupToken, ListingClaim
from tests.conftest import built_app, html, table_dumps
from tests.mailbox import (
    Mailbox,
    db_session,
    free_port,
    link_to,
    make_listing,
    smtp_mailbox,
    staff_client,
    submit,
    text_and_html,
)

STAFF = Actor(label="staff: seed@example.org", source="staff")
CLAIM = {"contact_name": "Jean Ashworth", "email": "jean@knitters.example.org", "role": "Organiser",
         "message": "I run the Thursday sessions; ring the hall on 01253 123456."}  # fmt: skip


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    with smtp_mailbox() as box:
        yield box


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, backend: str, mailbox: Mailbox) -> Iterator[Flask]:
    config = {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": mailbox.port, "PUBLIC_URL": "http://directory.test",
              "MAIL_CONTACT": "The Blackpool directory team, 01253 000000"}  # fmt: skip
    with built_app(backend, tmp_path_factory.mktemp("instance"), **config) as app:
        yield app


@pytest.fixture(autouse=True)
def _empty_mailbox(mailbox: Mailbox) -> None:
    mailbox.clear()


def organisation_of(app: Flask, service_id: int) -> Organization:
    with db_session(app) as session:
        organization = session.get_one(Service, service_id).organization
        session.expunge(organization)
        return organization


def claim_form(client: Any, organization_id: int, **overrides: str) -> Any:
    return submit(client, f"/organisations/{organization_id}/claim", {**CLAIM, **overrides})


def claims_of(app: Flask, organization_id: int) -> list[ListingClaim]:
    with db_session(app) as session:
        found = list(session.scalars(select(ListingClaim).where(ListingClaim.organization_id == organization_id)))
        for claim in found:
            session.expunge(claim)
        return found


def decide(staff: Any, claim_id: int, decision: str, changes: dict[str, str] | None = None) -> Any:
    page = html(staff.get("/staff/listing-claims"))
    form = page.find("form", action=f"/staff/listing-claims/{claim_id}/{decision}")
    assert form is not None, f"the queue offers to {decision} claim {claim_id}"
    return submit(staff, "/staff/listing-claims", changes, form_index=list(page.select("main form")).index(form))


def test_public_listing_pages_offer_to_claim_the_organisation(app: Flask) -> None:
    service_id = make_listing(app)
    organization_id = organisation_of(app, service_id).id
    expected = f"/organisations/{organization_id}/claim"
    for path in (f"/organisations/{organization_id}", f"/services/{service_id}"):
        link = html(app.test_client().get(path)).find("a", href=expected)
        assert link is not None, path
        assert link.get_text(strip=True) == "Is this your group? Ask to manage this listing"
    form = html(app.test_client().get(expected)).select_one("main form")
    assert [field["name"] for field in form.select("input, textarea") if field.get("type") != "hidden"] == [
        "contact_name", "email", "role", "message",
    ]  # fmt: skip


@pytest.mark.both_backends
def test_a_claim_waits_for_staff_and_changes_no_listing(app: Flask) -> None:
    organization_id = organisation_of(app, make_listing(app)).id
    with db_session(app) as session:
        before = {table: rows for table, rows in table_dumps(session) if table != "listing_claim"}
    response = claim_form(app.test_client(), organization_id)
    assert response.status_code == 200
    assert "Thank you" in html(response).get_text()
    with db_session(app) as session:
        after = {table: rows for table, rows in table_dumps(session) if table != "listing_claim"}
    assert after == before
    [claim] = claims_of(app, organization_id)
    assert (claim.status, claim.contact_name, claim.email, claim.role) == (
        "pending", "Jean Ashworth", "jean@knitters.example.org", "Organiser",
    )  # fmt: skip
    assert claim.message.startswith("I run the Thursday sessions")
    assert claim.decided_at is None and claim.token_id is None


@pytest.mark.both_backends
def test_a_second_claim_from_the_same_address_is_refused_with_a_clear_message(app: Flask) -> None:
    organization_id = organisation_of(app, make_listing(app)).id
    assert claim_form(app.test_client(), organization_id).status_code == 200
    again = claim_form(app.test_client(), organization_id, email="JEAN@knitters.example.org", role="Secretary")
    assert again.status_code == 409
    summary = html(again).find(class_="error-summary").get_text(" ", strip=True)
    assert "already asked to manage" in summary and "still waiting" in summary
    assert len(claims_of(app, organization_id)) == 1
    # Someone else may ask for the same group, and the same person for another group.
    assert claim_form(app.test_client(), organization_id, email="pat@knitters.example.org").status_code == 200
    other = organisation_of(app, make_listing(app)).id
    assert claim_form(app.test_client(), other).status_code == 200
    assert len(claims_of(app, organization_id)) == 2 and len(claims_of(app, other)) == 1


def test_a_bad_claim_names_each_problem_and_keeps_nothing(app: Flask) -> None:
    organization_id = organisation_of(app, make_listing(app)).id
    response = claim_form(app.test_client(), organization_id, contact_name="", email="not-an-email", role=" ")
    assert response.status_code == 422
    summary = html(response).find(class_="error-summary").get_text(" ", strip=True)
    # Each problem by the label the reader sees, never the field's name in the code.
    assert "Your name:" in summary and "Your email address:" in summary and "How you are connected" in summary
    assert claims_of(app, organization_id) == []


def test_an_archived_or_unknown_organisation_cannot_be_claimed(app: Flask) -> None:
    organization = organisation_of(app, make_listing(app))
    with db_session(app) as session:
        operations.archive(session, "organization", organization.id, expected_version=organization.version, actor=STAFF)
        session.commit()
    assert app.test_client().get(f"/organisations/{organization.id}/claim").status_code == 404
    assert app.test_client().get("/organisations/999999/claim").status_code == 404


@pytest.mark.both_backends
def test_approval_emails_an_edit_link_that_opens_only_that_organisation(app: Flask, mailbox: Mailbox) -> None:
    service_id = make_listing(app, name="Thursday knit and natter")
    organization = organisation_of(app, service_id)
    assert organization.email is None
    other_service = make_listing(app, name="Someone else's group")
    other = organisation_of(app, other_service)
    claim_form(app.test_client(), organization.id)
    [claim] = claims_of(app, organization.id)

    staff = staff_client(app, "community-development")
    name = html(staff.get("/staff/listing-claims")).find("a", string=organization.name)
    assert name is not None and "No email on file" in name.find_parent("td").get_text()
    assert decide(staff, claim.id, "approve").status_code == 303

    [message] = mailbox.wait_for(1)
    assert mailbox.recipients == [["jean@knitters.example.org"]]
    assert message["Message-ID"].startswith(f"<mail-claim-link.{claim.id}@")  # sent through the outbox, keyed
    text, body = text_and_html(message)
    assert "Jean Ashworth" in text and "Thank you for asking to manage" in text and organization.name in body
    assert "The Blackpool directory team, 01253 000000" in text
    [approved] = claims_of(app, organization.id)
    assert approved.status == "approved" and approved.decided_by.startswith("staff: ")
    assert approved.decided_at is not None
    with db_session(app) as session:
        link = session.get_one(GroupToken, approved.token_id)
        assert (link.kind, link.organization_id, link.email) == ("edit", organization.id, "jean@knitters.example.org")
        # The organisation had no email: the claimant's is now its contact, as a revision credited to staff.
        assert session.get_one(Organization, organization.id).email == "jean@knitters.example.org"
        revision = session.scalars(
            select(Revision).where(Revision.entity_type == "organization", Revision.entity_id == organization.id)
            .order_by(Revision.id.desc())
        ).first()  # fmt: skip
        assert revision is not None and revision.source == "staff" and revision.actor == approved.decided_by
        assert revision.action == f"claim {claim.id} approved"
        assert revision.changed_fields == ["email"]

    contact = app.test_client()
    assert submit(contact, link_to(message, "/group/link/")).status_code == 302
    assert "Thursday knit and natter" in html(contact.get("/group/")).get_text()
    assert contact.get(f"/group/services/{service_id}/edit").status_code == 200
    assert contact.get(f"/group/organisations/{organization.id}/edit").status_code == 200
    assert contact.get(f"/group/services/{other_service}/edit").status_code == 404
    assert contact.get(f"/group/organisations/{other.id}/edit").status_code == 404

    token = html(staff.get("/staff/listing-claims")).find("input", {"name": "csrf_token"})["value"]
    again = staff.post(f"/staff/listing-claims/{claim.id}/approve", data={"csrf_token": token})
    assert again.status_code == 303
    assert "already approved" in html(staff.get(again.headers["Location"])).get_text()
    assert len(mailbox.messages) == 1


def test_approval_keeps_an_organisation_email_that_is_already_there(app: Flask, mailbox: Mailbox) -> None:
    organization = organisation_of(app, make_listing(app))
    with db_session(app) as session:
        operations.update(session, "organization", organization.id, {"email": "office@group.example.org"},
                          expected_version=organization.version, actor=STAFF)  # fmt: skip
        session.commit()
        revisions = len(operations.history(session, "organization", organization.id))
    claim_form(app.test_client(), organization.id)
    [claim] = claims_of(app, organization.id)
    assert decide(staff_client(app, "admin"), claim.id, "approve").status_code == 303
    mailbox.wait_for(1)
    with db_session(app) as session:
        assert session.get_one(Organization, organization.id).email == "office@group.example.org"
        assert len(operations.history(session, "organization", organization.id)) == revisions


def test_declining_emails_the_reason_and_keeps_the_claim(app: Flask, mailbox: Mailbox) -> None:
    organization = organisation_of(app, make_listing(app))
    claim_form(app.test_client(), organization.id, email="chancer@example.org")
    [claim] = claims_of(app, organization.id)
    staff = staff_client(app, "link-worker")
    assert decide(staff, claim.id, "decline", {"reason": ""}).status_code == 303
    assert claims_of(app, organization.id)[0].status == "pending"  # a reason is required
    why = "The group's secretary tells us you are not part of the group."
    assert decide(staff, claim.id, "decline", {"reason": why}).status_code == 303
    [message] = mailbox.wait_for(1)
    assert mailbox.recipients == [["chancer@example.org"]]
    text, body = text_and_html(message)
    assert why in text and why in BeautifulSoup(body, "html.parser").get_text() and organization.name in text
    [declined] = claims_of(app, organization.id)
    assert (declined.status, declined.reason, declined.token_id) == ("declined", why, None)
    with db_session(app) as session:
        assert session.scalars(select(GroupToken).where(GroupToken.email == "chancer@example.org")).all() == []
        assert session.get_one(Organization, organization.id).email is None
    # Declined, so the same person may ask again later (for instance with the secretary's backing).
    assert claim_form(app.test_client(), organization.id, email="chancer@example.org").status_code == 200


def test_a_mail_failure_on_approval_keeps_the_link_in_the_outbox_and_the_job_sends_it_once(tmp_path: Path) -> None:
    port = free_port()
    with built_app("sqlite", tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_TIMEOUT=2) as down:
        organization = organisation_of(down, make_listing(down))
        claim_form(down.test_client(), organization.id)
        [claim] = claims_of(down, organization.id)
        staff = staff_client(down, "admin")
        response = decide(staff, claim.id, "approve")
        said = html(staff.get(response.headers["Location"])).get_text(" ")
        assert "could not be sent just now" in said and "tried again automatically" in said
        [approved] = claims_of(down, organization.id)
        assert approved.status == "approved" and approved.token_id is not None
        with db_session(down) as session:
            [row] = session.scalars(select(OutboundMail)).all()
            assert (row.key, row.status, row.attempts) == (f"claim-link:{claim.id}", "failed", 1)
            assert "Could not send email" in row.error

        with smtp_mailbox(Mailbox(port)) as box:  # the mail server is back
            assert run_job(down, "outbox", trigger="test").counts == {"sent": 1}
            assert run_job(down, "outbox", trigger="test").counts == {}
            [message] = box.wait_for(1)
            assert box.recipients == [[CLAIM["email"]]]
            assert message["Message-ID"].startswith(f"<mail-claim-link.{claim.id}@")
            assert submit(down.test_client(), link_to(message, "/group/link/")).status_code == 302
        with db_session(down) as session:
            sent = session.scalars(select(OutboundMail)).one()
            assert (sent.status, sent.attempts, sent.body_text) == ("sent", 2, "")  # the link is not kept


def test_claim_posts_are_rate_limited_per_address(tmp_path: Path) -> None:
    with built_app("sqlite", tmp_path, RATELIMIT_ENABLED=True, LISTING_CLAIM_RATE_LIMIT="2 per minute") as limited:
        limited.config["WTF_CSRF_ENABLED"] = False
        organization_id = organisation_of(limited, make_listing(limited)).id
        client = limited.test_client()
        path = f"/organisations/{organization_id}/claim"
        codes = [client.post(path, data={"contact_name": "x"}).status_code for _ in range(3)]
        assert codes == [422, 422, 429]
        assert client.get(path).status_code == 200  # reading the form is not counted


def test_hostile_text_in_a_claim_is_kept_as_given_and_shown_inert(app: Flask) -> None:
    organization_id = organisation_of(app, make_listing(app)).id
    hostile = '<script>alert("x")</script> =SUM(A1) \u202eevil'
    assert claim_form(app.test_client(), organization_id, contact_name=hostile, message=hostile).status_code == 200
    [claim] = claims_of(app, organization_id)
    assert claim.contact_name == hostile.strip() and claim.message == hostile.strip()
    page = html(staff_client(app, "admin").get("/staff/listing-claims"))
    assert page.select("main script") == []
    assert hostile.strip() in page.find("main").get_text()


def test_a_claim_without_its_csrf_token_is_refused(app: Flask) -> None:
    organization_id = organisation_of(app, make_listing(app)).id
    response = app.test_client().post(f"/organisations/{organization_id}/claim", data=CLAIM)
    assert response.status_code == 400
    assert claims_of(app, organization_id) == []
