"""Issue 15: evidence acts at once, waits stay fresh, pauses end by themselves, a group's edit is a check, and
unanswered listings decay on a schedule. Real SMTP on loopback, the one-click links over the test client, the real
jobs on a frozen clock, and search as a link worker runs it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from flask import Flask
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from directory.jobs.registry import run_job
from directory.models import Revision, Service, WaitingTimeReport
from directory.models.verification import FollowUp
from tests.conftest import built_app, html
from tests.mailbox import (
    Mailbox,
    db_session,
    form_fields,
    link_to,
    make_listing,
    smtp_mailbox,
    staff_client,
    submit,
)

pytestmark = pytest.mark.both_backends

VERIFIED = datetime(2027, 3, 1, 9, 0)
FIRST = VERIFIED + timedelta(days=35)  # DIRECTORY_REMINDER_REPEAT_DAYS after the last check (the default)
# These tests share one database, so the closures some record would move the measured closure rate, and with it
# when the next round starts: they keep the fixed schedule (test_closure_rate.py tests the measured one).
FIXED_ROUNDS = {"REMINDER_ROUND_LIKELIHOOD": 0}


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    with smtp_mailbox() as box:
        yield box


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, backend: str, mailbox: Mailbox) -> Iterator[Flask]:
    config = {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": mailbox.port, "PUBLIC_URL": "http://directory.test"}
    with built_app(backend, tmp_path_factory.mktemp("instance"), **config, **FIXED_ROUNDS) as app:
        yield app


_serial = iter(range(1, 1_000_000))
WORDS = ["marmalade", "tangerine", "quillwort", "bergamot", "nasturtium", "kohlrabi", "samphire", "damson",
         "medlar", "loganberry", "sorrel", "chervil", "lovage", "borage", "salsify", "tayberry"]  # fmt: skip


@pytest.fixture
def word() -> str:
    n = next(_serial)
    return WORDS[n % len(WORDS)] + "q" * (n // len(WORDS))  # unique in the module's database


@pytest.fixture
def contact() -> str:
    return f"organiser{next(_serial)}@group.example.org"


def listing_with(app: Flask, contact: str, word: str, **overrides: Any) -> int:
    values = {
        "name": f"{word.title()} club", "description": f"A {word} group.", "last_verified_at": VERIFIED.isoformat(),
        "contacts": [{"name": "Sam", "title": "", "phone": "01253 400400", "email": contact}], **overrides,
    }  # fmt: skip
    return make_listing(app, **values)


def at(moment: datetime) -> Any:
    return time_machine.travel(moment, tick=False)


def job(app: Flask, name: str) -> dict[str, int]:
    run = run_job(app, name, trigger="test")
    assert run.outcome == "ok", run.error
    return dict(run.counts)


def row(app: Flask, service_id: int) -> Service:
    with db_session(app) as session:
        service = session.get_one(Service, service_id)
        service.latest_wait  # noqa: B018 (loaded before the session closes)
        session.expunge_all()
        return service


def found(client: Any, word: str, **args: str) -> list[dict[str, Any]]:
    query = "&".join(f"{k}={v}" for k, v in args.items())
    response = client.get(f"/api/search?q={word}&{query}")
    assert response.status_code == 200
    return list(response.get_json()["results"])


def actions(app: Flask, service_id: int) -> list[str]:
    with db_session(app) as session:
        return list(
            session.scalars(
                select(Revision.action)
                .where(Revision.entity_type == "service", Revision.entity_id == service_id)
                .order_by(Revision.id)
            )
        )


def report_closed(client: Any, service_id: int) -> Any:
    """A link worker presses "It has stopped running" on the listing's page."""
    form = html(client.get(f"/staff/services/{service_id}")).select_one("form.report-form")
    data = {"csrf_token": form.find("input", attrs={"name": "csrf_token"})["value"], "reason": "reported-stopped"}
    return client.post(form["action"], data=data)


