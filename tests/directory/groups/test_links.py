"""Group edit links: invitation by real email, single use, expiry, revocation, scope, review of held changes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from directory.core.clock import utcnow
from directory.core.writes import NotPermitted
from directory.groups import changes
from directory.groups import links as groups
from directory.models import Organization, Revision, Service, WaitingTimeReport
from directory.models.groups import GroupToken, PendingChange
from tests.conftest import built_app, html, table_dumps
from tests.mailbox import (
    Mailbox,
    db_session,
    link_to,
    make_listing,
    smtp_mailbox,
    staff_client,
    submit,
    text_and_html,
)

CONTACT = "pat@knit.example.org"


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    with smtp_mailbox() as box:
        yield box


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, backend: str, mailbox: Mailbox) -> Iterator[Flask]:
    config = {
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": mailbox.port,
        "PUBLIC_URL": "http://directory.test",
        "MAIL_CONTACT": "The Blackpool directory team, 01253 000000",
        "GROUP_REVIEW_FIELDS": "details",
    }
    with built_app(backend, tmp_path_factory.mktemp("instance"), **config) as app:
        yield app


@pytest.fixture(autouse=True)
def _empty_mailbox(mailbox: Mailbox) -> None:
    mailbox.clear()


@pytest.fixture
def listing(app: Flask) -> int:
    return make_listing(
        app,
        description="Knitting and a natter.",
        phone="01253 111111",
        contacts=[{"name": "Pat", "title": "Organiser", "phone": "", "email": CONTACT}],
    )


def service_row(app: Flask, service_id: int) -> Service:
    with db_session(app) as session:
        service = session.get(Service, service_id)
        assert service is not None
        session.expunge(service)
        return service


def organization_of(app: Flask, service_id: int) -> int:
    return service_row(app, service_id).organization_id


def invite_link(app: Flask, service_id: int, email: str = CONTACT, days: int = 14) -> str:
    """A real edit link's path, made the way staff make one (without the email)."""
    with db_session(app) as session:
        token, _ = groups.invite(session, organization_of(app, service_id), email, created_by="staff: t", days=days)
        session.commit()
    return f"/group/link/{token}"


def group_client(app: Flask, link: str) -> FlaskClient:
    client = app.test_client()
    response = submit(client, link)
    assert response.status_code == 302, html(response).get_text(" ", strip=True)
    return client


def form_index(page: Any, form: Any) -> int:
    return list(page.select("main form")).index(form)


def latest_revision(app: Flask, service_id: int) -> Revision:
    with db_session(app) as session:
        revision = session.scalars(
            select(Revision).where(Revision.entity_type == "service", Revision.entity_id == service_id)
            .order_by(Revision.id.desc())
        ).first()  # fmt: skip
        assert revision is not None
        session.expunge(revision)
        return revision


@pytest.mark.both_backends
def test_staff_invite_sends_a_real_email_whose_link_signs_the_contact_in_once(
    app: Flask, listing: int, mailbox: Mailbox
) -> None:
    staff = staff_client(app, "link-worker")
    organization_id = organization_of(app, listing)
    page = html(staff.get(f"/staff/services/{listing}"))
    form = page.find("form", action=f"/staff/organisations/{organization_id}/group-links")
    assert form is not None, "the staff service page offers to send an edit link"
    assert form.find("input", {"name": "email"})["value"] == CONTACT  # prefilled with the listing's contact
    assert submit(staff, f"/staff/services/{listing}", form_index=form_index(page, form)).status_code == 303

    [message] = mailbox.wait_for(1)
    assert mailbox.recipients == [[CONTACT]]
    text, body = text_and_html(message)
    name = _organization_name(app, organization_id)
    assert name in text and name in body
    assert "The Blackpool directory team, 01253 000000" in text  # the contact line
    path = link_to(message, "/group/link/")
    token = path.rsplit("/", 1)[1]
    assert len(token) >= 43  # 32 random bytes, URL-safe

    # Only the hash is kept: the token itself is nowhere in the database.
    with db_session(app) as session:
        stored = session.scalars(select(GroupToken).where(GroupToken.kind == "edit")).all()
        assert groups.token_hash(token) in {row.token_hash for row in stored}
        assert not any(token in dump for _, dump in table_dumps(session))

    contact = group_client(app, path)
    home = html(contact.get("/group/")).get_text(" ", strip=True)
    assert service_row(app, listing).name in home and CONTACT in home

    reused = app.test_client().get(path)  # single use: a second try (or a second person) is refused
    assert reused.status_code == 410
    assert "already used" in html(reused).get_text()


