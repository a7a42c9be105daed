"""Issue 15: decay decided by the evidence. Silence sinks a listing once a closure is likelier than not and takes it
out once all but certain; a sign of life floats it back up; a funding end starts a round at once; a late round keeps
its steps a week apart. Real SMTP on loopback, the one-click buttons over the test client, the real jobs on a frozen
clock, and search as a link worker runs it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from directory.models.groups import GroupToken
from directory.models.verification import FollowUp, Reminder
from tests.conftest import built_app, html
from tests.directory.verification.test_freshness import (
    FIRST,
    VERIFIED,
    actions,
    at,
    found,
    job,
    listing_with,
    report_closed,
    round_of_reminders,
    row,
)
from tests.mailbox import Mailbox, db_session, link_to, smtp_mailbox, staff_client, submit

pytestmark = pytest.mark.both_backends

_serial = iter(range(1, 1_000_000))
WORDS = ["quince", "rowan", "sloe", "greengage", "elderflower", "whortleberry", "crabapple", "cloudberry"]


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    with smtp_mailbox() as box:
        yield box


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, backend: str, mailbox: Mailbox) -> Iterator[Flask]:
    config = {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": mailbox.port, "PUBLIC_URL": "http://directory.test"}
    with built_app(backend, tmp_path_factory.mktemp("instance"), **config) as app:
        yield app


@pytest.fixture
def word() -> str:
    n = next(_serial)
    return WORDS[n % len(WORDS)] + "z" * (n // len(WORDS))


@pytest.fixture
def contact() -> str:
    return f"organiser{next(_serial)}@decay.example.org"


def closure_odds(app: Flask, moment: datetime, days: int, silences: int) -> float:
    """The documented arithmetic, worked here by hand: a fifth of groups close in a year; each unanswered reminder
    multiplies the odds of a closure by 1 / (1 − the share of reminders answered, counted as if 60 more had been
    sent and a third of those answered)."""
    window = (GroupToken.created_by == "reminders", GroupToken.created_at >= moment - timedelta(days=365),
              GroupToken.created_at < moment - timedelta(days=14))  # fmt: skip
    with db_session(app) as session:
        sent = len(session.scalars(select(GroupToken.id).where(GroupToken.kind == "confirm", *window)).all())
        answered = len(session.scalars(select(GroupToken.id).where(
            GroupToken.kind.in_(("confirm", "stopped")), GroupToken.used_at.is_not(None), *window)).all())  # fmt: skip
    rate = (answered + 20) / (sent + 60)
    prior = 1 - 0.8 ** (days / 365)
    return prior / (1 - prior) * (1 / (1 - rate)) ** silences


def sent_to(app: Flask, service_id: int) -> int:
    with db_session(app) as session:
        return len(session.scalars(select(Reminder.id).where(Reminder.service_id == service_id)).all())


def warning_of(client: object, word: str, name: str) -> str | None:
    """The warning on the listing in a default search, or None when it is not in default results."""
    return next((r["warning"] for r in found(client, word) if r["name"] == name), None)


def test_silence_sinks_a_listing_once_a_closure_is_likelier_than_not_then_takes_it_out(
    app: Flask, mailbox: Mailbox, contact: str, word: str
) -> None:
    service_id = listing_with(app, contact, word)
    name = f"{word.title()} club"
    moment = round_of_reminders(app)
    with at(moment):
        job(app, "staleness")
        staff = staff_client(app)
        assert warning_of(staff, word, name) == ""  # three silences from a listing checked 8 weeks ago: not yet
    sank_at = None
    for _ in range(30):  # asked again every week while it waits for a call
        moment += timedelta(days=app.config["REMINDER_KEEP_ASKING_DAYS"])
        with at(moment):
            job(app, "reminders")
            job(app, "staleness")
            shown = warning_of(staff_client(app), word, name)
        odds = closure_odds(app, moment, (moment - VERIFIED).days, sent_to(app, service_id))
        if sank_at is None and shown:
            assert shown == "Not answering our reminders: staff will phone"
            sank_at = moment
        if shown is None:
            break
        assert bool(shown) == (odds >= 1), (moment, odds)  # sunk exactly while a closure is likelier than not
    assert sank_at is not None and shown is None
    assert actions(app, service_id)[-1].startswith("hidden: ")
    assert row(app, service_id).status == "closed"  # kept, restorable from the queue
    assert len(mailbox.to(contact)) == sent_to(app, service_id)


def test_a_wait_a_link_worker_heard_floats_a_sunk_listing_back_up(
    app: Flask, mailbox: Mailbox, contact: str, word: str
) -> None:
    service_id = listing_with(app, contact, word)
    name = f"{word.title()} club"
    moment = round_of_reminders(app)
    while True:
        moment += timedelta(days=app.config["REMINDER_KEEP_ASKING_DAYS"])
        with at(moment):
            job(app, "reminders")
            job(app, "staleness")
            if warning_of(staff_client(app), word, name):
                break
    with at(moment + timedelta(hours=2)):
        staff = staff_client(app)
        page = html(staff.get(f"/?q={word}"))
        form = page.select_one("li.result form.wait-buttons")
        [button] = [b for b in form.select("button") if b.get_text() == "Under a month"]
        data = {"csrf_token": form.find("input", attrs={"name": "csrf_token"})["value"], "next": f"/?q={word}",
                button["name"]: button["value"]}  # fmt: skip
        assert staff.post(form["action"], data=data).status_code == 303
    with at(moment + timedelta(days=1)):
        counts = job(app, "staleness")
        assert counts.get("floated", 0) >= 1
        assert warning_of(staff_client(app), word, name) == ""  # heard from: as likely running as not, or more
    with db_session(app) as session:
        [follow_up] = session.scalars(select(FollowUp).where(FollowUp.service_id == service_id)).all()
        assert (follow_up.reason, follow_up.resolved_at, follow_up.sunk_at) == ("no-reply", None, None)


def test_a_funding_end_starts_a_round_at_once(app: Flask, mailbox: Mailbox, contact: str, word: str) -> None:
    ends = VERIFIED + timedelta(days=12)  # long before its round would come (35 days after the check)
    service_id = listing_with(app, contact, word, funding_status="time-limited", funded_until=ends.date().isoformat())
    with at(ends + timedelta(hours=9)):
        job(app, "reminders")
    [message] = mailbox.to(contact)
    assert message["Subject"] == f"Is {word.title()} club still running? Please check its listing"
    with at(ends + timedelta(days=1, hours=9)):
        job(app, "staleness")
    with db_session(app) as session:
        reasons = session.scalars(select(FollowUp.reason).where(FollowUp.service_id == service_id)).all()
        assert reasons == ["funding-ended"]
    with at(ends + timedelta(days=2, hours=9)):
        job(app, "reminders")
    assert len(mailbox.to(contact)) == 1
    with at(ends + timedelta(days=3, hours=9)):
        job(app, "reminders")
    assert len(mailbox.to(contact)) == 2  # silence after a funding end counts, and it is asked every few days


def test_a_doubted_listing_is_asked_every_few_days_until_it_answers(
    app: Flask, mailbox: Mailbox, contact: str, word: str
) -> None:
    """A funding end makes a closure at least 30% likely (REMINDER_SOONER_LIKELIHOOD is 10%): its reminders come every
    REMINDER_SOONER_DAYS, and its call is queued as soon, instead of a week apart; an answer ends them."""
    ends = VERIFIED + timedelta(days=12)
    service_id = listing_with(app, contact, word, funding_status="time-limited", funded_until=ends.date().isoformat())
    sent_on = []
    for day in range(14):
        with at(ends + timedelta(days=day, hours=9)):
            job(app, "staleness")  # the funding end becomes evidence
            job(app, "reminders")
        if len(mailbox.to(contact)) > len(sent_on):
            sent_on.append(day)
    assert app.config["REMINDER_SOONER_DAYS"] == 3
    assert sent_on == [0, 3, 6, 10, 13]  # three steps, queued for a call, then asked again the next day
    with db_session(app) as session:
        queued = session.scalars(select(FollowUp).where(FollowUp.service_id == service_id,
                                                        FollowUp.reason == "no-reply")).one()  # fmt: skip
        assert queued.created_at.date() == (ends + timedelta(days=9)).date()
    with at(ends + timedelta(days=13, hours=12)):
        assert submit(app.test_client(), link_to(mailbox.to(contact)[-1], "/group/confirm/"),
                      {"answer": "wait-2"}).status_code == 200  # fmt: skip
    for day in range(14, 30):
        with at(ends + timedelta(days=day, hours=9)):
            job(app, "staleness")
            job(app, "reminders")
    assert len(mailbox.to(contact)) == 5  # answered: its next round comes REMINDER_REPEAT_DAYS after the answer


def test_a_link_worker_report_starts_a_round_at_once_so_the_group_can_answer_it(
    app: Flask, mailbox: Mailbox, contact: str, word: str
) -> None:
    service_id = listing_with(app, contact, word)
    name = f"{word.title()} club"
    reported = VERIFIED + timedelta(days=10)  # its round would start 25 days later
    with at(reported):
        assert report_closed(staff_client(app), service_id).status_code in (302, 303)
    with at(reported + timedelta(hours=2)):
        job(app, "reminders")
    [message] = mailbox.to(contact)
    assert message["Subject"] == f"Is {word.title()} club still running? Please check its listing"
    with at(reported + timedelta(days=1)):
        assert submit(app.test_client(), link_to(message, "/group/confirm/"), {"answer": "same"}).status_code == 200
        assert warning_of(staff_client(app), word, name) == ""


def test_a_late_round_keeps_its_steps_a_week_apart(app: Flask, mailbox: Mailbox, contact: str, word: str) -> None:
    listing_with(app, contact, word)
    late = FIRST + timedelta(days=30, hours=9)  # every step is overdue (the reminders were off, or it was imported)
    for offset, expected in ((0, 1), (3, 1), (6, 1), (7, 2), (10, 2), (14, 3)):
        with at(late + timedelta(days=offset)):
            job(app, "reminders")
        assert len(mailbox.to(contact)) == expected, offset  # the old catch-up sent them three days apart


def test_a_groups_own_answer_after_a_link_worker_report_settles_it(
    app: Flask, mailbox: Mailbox, contact: str, word: str
) -> None:
    service_id = listing_with(app, contact, word)
    name = f"{word.title()} club"
    with at(VERIFIED + timedelta(days=10)):
        staff = staff_client(app)
        assert report_closed(staff, service_id).status_code in (302, 303)
        assert warning_of(staff, word, name) == "Reported closed by a link worker: staff are checking"
    with at(FIRST):
        job(app, "reminders")
    [message] = mailbox.to(contact)
    with at(FIRST + timedelta(hours=3)):
        assert submit(app.test_client(), link_to(message, "/group/confirm/"), {"answer": "wait-2"}).status_code == 200
    with at(FIRST + timedelta(days=1)):
        assert warning_of(staff_client(app), word, name) == ""  # the group itself says it runs
    with db_session(app) as session:
        [report] = session.scalars(select(FollowUp).where(FollowUp.service_id == service_id)).all()
        assert report.reason == "reported-stopped" and report.resolved_by.endswith("(answered)")


def test_a_listing_the_evidence_took_out_is_still_asked_and_the_groups_answer_brings_it_back(
    app: Flask, mailbox: Mailbox, contact: str, word: str
) -> None:
    """Two link workers' reports take a listing out of default results; it is not the group's word, so its reminders
    still come (every REMINDER_HIDDEN_DAYS once its round is done), saying so, and a running group's one click
    restores it. Before, a listing out of search was never asked again: a running group stayed out until staff
    happened to call it."""
    service_id = listing_with(app, contact, word)
    name = f"{word.title()} club"
    with at(VERIFIED + timedelta(days=10)):
        for worker in (staff_client(app), staff_client(app)):
            report_closed(worker, service_id)
    assert row(app, service_id).status == "closed"
    with at(FIRST + timedelta(hours=9)):
        job(app, "reminders")
    [message] = mailbox.to(contact)
    assert message["Subject"] == f"Is {name} still running? It is out of search until we hear from you"
    assert "no longer see it in their searches" in message.get_body(("plain",)).get_content()
    with at(FIRST + timedelta(days=1)):
        assert submit(app.test_client(), link_to(message, "/group/confirm/"), {"answer": "wait-2"}).status_code == 200
        assert warning_of(staff_client(app), word, name) == ""  # back in default results, unmarked
    assert row(app, service_id).status == "active"
    assert actions(app, service_id)[-1] == "running again, said the group"