def first_reminder(app: Flask, mailbox: Mailbox, contact: str, moment: datetime = FIRST) -> Any:
    with at(moment):
        job(app, "reminders")
    [message] = mailbox.to(contact)
    return message


def test_the_first_reminder_goes_repeat_days_after_the_last_check_and_asks_for_the_wait(
    app: Flask, mailbox: Mailbox, contact: str, word: str
) -> None:
    service_id = listing_with(app, contact, word)
    with at(FIRST - timedelta(days=1)):
        job(app, "reminders")
    assert mailbox.to(contact) == []
    message = first_reminder(app, mailbox, contact)
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "current waiting time" in text
    page = html(app.test_client().get(link_to(message, "/group/confirm/"), follow_redirects=True))
    buttons = [b.get_text() for b in page.select("main form button")]
    assert buttons[:1] == ["Yes, still running and the details are correct"]
    assert {"No wait", "Under a month", "1 to 3 months", "3 to 6 months", "Over 6 months"} <= set(buttons)
    assert "Not taking new referrals" in buttons and "Paused until that date" in buttons
    assert row(app, service_id).last_verified_at == VERIFIED  # opening the page changes nothing


def test_a_wait_answer_is_one_click_and_re_dates_the_check_and_the_wait(
    app: Flask, mailbox: Mailbox, contact: str, word: str
) -> None:
    service_id = listing_with(app, contact, word)
    message = first_reminder(app, mailbox, contact)
    confirm = link_to(message, "/group/confirm/")
    with at(FIRST + timedelta(hours=3)):
        response = submit(app.test_client(), confirm, {"answer": "wait-8"})
    assert response.status_code == 200
    service = row(app, service_id)
    assert service.last_verified_at == FIRST + timedelta(hours=3)
    assert service.latest_wait is not None
    assert (service.latest_wait.weeks, service.latest_wait.source) == (8, "group")
    assert service.latest_wait.reported_at == FIRST + timedelta(hours=3)
    assert actions(app, service_id)[-1] == "confirmed by group"
    with at(FIRST + timedelta(days=1)):
        staff = staff_client(app)
        [result] = found(staff, word)
    assert result["waiting_time"]["weeks"] == 8 and result["waiting_time"]["current"] is True


def test_confirming_re_dates_the_wait_it_showed_and_not_taking_referrals_is_a_capacity(
    app: Flask, mailbox: Mailbox, contact: str, word: str
) -> None:
    service_id = listing_with(app, contact, word)
    with db_session(app) as session:
        session.add(WaitingTimeReport(service_id=service_id, weeks=6, reported_at=VERIFIED, source="link-worker"))
        session.commit()
    message = first_reminder(app, mailbox, contact)
    with at(FIRST):
        page = html(app.test_client().get(link_to(message, "/group/confirm/"), follow_redirects=True))
        assert "about 6 weeks" in page.find("legend").get_text()
        assert submit(app.test_client(), link_to(message, "/group/confirm/")).status_code == 200  # "same"
    service = row(app, service_id)
    assert service.latest_wait is not None and (service.latest_wait.weeks, service.latest_wait.reported_at) == (
        6, FIRST
    )  # fmt: skip
    with db_session(app) as session:
        weeks = session.scalars(select(WaitingTimeReport.weeks).where(WaitingTimeReport.service_id == service_id))
        assert sorted(weeks) == [6, 6]  # the old report is kept as history

    # The next round, REPEAT_DAYS after that answer: not taking new referrals.
    second = FIRST + timedelta(days=35)
    with at(second):
        job(app, "reminders")
    message = mailbox.to(contact)[-1]
    with at(second):
        assert submit(app.test_client(), link_to(message, "/group/confirm/"), {"answer": "not-accepting"}).status_code
    assert row(app, service_id).capacity == "not-accepting"
    assert row(app, service_id).last_verified_at == second


