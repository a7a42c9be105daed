"""The scheduler lease, the job runs' liveness and follow-ups queued once, on SQLite and PostgreSQL."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import Engine, select

from directory.core.db import db
from directory.jobs import lease
from directory.jobs.registry import mark_dead_runs
from directory.models.jobs import JobRun
from directory.models.verification import FollowUp
from directory.verification.follow_ups import queue_follow_up
from tests.conftest import html
from tests.mailbox import db_session, make_listing, staff_client

pytestmark = pytest.mark.both_backends
NOW = datetime(2027, 3, 1, 9, 0)
HOST = socket.gethostname()


@pytest.fixture
def engine(app: Flask) -> Iterator[Engine]:
    with app.app_context():
        yield db.engine
        with db.engine.begin() as connection:
            connection.execute(lease.lease.delete())


def _gone_pid() -> int:
    """The pid of a process that has finished (and been reaped): nobody has it now."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])  # noqa: S603
    child.wait()
    return child.pid


def test_one_holder_at_a_time_renewing_its_own_lease(engine: Engine) -> None:
    first, second = "elsewhere-a:101", "elsewhere-b:202"
    assert lease.acquire(engine, first, 45, now=NOW)
    assert not lease.acquire(engine, second, 45, now=NOW + timedelta(seconds=10))
    assert lease.acquire(engine, first, 45, now=NOW + timedelta(seconds=15))  # renewed to 09:01:00
    assert not lease.acquire(engine, second, 45, now=NOW + timedelta(seconds=50))
    holder = lease.current(engine, now=NOW + timedelta(seconds=50))
    assert holder is not None and holder.holder == first and holder.acquired_at == NOW


def test_a_lease_that_runs_out_is_taken_over_and_the_old_holder_cannot_renew(engine: Engine) -> None:
    first, second = "elsewhere-a:101", "elsewhere-b:202"
    assert lease.acquire(engine, first, 45, now=NOW)
    later = NOW + timedelta(seconds=46)
    assert lease.current(engine, now=later) is None
    assert lease.acquire(engine, second, 45, now=later)
    assert not lease.acquire(engine, first, 45, now=later + timedelta(seconds=1)), "the old holder lost it"
    assert lease.holds(engine, second, now=later + timedelta(seconds=1))
    assert not lease.holds(engine, first, now=later + timedelta(seconds=1))


def test_a_holder_on_this_machine_that_has_died_is_replaced_at_once(engine: Engine) -> None:
    dead = f"{HOST}:{_gone_pid()}"
    assert lease.acquire(engine, dead, 45, now=NOW)
    assert lease.current(engine, now=NOW) is None
    assert lease.acquire(engine, "elsewhere-b:202", 45, now=NOW + timedelta(seconds=1))


def test_release_lets_the_next_scheduler_in_without_waiting(engine: Engine) -> None:
    assert lease.acquire(engine, "elsewhere-a:101", 3600)
    lease.release(engine, "elsewhere-a:101")
    assert lease.acquire(engine, "elsewhere-b:202", 45)


def test_job_runs_whose_process_died_are_marked_died_and_shown(app: Flask) -> None:
    with db_session(app) as session:
        here_dead = JobRun(name="reminders", trigger="scheduler", started_at=NOW, outcome="running",
                           worker=f"{HOST}:{_gone_pid()}", heartbeat_at=NOW)  # fmt: skip
        silent = JobRun(name="gaps", trigger="scheduler", started_at=NOW, outcome="running",
                        worker="elsewhere:77", heartbeat_at=NOW)  # fmt: skip
        beating = JobRun(name="staleness", trigger="scheduler", started_at=NOW, outcome="running",
                         worker="elsewhere:78", heartbeat_at=NOW + timedelta(minutes=9))  # fmt: skip
        session.add_all([here_dead, silent, beating])
        session.commit()
        assert mark_dead_runs(session, now=NOW + timedelta(minutes=10)) == 2
        session.commit()
        outcomes = {run.name: run.outcome for run in (here_dead, silent, beating)}
        assert outcomes == {"reminders": "died", "gaps": "died", "staleness": "running"}
        beating.outcome = "ok"
        session.commit()
    page = staff_client(app, "admin").get("/admin/jobs")
    assert page.status_code == 200
    text = html(page).get_text(" ", strip=True)
    assert "stopped before the run finished" in text and "No scheduler is running jobs now" in text


def test_a_follow_up_is_queued_once_even_from_two_sessions(app: Flask, tmp_path: Path) -> None:
    service_id = make_listing(app)
    with app.app_context():
        engine = db.engine
    from sqlalchemy.orm import Session

    with Session(engine) as one, Session(engine) as two:
        assert queue_follow_up(one, service_id, "no-reply", cycle="2027-01-04T09:00:00") is not None
        one.commit()
        assert queue_follow_up(two, service_id, "no-reply", cycle="2027-01-04T09:00:00") is None
        assert queue_follow_up(two, service_id, "group-stopped", detail="first answer") is not None
        assert queue_follow_up(two, service_id, "group-stopped", detail="second answer") is not None
        two.commit()
    with db_session(app) as session:
        reasons = session.scalars(select(FollowUp.reason).where(FollowUp.service_id == service_id)).all()
    assert sorted(reasons) == ["group-stopped", "group-stopped", "no-reply"]
