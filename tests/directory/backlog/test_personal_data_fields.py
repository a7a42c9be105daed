"""Issue 19 through the real app on SQLite and PostgreSQL: a gap flag's description and a comment on a backlog
item come back highlighted when they identify someone, and save only with the override, masked and recorded."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from directory.core.db import db
from directory.core.personal_data import PersonalDataOverride
from directory.models import User
from directory.models.backlog import BacklogEvent, BacklogItem, GapFlag
from tests.conftest import csrf_token, html

pytestmark = pytest.mark.both_backends

NOTE = "spoke to margaret hughes, lives at 9 Hollin Hill, nothing for carers nearby"
MASKED = "spoke to [name], lives at [address], nothing for carers nearby"


def post_flag(client: FlaskClient, **values: str) -> Any:
    form = {"csrf_token": csrf_token(client, "/flags/new"), "category": "carers", "postcode": "FY1 1AD",
            "population_group": "carers", "description": "No evening carers group.", "urgency": "medium"}  # fmt: skip
    form.update(values)
    return client.post("/flags/new", data=form)


def overrides(app: Flask, field: str, record_id: int) -> list[tuple[str, str, str]]:
    with app.app_context():
        rows = db.session.scalars(select(PersonalDataOverride).where(
            PersonalDataOverride.field == field, PersonalDataOverride.record_id == record_id))  # fmt: skip
        out = []
        for row in rows:
            user = db.session.get(User, row.user_id)
            assert user is not None and row.created_at is not None
            out.append((row.kinds, row.by, user.role))
        return out


def test_a_flag_about_a_person_is_shown_back_then_saved_masked_with_the_override_recorded(
    app: Flask, signed_in: Callable[..., FlaskClient], postcodes_and_msoas: None
) -> None:
    client = signed_in("link-worker")
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(GapFlag))
    refused = post_flag(client, description=NOTE)
    assert refused.status_code == 422
    page = html(refused)
    assert [m.get_text() for m in page.select(".pii-warning mark")] == ["margaret hughes", "9 Hollin Hill"]
    assert page.select_one("#confirm_pii") is not None and "save anyway" in page.get_text()
    assert page.select_one("textarea#description").get_text() == NOTE  # kept, to rephrase
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(GapFlag)) == before  # nothing saved

    rephrased = post_flag(client, description="nothing for carers near Hollin Hill estate")
    assert rephrased.status_code == 302
    with app.app_context():
        clean = db.session.scalars(select(GapFlag).order_by(GapFlag.id.desc())).first()
        assert clean is not None and clean.description == "nothing for carers near Hollin Hill estate"
        assert clean.pii_confirmed is False
    assert overrides(app, "gap_flag.description", clean.id) == []

    saved = post_flag(client, description=NOTE, confirm_pii="yes")
    assert saved.status_code == 302
    with app.app_context():
        flag = db.session.scalars(select(GapFlag).order_by(GapFlag.id.desc())).first()
        assert flag is not None and flag.description == MASKED and flag.pii_confirmed is True
    [(kinds, by, role)] = overrides(app, "gap_flag.description", flag.id)
    assert (kinds, role) == ("name,address", "link-worker") and by.endswith("@example.org")


def test_a_comment_about_a_person_needs_the_override_and_is_stored_masked(
    app: Flask, signed_in: Callable[..., FlaskClient], postcodes_and_msoas: None
) -> None:
    client = signed_in("community-development")
    created = post_flag(client, description="No tenancy support.")
    item_id = int(created.headers["Location"].rstrip("/").split("/")[-1])
    token = csrf_token(client, f"/backlog/{item_id}")
    comment = "Rang her daughter Lisa Wood on 07700 900123"
    refused = client.post(f"/backlog/{item_id}/comment", data={"csrf_token": token, "comment": comment})
    assert refused.status_code == 422
    assert [m.get_text() for m in html(refused).select(".pii-warning mark")] == ["Lisa Wood", "07700 900123"]
    saved = client.post(f"/backlog/{item_id}/comment",
                        data={"csrf_token": token, "comment": comment, "confirm_pii": "yes"})  # fmt: skip
    assert saved.status_code == 302
    with app.app_context():
        event = db.session.scalars(select(BacklogEvent).where(BacklogEvent.item_id == item_id,
                                                              BacklogEvent.kind == "comment")).one()  # fmt: skip
        assert event.body == "Rang her daughter [name] on [phone]"
    assert [(k, r) for k, _by, r in overrides(app, "backlog_event.body", event.id)] == [
        ("name,phone", "community-development")
    ]


def data_reason(page: Any) -> str:
    """The reason as the refused form gives it back, to submit again."""
    return str(page.select_one("form[aria-label='Move to declined'] textarea[name=reason]").get_text())


def test_a_reason_for_declining_is_guarded_like_a_comment(
    app: Flask, signed_in: Callable[..., FlaskClient], postcodes_and_msoas: None
) -> None:
    client = signed_in("community-development")
    created = post_flag(client, category="housing", description="No tenancy support for young people.")
    item_id = int(created.headers["Location"].rstrip("/").split("/")[-1])
    page = html(client.get(f"/backlog/{item_id}"))
    form = page.select_one("form[aria-label='Move to declined']")
    data = {i["name"]: i["value"] for i in form.select("input[type=hidden]")}
    reason = "Only Mrs Okafor at 4 Warbreck Hill Road asked, and she has moved"
    data["reason"] = reason
    refused = client.post(form["action"], data=data)
    assert refused.status_code == 422
    shown = html(refused)
    assert [m.get_text() for m in shown.select(".decline-warning mark")] == ["Mrs Okafor", "4 Warbreck Hill Road"]
    with app.app_context():
        assert db.session.get(BacklogItem, item_id).status == "new"
    again = shown.select_one("form[aria-label='Move to declined']")
    data = {i["name"]: i["value"] for i in again.select("input[type=hidden]")}
    assert data_reason(shown) == reason  # given back as written, to rephrase
    data.update({"reason": reason, "confirm_pii": "yes"})
    saved = client.post(again["action"], data=data)
    assert saved.status_code == 302
    with app.app_context():
        item = db.session.get(BacklogItem, item_id)
        assert item.status == "declined"
        assert item.decline_reason == "Only [name] at [address] asked, and she has moved"
    assert [(k, r) for k, _by, r in overrides(app, "backlog_item.decline_reason", item_id)] == [
        ("name,address", "community-development")
    ]