def test_an_old_wait_shows_as_last_known_and_counts_as_unknown_for_sorting_and_the_longest_wait_filter(
    app: Flask, word: str, contact: str
) -> None:
    old_id = listing_with(app, contact, word, name=f"{word.title()} old wait")
    new_id = listing_with(app, contact, word, name=f"{word.title()} new wait")
    now = VERIFIED + timedelta(days=20)
    with db_session(app) as session:
        session.add(WaitingTimeReport(service_id=old_id, weeks=1, reported_at=now - timedelta(days=150)))
        session.add(WaitingTimeReport(service_id=new_id, weeks=3, reported_at=now - timedelta(days=10)))
        session.commit()
    with at(now):
        staff = staff_client(app)
        by_wait = [r["name"] for r in found(staff, word, sort="wait")]
        assert by_wait == [f"{word.title()} new wait", f"{word.title()} old wait"]  # 1 week, 5 months old: unknown
        names = {r["name"] for r in found(staff, word, max_wait="2")}
        assert f"{word.title()} old wait" in names and f"{word.title()} new wait" not in names  # unknown stays in
        page = html(staff.get(f"/?q={word}"))
    old = next(li for li in page.select("li.result") if "old wait" in li.h3.get_text())
    assert "last known: about 1 week (5 months ago)" in " ".join(old.get_text().split())
    new = next(li for li in page.select("li.result") if "new wait" in li.h3.get_text())
    assert "last known" not in new.get_text() and "about 3 weeks, reported 10 days ago" in new.get_text()


def test_we_have_stopped_takes_the_listing_out_at_once_and_staff_restore_it_in_one_click(
    app: Flask, mailbox: Mailbox, contact: str, word: str
) -> None:
    service_id = listing_with(app, contact, word)
    message = first_reminder(app, mailbox, contact)
    with at(FIRST):
        assert submit(app.test_client(), link_to(message, "/group/stopped/"), {"note": "Hall sold."}).status_code == 200
        staff = staff_client(app)
        assert found(staff, word) == []  # out of default results at once
        assert [r["name"] for r in found(staff, word, archived="yes")] == [f"{word.title()} club"]  # kept
        page = html(staff.get("/staff/follow-ups"))
    assert row(app, service_id).status == "closed"
    assert actions(app, service_id)[-1] == "reported closed by the group"
    tr = next(tr for tr in page.select("tbody tr") if f"{word.title()} club" in tr.get_text())
    assert "Out of search: reported closed by the group" in tr.get_text()
    assert "Has the group stopped for good, or paused?" in tr.get_text()
    [restore] = [b for b in tr.select("button") if b.get_text() == f"Still running: {word.title()} club"]
    form = restore.find_parent("form")
    with at(FIRST + timedelta(days=1)):
        data = MultiDict(form_fields(form))  # the select is left on "Choose": the button pressed decides
        data.add(restore["name"], restore["value"])
        assert staff.post(form["action"], data=data).status_code == 303
        assert [r["name"] for r in found(staff, word)] == [f"{word.title()} club"]
    service = row(app, service_id)
    assert service.status == "active" and service.verified_how == "phone"
    assert actions(app, service_id)[-2:] == ["reported closed by the group", "follow-up: still running"]


def test_one_link_worker_report_warns_and_sinks_and_a_second_takes_the_listing_out(
    app: Flask, contact: str, word: str
) -> None:
    reported = listing_with(app, contact, word, name=f"{word.title()} reported")
    other = listing_with(app, contact, word, name=f"{word.title()} other")
    with at(VERIFIED + timedelta(days=3)):
        first, second = staff_client(app), staff_client(app)
        assert [r["name"] for r in found(first, word, sort="nearest")][0] == f"{word.title()} other"  # by name
        response = report_closed(first, reported)
        assert response.status_code == 302
        results = found(first, word)
        assert [r["name"] for r in results] == [f"{word.title()} other", f"{word.title()} reported"]  # sunk
        assert results[1]["warning"] == "Reported closed by a link worker: staff are checking"
        assert results[0]["warning"] == ""
        page = html(first.get(f"/?q={word}"))
        card = next(li for li in page.select("li.result") if "reported" in li.h3.get_text())
        assert "Reported closed by a link worker" in card.select_one(".result-warning").get_text()
        assert row(app, reported).status == "active"
        # The same worker again is not independent evidence; a second worker is.
        report_closed(first, reported)
        assert row(app, reported).status == "active"
        report_closed(second, reported)
        assert [r["name"] for r in found(first, word)] == [f"{word.title()} other"]
    assert row(app, reported).status == "closed" and row(app, other).status == "active"
    assert actions(app, reported)[-1] == "hidden: 2 link-worker reports"


