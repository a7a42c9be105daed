"""A used or expired link asks for a new one: sent by real email, to a listed contact only, not too often."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from flask import Flask
from sqlalchemy import select

from directory.core.clock import utcnow
from directory.groups import links as groups
from directory.jobs.registry import run_job
from directory.models import Organization, Service
from directory.models.groups import GroupToken
from tests.conftest import built_app, html
from tests.mailbox import Mailbox, db_session, form_fields, free_port, link_to, make_listing, smtp_mailbox, submit

pytestmark = pytest.mark.both_backends

_serial = iter(range(1, 10_000))


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    with smtp_mailbox() as box:
        yield box


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, backend: str, mailbox: Mailbox) -> Iterator[Flask]:
    config = {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": mailbox.port, "PUBLIC_URL": "http://directory.test"}
    with built_app(backend, tmp_path_factory.mktemp("instance"), **config) as app:
        yield app


@pytest.fixture(autouse=True)
def _empty_mailbox(mailbox: Mailbox) -> None:
    mailbox.clear()


def group(app: Flask, org_email: str | None = None) -> tuple[int, str]:
    """A listed organisation whose service names a contact; returns (organisation id, contact email)."""
    contact = f"pat{next(_serial)}@knit.example.org"
    service_id = make_listing(app, contacts=[{"name": "Pat", "title": "", "phone": "", "email": contact}])
    with db_session(app) as session:
        service = session.get_one(Service, service_id)
        service.organization.email = org_email
        session.commit()
        return service.organization_id, contact


def used_link(app: Flask, organization_id: int, email: str) -> str:
    """An edit link sent to ``email`` and already used once."""
    with db_session(app) as session:
        token, _row = groups.invite(session, organization_id, email, created_by="staff", days=14)
        groups.use_edit_link(session, token)
        session.commit()
    return token


def press_new_link(app: Flask, token: str, **extra: str) -> Any:
    """Open the old link, see it refused, and press its "Email me a new link" button."""
    client = app.test_client()
    refused = client.get(f"/group/link/{token}", follow_redirects=True)
    assert refused.status_code == 410
    [form] = html(refused).select("main form")
    return client.post(form["action"], data={**dict(form_fields(form)), **extra})


def edit_links_to(app: Flask, email: str) -> list[GroupToken]:
    with db_session(app) as session:
        rows = list(session.scalars(select(GroupToken).where(GroupToken.email == email, GroupToken.kind == "edit")))
        session.expunge_all()
        return rows


def test_a_used_link_asks_for_a_new_one_that_reaches_the_listed_contact_and_works(app: Flask, mailbox: Mailbox) -> None:
    organization_id, contact = group(app)
    token = used_link(app, organization_id, contact)
    page = app.test_client().get(f"/group/link/{token}", follow_redirects=True)
    assert "Email me a new link" in [b.get_text() for b in html(page).select("main form button")]
    response = press_new_link(app, token)
    assert response.status_code == 200
    text = html(response).get_text(" ")
    assert "We have emailed you a new link" in text and contact not in text and f"p***@{contact.split('@')[1]}" in text
    [message] = mailbox.to(contact)
    [row] = edit_links_to(app, contact)[1:]
    assert message["Message-ID"].startswith(f"<mail-new-link.{row.id}@")  # sent through the outbox, keyed
    new = link_to(message, "/group/link/")
    assert submit(app.test_client(), new).status_code == 302  # it signs the contact in, for their group
    assert edit_links_to(app, contact)[-1].used_at is not None


def test_the_new_link_never_goes_to_an_address_the_asker_gives(app: Flask, mailbox: Mailbox) -> None:
    organization_id, contact = group(app)
    token = used_link(app, organization_id, contact)
    assert press_new_link(app, token, email="thief@evil.example").status_code == 200
    assert mailbox.to("thief@evil.example") == [] and len(mailbox.to(contact)) == 1


def test_a_contact_no_longer_listed_gets_nothing_the_organisations_own_email_does(app: Flask, mailbox: Mailbox) -> None:
    organization_id, contact = group(app, org_email="hello@knit.example.org")
    token = used_link(app, organization_id, "left@knit.example.org")  # sent once to someone since removed
    assert press_new_link(app, token).status_code == 200
    assert mailbox.to("left@knit.example.org") == [] and len(mailbox.to("hello@knit.example.org")) == 1

    organization_id, contact = group(app, org_email=None)
    token = used_link(app, organization_id, "left@knit.example.org")
    response = press_new_link(app, token)
    assert response.status_code == 409 and "no email address in the directory" in html(response).get_text()
    assert mailbox.messages == [mailbox.to("hello@knit.example.org")[0]]


def test_asking_again_at_once_sends_nothing_more(app: Flask, mailbox: Mailbox) -> None:
    organization_id, contact = group(app)
    token = used_link(app, organization_id, contact)
    assert press_new_link(app, token).status_code == 200
    again = press_new_link(app, token)
    assert again.status_code == 409 and "Check that inbox" in html(again).get_text()
    assert len(mailbox.to(contact)) == 1 and len(edit_links_to(app, contact)) == 2  # the old and one new
    with time_machine.travel(utcnow() + timedelta(minutes=61), tick=False):
        assert press_new_link(app, token).status_code == 200
    assert len(mailbox.to(contact)) == 2


def test_withdrawn_unknown_and_expired_links(app: Flask, mailbox: Mailbox) -> None:
    organization_id, contact = group(app)
    with db_session(app) as session:
        token, row = groups.invite(session, organization_id, contact, created_by="staff", days=14)
        groups.revoke(session, row.id, by="staff")
        session.commit()
    client = app.test_client()
    page = client.get(f"/group/link/{token}", follow_redirects=True)
    assert page.status_code == 410 and not html(page).select("main form")  # withdrawn: no button
    withdrawn = submit_raw(app, token)
    assert withdrawn.status_code == 409 and "withdrawn" in withdrawn.get_data(as_text=True)
    assert submit_raw(app, "never-issued").status_code == 404
    assert mailbox.messages == []

    with db_session(app) as session:
        token, _row = groups.invite(session, organization_id, contact, created_by="staff", days=14)
        session.commit()
    with time_machine.travel(utcnow() + timedelta(days=15), tick=False):
        assert press_new_link(app, token).status_code == 200  # expired, never used: a new one is sent
    assert len(mailbox.to(contact)) == 1
    with db_session(app) as session:
        assert not session.get_one(Organization, organization_id).archived


def submit_raw(app: Flask, token: str) -> Any:
    """Post an old link to the new-link page directly, as a script would (CSRF off for this client only)."""
    app.config["WTF_CSRF_ENABLED"] = False
    try:
        return app.test_client().post("/group/new-link", data={"link": token})
    finally:
        app.config["WTF_CSRF_ENABLED"] = True


def test_a_new_link_the_mail_server_refused_is_kept_and_the_outbox_job_sends_it_once(tmp_path: Path) -> None:
    port = free_port()
    config = {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port, "MAIL_TIMEOUT": 2, "PUBLIC_URL": "http://directory.test"}
    with built_app("sqlite", tmp_path, **config) as down:
        organization_id, contact = group(down)
        token = used_link(down, organization_id, contact)
        response = press_new_link(down, token)
        assert response.status_code == 200
        text = html(response).get_text(" ")
        assert "We have emailed you a new link" in text and "may take up to an hour" in text
        again = press_new_link(down, token)  # the group presses again: the link is kept, so nothing more is made
        assert again.status_code == 409 and len(edit_links_to(down, contact)) == 2
        with smtp_mailbox(Mailbox(port)) as box:
            assert run_job(down, "outbox", trigger="test").counts == {"sent": 1}
            run_job(down, "outbox", trigger="test")
            [message] = box.to(contact)
            assert len(box.messages) == 1
        assert submit(down.test_client(), link_to(message, "/group/link/")).status_code == 302
