"""Issue 19 through the real app on SQLite and PostgreSQL: a link worker's closure or details-wrong report and
staff's follow-up outcome note come back highlighted when they identify someone; saved only with the override,
masked, with the override recorded (who, when, which kinds)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from directory.core.personal_data import PersonalDataOverride
from directory.groups.links import issue_token
from directory.models import Service
from directory.models.verification import FollowUp
from tests.conftest import built_app, html
from tests.mailbox import db_session, make_listing, staff_client

pytestmark = pytest.mark.both_backends


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, backend: str) -> Iterator[Flask]:
    with built_app(backend, tmp_path_factory.mktemp("instance")) as app:
        yield app


def report(client: Any, service_id: int, reason: str, note: str, **extra: str) -> Any:
    form = html(client.get(f"/staff/services/{service_id}")).select_one("form.report-form")
    data = {"csrf_token": form.find("input", attrs={"name": "csrf_token"})["value"], "reason": reason, "note": note}
    data.update(extra)
    return client.post(form["action"], data=data)


def recorded(app: Flask, record_id: int) -> list[tuple[str, str]]:
    with db_session(app) as session:
        rows = session.scalars(select(PersonalDataOverride).where(
            PersonalDataOverride.field == "follow_up.detail", PersonalDataOverride.record_id == record_id))  # fmt: skip
        return [(row.kinds, row.by) for row in rows if row.created_at is not None and row.user_id is not None]


def follow_ups(app: Flask, service_id: int) -> list[tuple[str, str]]:
    with db_session(app) as session:
        rows = session.scalars(select(FollowUp).where(FollowUp.service_id == service_id).order_by(FollowUp.id))
        return [(row.reason, row.detail) for row in rows]


@pytest.mark.parametrize("reason", ["reported-stopped", "details-wrong"])
def test_a_report_naming_a_client_is_shown_back_and_saved_only_masked(app: Flask, reason: str) -> None:
    service_id = make_listing(app)
    client = staff_client(app)
    note = "closed, told by my client Dave Pickup (07700 900456)"
    refused = report(client, service_id, reason, note)
    assert refused.status_code == 422
    page = html(refused)
    assert [m.get_text() for m in page.select(".pii-warning mark")] == ["Dave Pickup", "07700 900456"]
    assert page.select_one("textarea#note").get_text() == note
    assert page.select_one("input[name=reason]")["value"] == reason
    assert follow_ups(app, service_id) == []  # nothing saved, the listing untouched
    with db_session(app) as session:
        assert session.get(Service, service_id).status == "active"

    # The page's own form, with the box ticked, saves it masked.
    form = page.select_one("form#personal-data-check")
    data = {i["name"]: i["value"] for i in form.select("input[type=hidden]")}
    data.update({"note": note, "confirm_pii": "yes"})
    saved = client.post(form["action"], data=data)
    assert saved.status_code == 302
    [(got_reason, detail)] = follow_ups(app, service_id)
    assert (got_reason, detail) == (reason, "closed, told by my client [name] ([phone])")
    with db_session(app) as session:
        follow_up_id = session.scalars(select(FollowUp.id).where(FollowUp.service_id == service_id)).one()
    [(kinds, by)] = recorded(app, follow_up_id)
    assert kinds == "name,phone" and by


def test_a_clean_report_saves_at_once_with_no_override(app: Flask) -> None:
    service_id = make_listing(app)
    client = staff_client(app)
    response = report(client, service_id, "reported-stopped", "Hall says the group stopped in March")
    assert response.status_code == 302
    [(reason, detail)] = follow_ups(app, service_id)
    assert detail == "Hall says the group stopped in March"
    with db_session(app) as session:
        follow_up_id = session.scalars(select(FollowUp.id).where(FollowUp.service_id == service_id)).one()
    assert recorded(app, follow_up_id) == []


def test_a_follow_up_outcome_note_is_guarded_before_anything_changes(app: Flask) -> None:
    service_id = make_listing(app)
    worker = staff_client(app)
    assert report(worker, service_id, "details-wrong", "Phone number on the listing is wrong").status_code == 302
    with db_session(app) as session:
        follow_up_id = session.scalars(select(FollowUp.id).where(FollowUp.service_id == service_id)).one()
    admin = staff_client(app, "admin")
    page = html(admin.get("/staff/follow-ups"))
    form = page.select_one(f"form[action='/staff/follow-ups/{follow_up_id}/resolve']")
    token = form.find("input", attrs={"name": "csrf_token"})["value"]
    note = "spoke to sandra dot b at hotmail dot co dot uk, still running"
    refused = admin.post(form["action"], data={"csrf_token": token, "resolution": "still-running", "note": note})
    assert refused.status_code == 422
    shown = html(refused)
    assert [m.get_text() for m in shown.select(".pii-warning mark")] == ["sandra dot b at hotmail dot co dot uk"]
    with db_session(app) as session:
        follow_up = session.get(FollowUp, follow_up_id)
        assert follow_up.resolved_at is None  # not resolved, the listing not re-verified
    again = shown.select_one("form#personal-data-check")
    data = {i["name"]: i["value"] for i in again.select("input[type=hidden]")}
    data.update({"note": note, "confirm_pii": "yes"})
    saved = admin.post(again["action"], data=data)
    assert saved.status_code == 303
    with db_session(app) as session:
        follow_up = session.get(FollowUp, follow_up_id)
        assert follow_up.resolution == "still-running"
        assert follow_up.detail.endswith("Staff: spoke to [email], still running")
    assert [kinds for kinds, _by in recorded(app, follow_up_id)] == ["email"]


def test_a_groups_we_have_stopped_note_naming_someone_is_shown_back_and_sent_only_masked(app: Flask) -> None:
    service_id = make_listing(app)
    with db_session(app) as session:
        organization_id = session.get_one(Service, service_id).organization_id
        token, _ = issue_token(session, kind="stopped", organization_id=organization_id, email="sec@club.example",
                               days=30, service_id=service_id)  # fmt: skip
        session.commit()
    client = app.test_client()
    opened = client.get(f"/group/stopped/{token}", follow_redirects=True)  # the link is exchanged for the session
    form = html(opened).select_one("main form")
    note = "Our leader Margaret Hughes died in May, ring her husband on 07700 900123"
    data = {"csrf_token": form.find("input", attrs={"name": "csrf_token"})["value"], "note": note}
    action = opened.request.full_path  # the clean address the link was exchanged for (/group/stopped?link=...)
    refused = client.post(action, data=data)
    assert refused.status_code == 422
    page = html(refused)
    assert [m.get_text() for m in page.select(".pii-warning mark")] == ["Margaret Hughes", "07700 900123"]
    assert page.select_one("textarea#note").get_text() == note
    assert follow_ups(app, service_id) == []  # nothing sent: the listing untouched, the link still unused
    with db_session(app) as session:
        assert session.get_one(Service, service_id).status == "active"

    sent = client.post(action, data=data | {"confirm_pii": "yes"})
    assert sent.status_code == 200
    [(reason, detail)] = follow_ups(app, service_id)
    assert (reason, detail) == ("group-stopped", "Our leader [name] died in May, ring her husband on [phone]")
    with db_session(app) as session:
        follow_up_id = session.scalars(select(FollowUp.id).where(FollowUp.service_id == service_id)).one()
        [row] = session.scalars(select(PersonalDataOverride).where(PersonalDataOverride.record_id == follow_up_id))
        assert (row.kinds, row.by, row.user_id) == ("name,phone", "group: sec@club.example", None)