def test_a_report_while_reminders_go_unanswered_takes_the_listing_out(
    app: Flask, mailbox: Mailbox, contact: str, word: str
) -> None:
    service_id = listing_with(app, contact, word)
    first_reminder(app, mailbox, contact)
    with at(FIRST + timedelta(days=2)):
        staff = staff_client(app)
        report_closed(staff, service_id)
        assert found(staff, word) == []
    assert actions(app, service_id)[-1] == "hidden: report + no reply"


def test_paused_until_a_date_from_the_reminder_comes_back_by_itself_with_a_check_email(
    app: Flask, mailbox: Mailbox, contact: str, word: str
) -> None:
    service_id = listing_with(app, contact, word)
    message = first_reminder(app, mailbox, contact)
    back = date(2027, 9, 1)
    with at(FIRST):
        client = app.test_client()
        refused = submit(client, link_to(message, "/group/confirm/"), {"answer": "paused", "paused_until": ""})
        assert refused.status_code == 422
        response = submit(app.test_client(), link_to(message, "/group/confirm/"),
                          {"answer": "paused", "paused_until": back.isoformat()})  # fmt: skip
        assert response.status_code == 200 and "paused until 1 September 2027" in html(response).get_text()
        staff = staff_client(app)
        [result] = found(staff, word)
        assert result["status"] == "paused"
        page = html(staff.get(f"/?q={word}"))
        assert "Paused until 1 September 2027" in page.select_one("li.result").get_text()
    assert (row(app, service_id).status, row(app, service_id).paused_until) == ("paused", back)
    with at(datetime(2027, 8, 31, 23)):
        job(app, "staleness")
    assert row(app, service_id).status == "paused"
    with at(datetime(2027, 9, 1, 2)):
        counts = job(app, "staleness")
    assert counts.get("pauses_ended") == 1 and counts.get("restart_checks_sent") == 1
    service = row(app, service_id)
    assert (service.status, service.paused_until) == ("active", None)
    assert actions(app, service_id)[-2:] == ["paused, said the group", "pause ended: running again"]
    check = mailbox.to(contact)[-1]
    assert len(mailbox.to(contact)) == 2 and service.name in check["Subject"]
    with at(datetime(2027, 9, 2)):  # the check's own link: running again, wait now
        assert submit(app.test_client(), link_to(check, "/group/confirm/"), {"answer": "wait-0"}).status_code == 200
    assert row(app, service_id).latest_wait.weeks == 0  # type: ignore[union-attr]


def test_a_group_pauses_and_restarts_through_its_edit_link_and_its_edit_counts_as_a_check(
    app: Flask, mailbox: Mailbox, contact: str, word: str
) -> None:
    service_id = listing_with(app, contact, word)
    message = first_reminder(app, mailbox, contact)
    client = app.test_client()
    with at(FIRST + timedelta(hours=1)):
        assert submit(client, link_to(message, "/group/link/")).status_code == 302
        home = html(client.get("/group/"))
        form = home.find("form", action=f"/group/services/{service_id}/pause")
        assert form is not None
        token = form.find("input", attrs={"name": "csrf_token"})["value"]
        response = client.post(form["action"], data={"csrf_token": token, "paused_until": "2027-06-01"})
        assert response.status_code == 303
    assert (row(app, service_id).status, row(app, service_id).paused_until) == ("paused", date(2027, 6, 1))
    with at(FIRST + timedelta(hours=3)):  # within the edit link's sign-in
        home = html(client.get("/group/"))
        form = home.find("form", action=f"/group/services/{service_id}/running")
        token = form.find("input", attrs={"name": "csrf_token"})["value"]
        assert client.post(form["action"], data={"csrf_token": token}).status_code == 303
    service = row(app, service_id)
    assert (service.status, service.paused_until, service.verified_how) == ("active", None, "group-edited")
    assert service.last_verified_at == FIRST + timedelta(hours=3)
    # An edit saved with nothing changed is still a check of what the group saw.
    with at(FIRST + timedelta(hours=5)):
        assert submit(client, f"/group/services/{service_id}/edit").status_code == 302
    service = row(app, service_id)
    assert service.last_verified_at == FIRST + timedelta(hours=5) and actions(app, service_id)[-1] == "checked by group"