def _organization_name(app: Flask, organization_id: int) -> str:
    with db_session(app) as session:
        return str(session.get_one(Organization, organization_id).name)


def test_an_expired_link_is_refused(app: Flask, listing: int) -> None:
    link = invite_link(app, listing, days=14)
    opened = app.test_client().get(link)  # exchanged for the session: the secret leaves the address at once
    assert opened.status_code == 303 and opened.headers["Location"].startswith("/group/link?")
    assert link.rsplit("/", 1)[1] not in opened.headers["Location"]
    with time_machine.travel(utcnow() + timedelta(days=14, minutes=1), tick=False):
        response = app.test_client().get(link)
        assert submit_raw(app, link).status_code == 410
    assert response.status_code == 410
    assert "expired" in html(response).get_text()


def submit_raw(app: Flask, link: str) -> Any:
    """POST to a link without its page (as a script would), with a valid CSRF token from another page."""
    client = app.test_client()
    token = html(client.get("/login")).find("input", {"name": "csrf_token"})["value"]
    return client.post(link, data={"csrf_token": token})


def test_an_unknown_link_is_not_found_and_changes_nothing(app: Flask) -> None:
    with db_session(app) as session:
        before = dict(table_dumps(session))
    assert app.test_client().get("/group/link/not-a-real-token").status_code == 404
    response = submit_raw(app, "/group/link/not-a-real-token")
    assert response.status_code == 404
    assert "not recognised" in html(response).get_text()
    with db_session(app) as session:
        assert dict(table_dumps(session)) == before


def test_revoking_a_link_ends_the_sign_in_made_with_it(app: Flask, listing: int) -> None:
    link = invite_link(app, listing)
    contact = group_client(app, link)
    assert contact.get(f"/group/services/{listing}/edit").status_code == 200
    with db_session(app) as session:
        [row] = groups.live_links(session, organization_of(app, listing))
        row_id = row.id
    staff = staff_client(app, "admin")
    page = html(staff.get(f"/staff/services/{listing}"))
    revoke_form = page.find("form", action=f"/staff/group-links/{row_id}/revoke")
    assert revoke_form is not None
    assert submit(staff, f"/staff/services/{listing}", form_index=form_index(page, revoke_form)).status_code == 303
    assert contact.get(f"/group/services/{listing}/edit").status_code == 403
    assert service_row(app, listing).name not in html(contact.get("/group/")).get_text()
    assert app.test_client().get(link).status_code == 410


def test_the_group_sign_in_lasts_only_the_configured_hours(app: Flask, listing: int) -> None:
    contact = group_client(app, invite_link(app, listing))
    hours = app.config["GROUP_SESSION_HOURS"]
    with time_machine.travel(utcnow() + timedelta(hours=hours - 1), tick=False):
        assert contact.get(f"/group/services/{listing}/edit").status_code == 200
    with time_machine.travel(utcnow() + timedelta(hours=hours, minutes=1), tick=False):
        assert contact.get(f"/group/services/{listing}/edit").status_code == 403


@pytest.mark.both_backends
@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("get", "/group/services/{other}/edit", None),
        ("post", "/group/services/{other}/edit", {"name": "Taken over", "version": "1"}),
        ("post", "/group/services/{other}/wait", {"weeks": "1"}),
    ],
)
def test_a_link_for_one_organisation_never_opens_another_whatever_the_id(
    app: Flask, listing: int, method: str, path: str, data: dict[str, str] | None
) -> None:
    other = make_listing(app, name="Someone else's group")
    before = service_row(app, other)
    contact = group_client(app, invite_link(app, listing))
    token = html(contact.get("/group/")).find("input", {"name": "csrf_token"})["value"]
    response = getattr(contact, method)(path.format(other=other), data={**(data or {}), "csrf_token": token})
    assert response.status_code == 404
    after = service_row(app, other)
    assert (after.name, after.version) == ("Someone else's group", before.version)
    with db_session(app) as session:
        assert session.scalars(select(WaitingTimeReport).where(WaitingTimeReport.service_id == other)).all() == []
    # A group sign-in is not a staff account: staff pages send it to sign in, even for its own listing.
    assert contact.get(f"/staff/services/{other}").status_code == 302
    assert contact.get(f"/staff/services/{listing}").status_code == 302


