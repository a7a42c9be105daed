"""Faults injected into real processes: a job killed mid-send, two schedulers at once, an import killed mid-run.

Each test runs the directory's own command (``python -m directory.cli ...``) as a child process against a real
database (SQLite file and PostgreSQL) and a real SMTP server on loopback, and kills it with SIGKILL: no
``finally`` runs, nothing is cleaned up, as when a machine loses power or the OOM killer strikes.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from directory.cli import cli
from directory.core import outbox
from directory.core.outbox import OutboundMail
from directory.jobs import scheduler as jobs
from directory.jobs.registry import run_job
from directory.models import Service
from directory.models.groups import ListingRequest
from directory.models.imports import ImportRun, ImportSource
from directory.models.jobs import JobRun
from directory.models.verification import Reminder
from tests.conftest import built_app
from tests.mailbox import Mailbox, db_session, free_port, make_listing, smtp_mailbox

LISTINGS = 12
pytestmark = pytest.mark.both_backends


class HeldMailbox(Mailbox):
    """A mailbox that, on message number ``hold_at``, keeps it and then holds its answer back: the sender is
    killed while it waits, after the SMTP server has the message and before the sender knows it was sent."""

    def __init__(self, port: int, hold_at: int) -> None:
        super().__init__(port)
        self.hold_at = hold_at
        self.holding = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        answer = await super().handle_DATA(server, session, envelope)
        if len(self.messages) == self.hold_at:
            self.holding.set()
            await asyncio.sleep(3)
        return answer


def _mail(box: Mailbox) -> dict[str, Any]:
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": box.port, "PUBLIC_URL": "http://directory.test"}


def _env(app: Flask, port: int, **settings: str) -> dict[str, str]:
    env = {
        **os.environ, "DIRECTORY_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "DIRECTORY_INSTANCE_PATH": app.instance_path, "DIRECTORY_SECRET_KEY": "test-only-key",
        "DIRECTORY_MAIL_SERVER": "127.0.0.1", "DIRECTORY_MAIL_PORT": str(port),
        "DIRECTORY_PUBLIC_URL": "http://directory.test", "DIRECTORY_IMPORT_QUEUE_POLL": "0",
    }  # fmt: skip
    env.update({f"DIRECTORY_{name}": value for name, value in settings.items()})
    return env


def _command(env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "directory.cli", *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )


def _due_listings(app: Flask) -> list[str]:
    """Listings whose first reminder is due now, each with its own contact; their addresses."""
    verified = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=int(app.config["FRESH_DAYS"]) - 20)
    addresses = []
    for number in range(LISTINGS):
        address = f"organiser{number}@group.example.org"
        make_listing(
            app, last_verified_at=verified.isoformat(timespec="seconds"),
            contacts=[{"name": "Sam", "title": "", "phone": "01253 400400", "email": address}],
        )  # fmt: skip
        addresses.append(address)
    return addresses


def _until(check: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {seconds} s for {what}")
        time.sleep(0.1)


def _received(mailbox: Mailbox) -> Counter[str]:
    return Counter(address for recipients in mailbox.recipients for address in recipients)


def _job_runs(app: Flask, name: str) -> list[tuple[str, str]]:
    with db_session(app) as session:
        rows = session.scalars(select(JobRun).where(JobRun.name == name).order_by(JobRun.id))
        return [(row.outcome, row.worker) for row in rows]


def test_a_reminders_run_killed_between_send_and_mark_sends_no_email_twice(tmp_path: Path, backend: str) -> None:
    held = HeldMailbox(free_port(), hold_at=5)
    with smtp_mailbox(held) as box, built_app(backend, tmp_path, **_mail(box)) as app:
        addresses = _due_listings(app)
        child = _command(_env(app, box.port), "jobs", "once", "reminders")
        try:
            assert held.holding.wait(60), "the fifth reminder never reached the SMTP server"
        finally:
            child.send_signal(signal.SIGKILL)
            child.communicate(timeout=10)
        assert len(box.messages) == 5
        with db_session(app) as session:  # the fifth is claimed and not marked: the crash between the two
            assert session.scalar(select(func.count()).where(Reminder.status == "sending")) == 1

        again = run_job(app, "reminders", trigger="test")
        assert again.outcome == "ok", again.error
        received = _received(box)
        assert sorted(received) == sorted(addresses), "every group got its reminder"
        assert set(received.values()) == {1}, f"a reminder was sent twice: {received}"
        assert _job_runs(app, "reminders")[0][0] == "died", "the killed run is marked died, not left running"


def test_an_outbox_run_killed_between_send_and_mark_sends_no_email_twice(tmp_path: Path, backend: str) -> None:
    held = HeldMailbox(free_port(), hold_at=3)
    with smtp_mailbox(held) as box, built_app(backend, tmp_path, **_mail(box)) as app:
        addresses = [f"declined{number}@group.example.org" for number in range(LISTINGS)]
        with db_session(app) as session:  # emails whose requests ended before delivering them (or failed)
            for address in addresses:
                request = ListingRequest(service_name="Lunch club", organization_name="Lunch", email=address)
                outbox.queue(session, f"listing-declined:{address}", address, "Your request", "listing_declined",
                             request=request)  # fmt: skip
            session.commit()
        child = _command(_env(app, box.port), "jobs", "once", "outbox")
        try:
            reached = held.holding.wait(20)
        finally:
            child.send_signal(signal.SIGKILL)
            output = child.communicate(timeout=10)[0].decode()
        assert reached, f"the third email never reached the SMTP server: {output[-2000:]}"
        assert len(box.messages) == 3
        with db_session(app) as session:  # the third is claimed and not marked: the crash between the two
            assert session.scalar(select(func.count()).where(OutboundMail.status == "sending")) == 1

        again = run_job(app, "outbox", trigger="test")
        assert again.outcome == "ok" and again.counts == {"sent": LISTINGS - 3}, again.error
        received = _received(box)
        assert sorted(received) == sorted(addresses), "every group got its email"
        assert set(received.values()) == {1}, f"an email was sent twice: {received}"


def _store_a_missed_run(app: Flask) -> None:
    """The job store as a scheduler leaves it when the reminders run fell due while no scheduler was up."""
    scheduler = jobs.start_scheduler(app)
    scheduler.pause()
    scheduler.modify_job("reminders", next_run_time=datetime.now(UTC) - timedelta(minutes=5))
    scheduler.shutdown()


def test_two_schedulers_run_each_job_once_and_the_second_takes_over_when_the_first_dies(
    tmp_path: Path, backend: str
) -> None:
    settings = {"JOBS_SCHEDULE": "reminders=0 9 * * *", "JOBS_LEASE_SECONDS": "6"}
    with smtp_mailbox() as box, built_app(backend, tmp_path, **settings) as app:  # noqa: SIM117
        addresses = _due_listings(app)
        _store_a_missed_run(app)
        env = _env(app, box.port, **settings)
        first, second = _command(env, "jobs", "run"), _command(env, "jobs", "run")
        try:
            _until(lambda: any(outcome == "ok" for outcome, _ in _job_runs(app, "reminders")), 60, "a reminders run")
            time.sleep(4)  # room for a second scheduler to start the missed run too
            assert [outcome for outcome, _ in _job_runs(app, "reminders")] == ["ok"], "the missed run ran once"
            received = _received(box)
            assert sorted(received) == sorted(addresses) and set(received.values()) == {1}
            [(_, holder)] = _job_runs(app, "reminders")
            listed = app.test_cli_runner().invoke(cli, ["jobs", "list"]).output
            assert f"Scheduler lease: held by {holder}" in listed
            running, waiting = (first, second) if holder.endswith(f":{first.pid}") else (second, first)

            running.send_signal(signal.SIGKILL)
            running.communicate(timeout=10)
            _until(
                lambda: f":{waiting.pid}" in app.test_cli_runner().invoke(cli, ["jobs", "list"]).output,
                15, "the waiting scheduler to take the lease over",
            )  # fmt: skip
        finally:
            for child in (first, second):
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)
            outputs = [child.communicate(timeout=30)[0].decode() for child in (first, second)]
        assert any("holds the lease; waiting" in output for output in outputs), outputs
        assert any(f"This process ({holder.rpartition(':')[0]}:{waiting.pid}) holds" in o for o in outputs), outputs


BIG = 6_000


def test_an_import_killed_mid_run_changes_nothing_and_can_run_again_at_once(tmp_path: Path, backend: str) -> None:
    rows = ["Group name,Description,Postcode,Email"] + [
        f"Killed import group {n},A weekly session number {n},FY1 1AD,group{n}@example.org" for n in range(BIG)
    ]
    sheet = tmp_path / "groups.csv"
    sheet.write_text("\n".join(rows) + "\n", encoding="utf-8")
    with built_app(backend, tmp_path) as app:

        def services(shown_only: bool = False) -> int:
            query = select(func.count()).select_from(Service)
            if shown_only:
                query = query.where(Service.status != "archived")
            with db_session(app) as session:
                return int(session.scalar(query) or 0)

        def running() -> bool:
            with db_session(app) as session:
                return bool(session.scalar(select(func.count()).where(ImportRun.status == "running")))

        before = services()
        child = _command(_env(app, 25), "import", "spreadsheet", str(sheet), "--name", "big sheet")
        try:
            _until(running, 60, "the import to start")
            time.sleep(1.5)  # well into its rows
        finally:
            child.send_signal(signal.SIGKILL)
            output = child.communicate(timeout=10)[0].decode()
        assert "new," not in output, f"the import finished before it was killed: {output}"
        # What it wrote before it died is hidden (never shown), and taken back when the run is reset.
        assert services(shown_only=True) == before, "a killed import showed nothing"
        with db_session(app) as session:
            state = session.scalars(select(ImportSource.state).where(ImportSource.name == "big sheet")).one()
        assert state == "running"

        started = time.monotonic()
        again = app.test_cli_runner().invoke(cli, ["import", "spreadsheet", str(sheet), "--name", "big sheet"])
        assert again.exit_code == 0, again.output
        assert f"{BIG} new" in again.output and time.monotonic() - started < 600
        assert services() == before + BIG  # the killed run's hidden listings were removed, not left beside these
        with db_session(app) as session:
            runs = session.execute(select(ImportRun.status, ImportRun.failure).order_by(ImportRun.id)).all()
        assert [status for status, _ in runs] == ["failed", "succeeded"]
        assert "its process died" in runs[0].failure