def round_of_reminders(app: Flask) -> datetime:
    """Run the reminders job on each step of a round that goes unanswered; returns when it is queued for a call."""
    offsets = [int(d) for d in app.config["REMINDER_DAYS_BEFORE_DUE"].split(",")]
    for offset in offsets:
        with at(FIRST + timedelta(days=offsets[0] - offset)):
            job(app, "reminders")
    queued = FIRST + timedelta(days=offsets[0] - offsets[-1] + app.config["REMINDER_PHONE_AFTER_DAYS"])
    with at(queued):
        job(app, "reminders")
    return queued


def test_a_late_answer_settles_the_no_reply_evidence(app: Flask, mailbox: Mailbox, contact: str, word: str) -> None:
    service_id = listing_with(app, contact, word)
    queued = round_of_reminders(app)
    with at(queued + timedelta(days=app.config["REMINDER_KEEP_ASKING_DAYS"])):
        job(app, "reminders")  # asked again while it waits for a call: a fourth email
    message = mailbox.to(contact)[-1]
    assert len(mailbox.to(contact)) == 4
    with at(queued + timedelta(days=app.config["REMINDER_KEEP_ASKING_DAYS"] + 1)):
        assert submit(app.test_client(), link_to(message, "/group/confirm/"), {"answer": "wait-2"}).status_code == 200
    with db_session(app) as session:
        follow_up = session.scalars(select(FollowUp).where(FollowUp.service_id == service_id)).one()
        assert follow_up.resolved_at is not None and follow_up.resolved_by.endswith("(answered)")


def test_a_link_worker_records_a_wait_in_one_click_from_a_result_and_staff_see_the_share(
    app: Flask, contact: str, word: str
) -> None:
    service_id = listing_with(app, contact, word)
    with at(VERIFIED + timedelta(days=5)):
        staff = staff_client(app)
        page = html(staff.get(f"/?q={word}"))
        form = page.select_one("li.result form.wait-buttons")
        [button] = [b for b in form.select("button") if b.get_text() == "1 to 3 months"]
        data = {"csrf_token": form.find("input", attrs={"name": "csrf_token"})["value"],
                "next": f"/?q={word}", button["name"]: button["value"]}  # fmt: skip
        response = staff.post(form["action"], data=data)
        assert response.status_code == 303 and response.headers["Location"] == f"/?q={word}"
        share = html(staff.get("/staff/follow-ups")).select_one(".wait-share").get_text()
    wait = row(app, service_id).latest_wait
    assert wait is not None and (wait.weeks, wait.source) == (8, "link-worker")
    assert "Live listings with a waiting time dated within 90 days" in share and "%" in share


def test_a_listing_with_no_email_waits_for_a_call_without_decaying(app: Flask, word: str) -> None:
    service_id = make_listing(app, name=f"{word.title()} club", description=f"A {word} group.",
                              last_verified_at=VERIFIED.isoformat())  # fmt: skip
    with at(FIRST):
        job(app, "reminders")
    with db_session(app) as session:
        assert session.scalars(select(FollowUp.reason).where(FollowUp.service_id == service_id)).all() == ["no-email"]
    with at(FIRST + timedelta(days=120)):
        job(app, "staleness")
        [result] = found(staff_client(app), word)
    assert result["warning"] == "" and row(app, service_id).status == "active"  # no evidence: it only ages