def test_contact_and_capacity_publish_at_once_while_a_description_waits_for_review(
    app: Flask, listing: int, mailbox: Mailbox
) -> None:
    contact = group_client(app, invite_link(app, listing))
    response = submit(
        contact,
        f"/group/services/{listing}/edit",
        {"phone": "01253 222222", "capacity": "waiting-list", "description": "Knitting, crochet and a natter."},
    )
    assert response.status_code == 302
    service = service_row(app, listing)
    assert service.phone == "01253 222222" and service.capacity == "waiting-list"
    assert service.description == "Knitting and a natter."  # held for review
    revision = latest_revision(app, listing)
    assert (revision.actor, revision.source) == (f"group: {CONTACT}", "group")
    # The save is also a check of the listing (issue 15), in the same revision.
    assert set(revision.changed_fields) - {"last_verified_at", "verified_by", "verified_how"} == {"phone", "capacity"}
    assert service.verified_how == "group-edited" and service.verified_by == f"group: {CONTACT}"
    with db_session(app) as session:
        [change] = changes.pending_changes(session, service_id=listing)
        assert change.changes == {"description": "Knitting, crochet and a natter."}
        assert change.before == {"description": "Knitting and a natter."}
        change_id = change.id
    home = html(contact.get("/group/")).get_text(" ", strip=True)
    assert "Waiting for review" in home

    staff = staff_client(app, "link-worker")
    queue = html(staff.get("/staff/group-changes"))
    table = queue.find("caption", string=f"Change {change_id} to {service.name}").parent
    row = table.find("th", string="Description").parent
    assert row.find("del").get_text() == "Knitting and a natter."
    assert row.find("ins").get_text() == "Knitting, crochet and a natter."
    approve = queue.find("form", action=f"/staff/group-changes/{change_id}/approve")
    assert submit(staff, "/staff/group-changes", form_index=form_index(queue, approve)).status_code == 303

    assert service_row(app, listing).description == "Knitting, crochet and a natter."
    revision = latest_revision(app, listing)
    assert revision.action == f"approve group change {change_id}"
    assert revision.actor.startswith(f"group: {CONTACT} (approved by staff: ")
    with db_session(app) as session:
        assert session.get_one(PendingChange, change_id).status == "approved"
    assert mailbox.messages == []  # approval needs no email


def test_rejecting_a_held_change_emails_the_group_and_leaves_the_listing(
    app: Flask, listing: int, mailbox: Mailbox
) -> None:
    name = service_row(app, listing).name
    contact = group_client(app, invite_link(app, listing))
    submit(contact, f"/group/services/{listing}/edit", {"name": "BEST KNITTING IN TOWN!!!"})
    with db_session(app) as session:
        [change] = changes.pending_changes(session, service_id=listing)
        change_id = change.id
    staff = staff_client(app, "community-development")
    queue = html(staff.get("/staff/group-changes"))
    reject = queue.find("form", action=f"/staff/group-changes/{change_id}/reject")
    why = "Please keep the name as the group is known locally."
    response = submit(staff, "/staff/group-changes", {"message": why}, form_index=form_index(queue, reject))
    assert response.status_code == 303
    [message] = mailbox.wait_for(1)
    assert mailbox.recipients == [[CONTACT]]
    text, body = text_and_html(message)
    assert why in text and why in body
    assert service_row(app, listing).name == name
    with db_session(app) as session:
        assert session.get_one(PendingChange, change_id).status == "rejected"


def test_a_group_reports_a_waiting_time_that_is_published_with_its_source(app: Flask, listing: int) -> None:
    contact = group_client(app, invite_link(app, listing))
    home = html(contact.get("/group/"))
    form = home.find("form", action=f"/group/services/{listing}/wait")
    assert submit(contact, "/group/", {"weeks": "5"}, form_index=form_index(home, form)).status_code == 303
    with db_session(app) as session:
        [report] = session.scalars(select(WaitingTimeReport).where(WaitingTimeReport.service_id == listing)).all()
        assert (report.weeks, report.source, report.reported_by) == (5, "group", f"group: {CONTACT}")
    public = html(app.test_client().get(f"/services/{listing}")).get_text(" ", strip=True)
    assert "about 5 weeks" in public


