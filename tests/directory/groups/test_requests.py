"""Groups ask to be listed from a public form; staff approve or decline; nothing is lost."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from directory.core.outbox import OutboundMail
from directory.jobs.registry import run_job
from directory.listings import operations
from directory.models import Service
from directory.models.groups import ListingRequest
from tests.conftest import built_app, csrf_token, html
from tests.mailbox import Mailbox, db_session, free_port, smtp_mailbox, staff_client

pytestmark = pytest.mark.both_backends

FORM = {
    "organization_name": "Bispham Knitters", "service_name": "Thursday knit and natter",
    "description": "Bring your needles.", "categories": ["arts-crafts", "loneliness"], "when": "Thursdays 2pm to 4pm",
    "address": "Church hall, Red Bank Road", "postcode": "fy2 9hz", "contact_name": "Jean",
    "email": "jean@example.org", "phone": "01253 123456",
}  # fmt: skip


def _submit(client: Any, **overrides: Any) -> Any:
    token = csrf_token(client, "/listings/request")
    return client.post("/listings/request", data={"csrf_token": token, **FORM, **overrides})


def test_a_group_asks_and_staff_list_it_credited_to_the_group(app: Any, signed_in: Any, session: Any) -> None:
    public = app.test_client()
    response = _submit(public)
    assert response.status_code == 200 and "Thank you" in html(response).get_text()
    assert public.get("/?q=knit").status_code == 200
    assert "Thursday knit and natter" not in html(public.get("/?q=knit")).get_text()  # nothing published yet
    staff = signed_in("link-worker")
    queue = html(staff.get("/staff/listing-requests"))
    row = next(tr for tr in queue.select("tbody tr") if "Thursday knit and natter" in tr.get_text())
    approve = row.find("form")
    assert staff.post(approve["action"], data={"csrf_token": approve.find("input")["value"]}).status_code == 302
    service = session.scalars(select(Service).where(Service.name == "Thursday knit and natter")).one()
    assert [t.code for t in service.categories] == ["arts-crafts", "loneliness"]
    assert service.locations[0].postcode == "FY2 9HZ" and service.organization.name == "Bispham Knitters"
    [revision] = operations.history(session, "service", service.id)
    assert revision.source == "group" and revision.actor.startswith("group: jean@example.org (approved by staff: ")
    request = session.scalars(select(ListingRequest).where(ListingRequest.email == "jean@example.org")).first()
    assert request is not None and request.status == "approved" and request.service_id == service.id
    # Staff were told it is on the directory now: a public search finds it, dated when the group sent it.
    found = html(public.get("/?q=knit")).select("li.result h3 a")
    assert "Thursday knit and natter" in [a.get_text(strip=True) for a in found]
    assert service.verified_how == "group-requested" and service.last_verified_at == request.created_at.replace(
        microsecond=0
    )
    again = staff.post(approve["action"], data={"csrf_token": approve.find("input")["value"]})
    assert "already approved" in html(staff.get(again.headers["Location"])).get_text()


def test_declined_requests_are_kept_with_their_reason(app: Any, signed_in: Any, session: Any) -> None:
    _submit(app.test_client(), service_name="Commercial gym offer", email="sales@example.org")
    staff = signed_in("admin")
    row = next(tr for tr in html(staff.get("/staff/listing-requests")).select("tbody tr")
               if "Commercial gym offer" in tr.get_text())  # fmt: skip
    decline = row.find_all("form")[1]
    token = decline.find("input", {"name": "csrf_token"})["value"]
    assert staff.post(decline["action"], data={"csrf_token": token, "reason": ""}).status_code == 302
    request = session.scalars(select(ListingRequest).where(ListingRequest.email == "sales@example.org")).one()
    assert request.status == "waiting"  # a reason is required
    staff.post(decline["action"], data={"csrf_token": token, "reason": "We list free or low-cost community groups."})
    session.expire_all()
    request = session.scalars(select(ListingRequest).where(ListingRequest.email == "sales@example.org")).one()
    assert request.status == "rejected" and request.reason.startswith("We list free")
    mailbox = list((app.instance_path and __import__("pathlib").Path(app.instance_path) / "mail").glob("*"))
    assert any("We list free" in path.read_text(errors="ignore") for path in mailbox)


def test_bad_requests_name_each_problem_and_keep_nothing(app: Any, session: Any) -> None:
    before = len(session.scalars(select(ListingRequest)).all())
    response = _submit(app.test_client(), email="not-an-email", postcode="nowhere", service_name="")
    assert response.status_code == 422
    summary = html(response).find(class_="error-summary").get_text()
    assert "Your email address:" in summary and "Postcode:" in summary and "What you run:" in summary
    assert len(session.scalars(select(ListingRequest)).all()) == before


def test_a_decline_that_cannot_be_emailed_is_kept_and_its_email_sent_once_when_the_server_is_back(
    tmp_path: Any,
) -> None:
    port = free_port()
    with built_app("sqlite", tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_TIMEOUT=2) as down:
        _submit(down.test_client(), service_name="Lunch club", email="lunch@example.org")
        staff = staff_client(down, "admin")
        row = next(tr for tr in html(staff.get("/staff/listing-requests")).select("tbody tr")
                   if "Lunch club" in tr.get_text())  # fmt: skip
        decline = row.find_all("form")[1]
        token = decline.find("input", {"name": "csrf_token"})["value"]
        response = staff.post(decline["action"], data={"csrf_token": token, "reason": "Not a community group."})
        said = html(staff.get(response.headers["Location"])).get_text(" ")
        assert "Declined" in said and "could not be sent just now" in said
        with db_session(down) as session:
            request = session.scalars(select(ListingRequest).where(ListingRequest.email == "lunch@example.org")).one()
            assert (request.status, request.reason) == ("rejected", "Not a community group.")
            [kept] = session.scalars(select(OutboundMail)).all()
            assert (kept.key, kept.status) == (f"listing-declined:{request.id}", "failed")
        with smtp_mailbox(Mailbox(port)) as box:
            assert run_job(down, "outbox", trigger="test").counts == {"sent": 1}
            run_job(down, "outbox", trigger="test")
            [message] = box.wait_for(1)
            assert box.recipients == [["lunch@example.org"]] and "Not a community group." in str(message)
