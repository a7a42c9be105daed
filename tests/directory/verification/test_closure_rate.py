"""Issue 15: how often listings close is measured from the directory's own closures, and groups are asked again
sooner where listings close more often. The estimator's figures are worked by hand below; the round's timing is
checked end to end (the real reminders job, real SMTP on loopback)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from flask import Flask

from directory.core.db import db
from directory.jobs.registry import run_job
from directory.models.verification import FollowUp, Reminder
from directory.verification.likelihood import closure_rate
from directory.verification.priority import YEARLY_CLOSE
from directory.verification.waits import round_days
from tests.conftest import built_app
from tests.mailbox import Mailbox, make_listing, smtp_mailbox

pytestmark = pytest.mark.both_backends

BEGAN = datetime(2027, 1, 4, 9, 0)  # the directory's first reminder
STATED = -math.log(1 - YEARLY_CLOSE)  # the stated rate as a hazard: 0.2231 a year
WEIGHT = 30  # listing-years the stated rate counts for (likelihood.ASSUMED_CLOSE_WEIGHT)


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    with smtp_mailbox() as box:
        yield box


@pytest.fixture
def app(tmp_path: Path, backend: str, mailbox: Mailbox) -> Iterator[Flask]:
    """A database of its own for each test: the rate is measured over the whole directory."""
    config = {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": mailbox.port, "PUBLIC_URL": "http://directory.test"}
    with built_app(backend, tmp_path, **config) as app:
        yield app


def listings(app: Flask, n: int, **values: Any) -> list[int]:
    return [make_listing(app, **values) for _ in range(n)]


def asked(app: Flask, ids: list[int], *, checked: datetime, sent: datetime) -> None:
    """Each listing was sent a reminder at ``sent`` in the round that followed its check at ``checked``."""
    with app.app_context():
        db.session.add_all(
            Reminder(service_id=i, kind="freshness", cycle=checked.isoformat(timespec="seconds"), sequence=1,
                     email=f"group{i}@example.org", status="sent", sent_at=sent)
            for i in ids
        )  # fmt: skip
        db.session.commit()


def stopped(app: Flask, ids: list[int], *, on: datetime) -> None:
    """Each group said "we have stopped" on that day."""
    with app.app_context():
        db.session.add_all(FollowUp(service_id=i, reason="group-stopped", created_at=on) for i in ids)
        db.session.commit()


def measured(app: Flask, now: datetime) -> float:
    with app.app_context():
        return closure_rate(db.session, now=now)


def test_with_no_reminder_sent_yet_the_stated_rate_stands(app: Flask) -> None:
    listings(app, 3)
    assert measured(app, BEGAN) == pytest.approx(YEARLY_CLOSE)


def test_closures_found_after_a_watched_check_count_whole(app: Flask) -> None:
    running = listings(app, 80, last_verified_at=(BEGAN + timedelta(days=100)).isoformat())
    closed = listings(app, 20, status="closed")
    asked(app, running, checked=BEGAN - timedelta(days=5), sent=BEGAN)
    asked(app, closed, checked=BEGAN + timedelta(days=10), sent=BEGAN + timedelta(days=40))
    stopped(app, closed, on=BEGAN + timedelta(days=50))
    # watched: 80 listings running for the 100 days to their last check, 20 for 10 days to theirs and then half the
    # 40 days to the closure found; with the stated rate as 30 listing-years more
    hazard = (20 + STATED * WEIGHT) / ((80 * 100 + 20 * (10 + 20)) / 365 + WEIGHT)
    assert measured(app, BEGAN + timedelta(days=200)) == pytest.approx(1 - math.exp(-hazard))
    assert measured(app, BEGAN + timedelta(days=200)) > 0.35  # more than the stated fifth: these close more often


def test_the_time_since_a_listings_last_check_is_not_counted_as_running(app: Flask) -> None:
    """A closure takes time to find: the days since a listing's last check may hold one, so they are not counted,
    and a directory that has not yet found its recent closures does not read as one where few close."""
    running = listings(app, 80, last_verified_at=(BEGAN + timedelta(days=100)).isoformat())
    closed = listings(app, 20, status="closed")
    asked(app, running + closed, checked=BEGAN, sent=BEGAN)
    stopped(app, closed, on=BEGAN + timedelta(days=50))
    assert measured(app, BEGAN + timedelta(days=120)) == pytest.approx(measured(app, BEGAN + timedelta(days=300)))


def test_closures_of_listings_checked_before_the_watching_began_count_for_the_watched_part_only(app: Flask) -> None:
    running = listings(app, 80, last_verified_at=(BEGAN + timedelta(days=100)).isoformat())
    closed = listings(app, 20, status="closed")
    asked(app, running, checked=BEGAN - timedelta(days=5), sent=BEGAN)
    asked(app, closed, checked=BEGAN - timedelta(days=100), sent=BEGAN)
    stopped(app, closed, on=BEGAN + timedelta(days=10))
    # each closed some time in the 110 days from its check to the answer, of which 10 were watched
    hazard = (20 * 10 / 110 + STATED * WEIGHT) / ((80 * 100 + 20 * 5) / 365 + WEIGHT)
    assert measured(app, BEGAN + timedelta(days=200)) == pytest.approx(1 - math.exp(-hazard))
    assert measured(app, BEGAN + timedelta(days=200)) < YEARLY_CLOSE  # a backlog found at switch-on is no burst


def test_a_staff_call_that_finds_a_closure_counts_once_with_the_groups_own_word(app: Flask) -> None:
    running = listings(app, 80, last_verified_at=(BEGAN + timedelta(days=100)).isoformat())
    closed = listings(app, 20, status="closed")
    asked(app, running + closed, checked=BEGAN, sent=BEGAN)
    stopped(app, closed, on=BEGAN + timedelta(days=50))
    with app.app_context():
        db.session.add_all(
            FollowUp(service_id=i, reason="no-reply", created_at=BEGAN + timedelta(days=20), resolution="closed",
                     resolved_at=BEGAN + timedelta(days=60), resolved_by="staff: caller")
            for i in closed
        )  # fmt: skip
        db.session.commit()
    hazard = (20 + STATED * WEIGHT) / ((80 * 100 + 20 * 25) / 365 + WEIGHT)
    assert measured(app, BEGAN + timedelta(days=200)) == pytest.approx(1 - math.exp(-hazard))


def test_rounds_start_sooner_where_listings_close_more_often(app: Flask, mailbox: Mailbox, backend: str) -> None:
    """End to end: a listing's first reminder comes 33 days after its check at the stated fifth a year, and sooner
    once the directory has found many closures among the listings it watched."""
    config = {"REMINDER_REPEAT_DAYS": 35, "REMINDER_ROUND_LIKELIHOOD": 2}
    assert round_days(config, YEARLY_CLOSE) == 33  # ln(0.98) / ln(0.8) x 365 = 33.03 days
    checked = BEGAN + timedelta(days=300)
    contact = f"organiser@wombats-{backend}.example.org"
    make_listing(app, name="Wombat walkers", last_verified_at=checked.isoformat(),
                 contacts=[{"name": "Sam", "title": "", "phone": "01253 400400", "email": contact}])  # fmt: skip
    with time_machine.travel(checked + timedelta(days=32, hours=9), tick=False):
        run_job(app, "reminders", trigger="test")
    assert mailbox.to(contact) == []  # nothing found closed anywhere: the stated rate, 33 days
    with time_machine.travel(checked + timedelta(days=33, hours=9), tick=False):
        run_job(app, "reminders", trigger="test")
    assert len(mailbox.to(contact)) == 1

    # Another listing, checked later, in a directory that has found 25 closures among the 100 listings it began
    # asking 300 days before: 75 ran 290 days to their last check, the two here 260 and 300, the 25 closed ones
    # half of the 60 days to their closure: (25 + 6.69) / (23,060 / 365 + 30) a year, 29%.
    later = checked + timedelta(days=40)
    other = f"organiser@quolls-{backend}.example.org"
    make_listing(app, name="Quoll knitters", last_verified_at=later.isoformat(),
                 contacts=[{"name": "Jo", "title": "", "phone": "01253 400401", "email": other}])  # fmt: skip
    watched_from = later - timedelta(days=300)
    running = listings(app, 75, last_verified_at=(later - timedelta(days=10)).isoformat())
    closed = listings(app, 25, status="closed")
    asked(app, running + closed, checked=watched_from, sent=watched_from)
    stopped(app, closed, on=watched_from + timedelta(days=60))
    rate = measured(app, later + timedelta(days=17))
    assert rate == pytest.approx(1 - math.exp(-(25 + STATED * WEIGHT) / (23_060 / 365 + WEIGHT)))
    days = round_days(config, rate)
    assert days == 21  # a closure is as likely by then as by day 33 at a fifth a year
    with time_machine.travel(later + timedelta(days=days - 1, hours=9), tick=False):
        run_job(app, "reminders", trigger="test")
    assert mailbox.to(other) == []
    with time_machine.travel(later + timedelta(days=days, hours=9), tick=False):
        run_job(app, "reminders", trigger="test")
    assert len(mailbox.to(other)) == 1


def test_round_days_keep_to_the_bounds() -> None:
    config = {"REMINDER_REPEAT_DAYS": 35, "REMINDER_ROUND_LIKELIHOOD": 2}
    assert round_days(config, 0.05) == 35  # rare closures: never later than the setting
    assert round_days(config, 0.9) == 14  # very frequent: never sooner than two weeks after an answer
    assert round_days({**config, "REMINDER_ROUND_LIKELIHOOD": 0}, 0.5) == 35  # 0: the fixed schedule