def test_a_group_cannot_set_staff_only_fields(app: Flask, listing: int) -> None:
    version = service_row(app, listing).version
    access = groups.GroupAccess(
        token_id=0, organization_id=organization_of(app, listing), email="x@y.org", since=utcnow()
    )
    with db_session(app) as session, pytest.raises(NotPermitted, match="internal_notes"):
        changes.submit_service_changes(
            session, access, listing, {"internal_notes": "mine now"}, expected_version=version,
            config={"GROUP_REVIEW_FIELDS": "none"},
        )  # fmt: skip
    contact = group_client(app, invite_link(app, listing))
    submit(contact, f"/group/services/{listing}/edit", {"internal_notes": "sneaky", "status": "closed"})
    service = service_row(app, listing)
    assert service.internal_notes == "" and service.status == "active"


def test_a_stale_group_form_is_refused_not_overwritten(app: Flask, listing: int) -> None:
    contact = group_client(app, invite_link(app, listing))
    response = submit(contact, f"/group/services/{listing}/edit", {"phone": "01253 333333", "version": "0"})
    assert response.status_code == 409
    assert "changed by someone else" in html(response).get_text()
    assert service_row(app, listing).phone == "01253 111111"


@pytest.mark.parametrize("path", ["/staff/group-changes", "/staff/follow-ups", "/admin/jobs"])
def test_staff_group_pages_refuse_group_editors_and_anonymous_visitors(app: Flask, listing: int, path: str) -> None:
    assert app.test_client().get(path).status_code == 302  # to sign in
    editor = staff_client(app, "group-editor", organization_id=organization_of(app, listing))
    assert editor.get(path).status_code == 403
    if path != "/admin/jobs":
        assert staff_client(app, "link-worker").get(path).status_code == 200
    else:
        assert staff_client(app, "link-worker").get(path).status_code == 403
        assert staff_client(app, "admin").get(path).status_code == 200


def test_group_link_posts_are_rate_limited_per_address(tmp_path: Any) -> None:
    with built_app("sqlite", tmp_path, RATELIMIT_ENABLED=True, GROUP_TOKEN_RATE_LIMIT="3 per minute") as limited:
        limited.config["WTF_CSRF_ENABLED"] = False
        client = limited.test_client()
        codes = [client.post(f"/group/link/guess-{n}").status_code for n in range(4)]
        assert codes == [404, 404, 404, 429]
        assert client.post("/group/confirm/guess").status_code == 404  # each link page has its own count
        assert client.get("/group/link/guess-5").status_code == 404  # reading the page is not counted


# --- a group's own organisation details ---------------------------------------------------------------


def organization_row(app: Flask, organization_id: int) -> Organization:
    with db_session(app) as session:
        organization = session.get_one(Organization, organization_id)
        session.expunge(organization)
        return organization


def latest_organization_revision(app: Flask, organization_id: int) -> Revision:
    with db_session(app) as session:
        revision = session.scalars(
            select(Revision).where(Revision.entity_type == "organization", Revision.entity_id == organization_id)
            .order_by(Revision.id.desc())
        ).first()  # fmt: skip
        assert revision is not None
        session.expunge(revision)
        return revision


