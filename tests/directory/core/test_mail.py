"""Email: a line break in a name, however it got into the database, never reaches a header, and one message
that cannot be sent fails alone."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import time_machine
from sqlalchemy import update

from directory.core.db import db
from directory.jobs.registry import run_job
from directory.models import Organization, Service
from tests.conftest import built_app, csrf_token, html
from tests.mailbox import db_session, make_listing, smtp_mailbox, staff_client

HOSTILE = "Knit and natter\r\nBcc: everyone@evil.example"


def test_a_listing_request_with_a_line_break_in_a_name_is_refused_naming_the_field(tmp_path: Path) -> None:
    with built_app("sqlite", tmp_path) as app:
        client = app.test_client()
        token = csrf_token(client, "/listings/request")
        form = {"organization_name": "Bispham Knitters", "service_name": HOSTILE, "email": "jean@example.org",
                "categories": ["arts-crafts"], "csrf_token": token}  # fmt: skip
        response = client.post("/listings/request", data=form)
        assert response.status_code == 422
        assert "Keep this to one line" in html(response).get_text(" ")


def test_a_name_stored_with_a_line_break_does_not_stop_the_reminders_or_an_invitation(tmp_path: Path) -> None:
    verified = datetime(2026, 1, 5, 9, 0)
    with smtp_mailbox() as box:
        config = {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": box.port, "PUBLIC_URL": "http://directory.test"}
        with built_app("sqlite", tmp_path, **config) as app:
            with time_machine.travel(verified, tick=False):
                ids = [
                    make_listing(app, last_verified_at=verified.isoformat(), email=f"group{n}@example.org")
                    for n in range(3)
                ]
            with db_session(app) as session:  # as if stored before names were kept to one line
                session.execute(update(Service).where(Service.id == ids[1]).values(name=HOSTILE))
                organization_id = session.get(Service, ids[1]).organization_id
                session.execute(update(Organization).where(Organization.id == organization_id).values(name=HOSTILE))
                session.commit()
            due = verified + timedelta(days=int(app.config["FRESH_DAYS"]))
            with time_machine.travel(due, tick=False):
                run = run_job(app, "reminders")
            assert run.outcome == "ok" and run.counts.get("sent") == 3
            box.wait_for(3)
            staff = staff_client(app, "link-worker")
            token = csrf_token(staff, f"/staff/services/{ids[1]}")
            invited = staff.post(f"/staff/organisations/{organization_id}/group-links",
                                 data={"csrf_token": token, "email": "contact@example.org"})  # fmt: skip
            assert invited.status_code == 303
            box.wait_for(4)
            for message in box.messages:
                assert "\n" not in message["Subject"] and "\r" not in message["Subject"]
                assert message["Bcc"] is None and "everyone@evil.example" not in str(message.get_all("To"))
            with app.app_context():
                db.session.remove()