@pytest.mark.both_backends
def test_a_group_edits_its_organisation_contact_at_once_while_its_description_waits_for_review(
    app: Flask, listing: int, mailbox: Mailbox
) -> None:
    organization_id = organization_of(app, listing)
    contact = group_client(app, invite_link(app, listing))
    home = html(contact.get("/group/"))
    edit = f"/group/organisations/{organization_id}/edit"
    assert home.find(id="organisation").find("a", href=edit) is not None
    response = submit(
        contact,
        edit,
        {"website": "https://knit.example.org", "phone": "01253 444444", "description": "Knitters of Bispham."},
    )
    assert response.status_code == 302
    organization = organization_row(app, organization_id)
    assert (organization.website, organization.phone) == ("https://knit.example.org", "01253 444444")
    assert organization.description == ""  # held: "details" wait for review in this module
    revision = latest_organization_revision(app, organization_id)
    assert (revision.actor, revision.source) == (f"group: {CONTACT}", "group")
    assert revision.changed_fields == ["phone", "website"]
    with db_session(app) as session:
        [change] = changes.pending_changes(session, organization_id=organization_id)
        assert (change.service_id, change.changes, change.before) == (
            None, {"description": "Knitters of Bispham."}, {"description": ""},
        )  # fmt: skip
        change_id = change.id
    home = html(contact.get("/group/")).find(id="organisation").get_text(" ", strip=True)
    assert "Waiting for review" in home and "description" in home

    staff = staff_client(app, "admin")
    queue = html(staff.get("/staff/group-changes"))
    table = queue.find("caption", string=f"Change {change_id} to {organization.name}").parent
    row = table.find("th", string="Description").parent
    assert row.find("ins").get_text() == "Knitters of Bispham."
    approve = queue.find("form", action=f"/staff/group-changes/{change_id}/approve")
    assert submit(staff, "/staff/group-changes", form_index=form_index(queue, approve)).status_code == 303
    assert organization_row(app, organization_id).description == "Knitters of Bispham."
    revision = latest_organization_revision(app, organization_id)
    assert revision.action == f"approve group change {change_id}"
    assert revision.actor.startswith(f"group: {CONTACT} (approved by staff: ")
    assert mailbox.messages == []


def test_rejecting_a_held_organisation_change_emails_the_group(app: Flask, listing: int, mailbox: Mailbox) -> None:
    organization_id = organization_of(app, listing)
    name = organization_row(app, organization_id).name
    contact = group_client(app, invite_link(app, listing))
    submit(contact, f"/group/organisations/{organization_id}/edit", {"name": "THE BEST KNITTERS"})
    assert organization_row(app, organization_id).name == name
    with db_session(app) as session:
        [change] = changes.pending_changes(session, organization_id=organization_id)
        change_id = change.id
    staff = staff_client(app, "community-development")
    queue = html(staff.get("/staff/group-changes"))
    reject = queue.find("form", action=f"/staff/group-changes/{change_id}/reject")
    why = "Please keep the name the group is known by."
    assert (
        submit(staff, "/staff/group-changes", {"message": why}, form_index=form_index(queue, reject)).status_code == 303
    )
    [message] = mailbox.wait_for(1)
    text, _ = text_and_html(message)
    assert why in text and name in text and "Name" in text
    assert organization_row(app, organization_id).name == name


@pytest.mark.both_backends
@pytest.mark.parametrize(("method", "data"), [("get", None), ("post", {"name": "Taken over", "version": "1"})])
def test_a_link_for_one_organisation_never_edits_another_organisations_details(
    app: Flask, listing: int, method: str, data: dict[str, str] | None
) -> None:
    other = organization_of(app, make_listing(app))
    before = organization_row(app, other)
    contact = group_client(app, invite_link(app, listing))
    token = html(contact.get("/group/")).find("input", {"name": "csrf_token"})["value"]
    response = getattr(contact, method)(
        f"/group/organisations/{other}/edit", data={**(data or {}), "csrf_token": token}
    )
    assert response.status_code == 404
    after = organization_row(app, other)
    assert (after.name, after.version) == (before.name, before.version)
    with db_session(app) as session:
        assert changes.pending_changes(session, organization_id=other) == []
    # Without an edit-link sign-in the page refuses, even for the right organisation.
    assert app.test_client().get(f"/group/organisations/{organization_of(app, listing)}/edit").status_code == 403


def test_a_group_cannot_archive_its_organisation_or_save_over_a_newer_version(app: Flask, listing: int) -> None:
    organization_id = organization_of(app, listing)
    organization = organization_row(app, organization_id)
    access = groups.GroupAccess(token_id=0, organization_id=organization_id, email="x@y.org", since=utcnow())
    with db_session(app) as session, pytest.raises(NotPermitted, match="archived"):
        changes.submit_organization_changes(
            session, access, organization_id, {"archived": True}, expected_version=organization.version,
            config={"GROUP_REVIEW_FIELDS": "none"},
        )  # fmt: skip
    contact = group_client(app, invite_link(app, listing))
    response = submit(
        contact, f"/group/organisations/{organization_id}/edit", {"phone": "01253 999999", "version": "0"}
    )
    assert response.status_code == 409
    assert "changed by someone else" in html(response).get_text()
    after = organization_row(app, organization_id)
    assert (after.archived, after.phone, after.version) == (False, None, organization.version)
