"""A simulated year of churn driving the real product: does the directory stay true?

    python bench/freshness.py [--listings 300] [--weeks 52] [--seed 15] [--no-baseline] [--markdown]

What is real: the product's clock (``directory/core/clock.py``, moved a day at a time with time-machine), its
scheduled jobs (``staleness`` and ``reminders`` through ``jobs.registry.run_job``, every day), its emails (SMTP to
an aiosmtpd server on loopback, read back and followed), the one-click links and the staff pages (the Flask test
client: real routing, CSRF, templates and the write path), link workers' closure reports and one-click waits (the
listing's report form and the result's wait buttons), staff's calls (the follow-up queue page, worked from the
top, a fixed number a week), and the figures (the real search engine, a default link-worker search with every
result). What is simulated: the world (which groups close, pause and restart, who answers), stated in ``World``.

The same churn (the same seed) runs twice: with the product as it is, and with no reminders at all (the baseline).
Each week prints: false live (closed listings among those a default search shows as live: active, not stale, no
warning), the median age of the waits shown on live listings and the share of them dated within 90 days, false
dead (running listings hidden, or shown stale, paused or with a warning), and staff calls used.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import math
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import time_machine
from bs4 import BeautifulSoup
from sqlalchemy import select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from directory import create_app  # noqa: E402
from directory.accounts.users import create_user  # noqa: E402
from directory.core.clock import utcnow  # noqa: E402
from directory.core.db import db  # noqa: E402
from directory.core.writes import Actor  # noqa: E402
from directory.jobs.registry import run_job  # noqa: E402
from directory.listings import operations  # noqa: E402
from directory.models import DemandEvent, Service, WaitingTimeReport  # noqa: E402
from directory.models.verification import FollowUp  # noqa: E402
from directory.ops.database import init_database  # noqa: E402
from directory.search.engine import search  # noqa: E402
from directory.search.query import parse_query  # noqa: E402
from directory.verification.likelihood import closure_likelihoods, closure_rate  # noqa: E402
from tests.mailbox import link_to, smtp_mailbox  # noqa: E402
from tests.mailbox import submit as submit_form  # noqa: E402

START = datetime(2027, 1, 4, 8, 0)  # a Monday
PASSWORD = "simulation password, not a secret"  # noqa: S105 (a throwaway database)


@dataclass(frozen=True)
class World:
    """The churn, per listing, as stated in issue 15 (rates per year unless named otherwise)."""

    close: float = 0.20  # about a fifth of groups close in a year, all causes (funding's end included)
    pause: float = 0.15  # some pause (a summer break, a volunteer away) ...
    pause_weeks: tuple[int, int] = (3, 12)  # ... for this long, then run again
    pause_dated: float = 0.7  # a pausing group that answers gives the date it restarts
    change: float = 0.33  # about a third change a detail (here: the wait) in a year
    funded: float = 0.3  # share of listings with a funding end date within the year ...
    funding_closes: float = 0.4  # ... of which this share close on that date
    answer_running: float = 1 / 3  # a running group answers a reminder about a third of the time
    answer_closed: float = 0.03  # a closed one almost never (with "we have stopped")
    answer_days: int = 5  # an answer comes within this many days of the email
    answer_with_wait: float = 0.7  # an answering group presses a wait button (else "still running, correct")
    no_email: float = 0.08  # listings with no email address (staff must phone)
    report_closed_weekly: float = 0.05  # chance a week that link workers notice a closed listing still shown ...
    signposting_feedback: float = 0.5  # ... and that a person sent to a closed group comes back to say so (reported)
    feedback_days: int = 7  # within this many days of the signposting
    report_wrongly_yearly: float = 0.01  # a running listing wrongly reported closed
    workers: int = 12  # link workers reporting (independent reporters)
    wait_heard_weekly: float = 0.02  # chance a week a link worker records a wait heard for a listing
    signpostings_weekly: int = 40  # signpostings a week, to listings a default search shows as live
    calls_per_300: int = 8  # staff follow-up calls a week per 300 listings
    initial_wait: float = 0.7  # share of listings with a wait at the start ...
    initial_wait_age: int = 200  # ... reported up to this many days before
    initial_check_age: int = 150  # listings last checked up to this many days before the start; some closed since


@dataclass
class Truth:
    """One listing's real life: when it closes, its pauses, its wait, its contact."""

    closed_on: int | None  # day index
    pauses: list[tuple[int, int]]  # [start, end) day indexes
    wait_weeks: int
    email: str | None
    wait_changes: list[int] = field(default_factory=list)

    def state(self, day: int) -> str:
        if self.closed_on is not None and day >= self.closed_on:
            return "closed"
        if any(start <= day < end for start, end in self.pauses):
            return "paused"
        return "running"

    def pause_end(self, day: int) -> int | None:
        return next((end for start, end in self.pauses if start <= day < end), None)


def make_world(world: World, n: int, days: int, seed: int) -> tuple[list[Truth], dict[int, date], list[int]]:
    """Each listing's year, its funding end date, and how many days before the start it was last checked (a
    listing checked long ago may have closed since: the directory starts with what a real one holds)."""
    rng = random.Random(seed)
    ages = [random.Random(seed + 3 + i).randrange(0, world.initial_check_age) for i in range(n)]
    rates = {"pause": world.pause, "change": world.change,
             # closures for other reasons than funding ending, so that all causes together make ``close``
             "close": max(0.0, world.close - world.funded * world.funding_closes)}  # fmt: skip
    daily = {name: 1 - (1 - rate) ** (1 / 365) for name, rate in rates.items()}
    truths, funding = [], {}
    for i in range(n):
        closed_on = next((d for d in range(days) if rng.random() < daily["close"]), None)
        if random.Random(seed + 5000 + i).random() < 1 - (1 - world.close) ** (ages[i] / 365):
            closed_on = -1  # closed between its last check and the start
        if rng.random() < world.funded:
            ends = rng.randrange(30, days + 60)
            funding[i] = (START + timedelta(days=ends)).date()
            if ends < days and rng.random() < world.funding_closes:
                closed_on = min(closed_on if closed_on is not None else days, ends)
        pauses, d = [], 0
        while d < days:
            if rng.random() < daily["pause"]:
                length = rng.randint(world.pause_weeks[0] * 7, world.pause_weeks[1] * 7)
                pauses.append((d, d + length))
                d += length
            d += 1
        email = None if rng.random() < world.no_email else f"group{i}@groups.example.org"
        changes = [d for d in range(days) if rng.random() < daily["change"]]
        truths.append(Truth(closed_on, pauses, rng.choice([0, 1, 2, 3, 6, 8, 12, 20, 30]), email, changes))
    return truths, funding, ages


def submit(client: Any, path: str, changes: dict[str, str]) -> bool:
    """Open a one-click link and press its button, as a person would; False when the link no longer works."""
    try:
        return int(submit_form(client, path, changes).status_code) < 400
    except AssertionError:  # used, expired or withdrawn: the page said so
        return False


def bucket(weeks: int) -> str:
    """The one-click wait a group presses for its real wait."""
    if weeks == 0:
        return "wait-0"
    return "wait-2" if weeks < 5 else "wait-8" if weeks < 14 else "wait-18" if weeks < 27 else "wait-30"


@dataclass
class Week:
    week: int
    shown_live: int
    false_live: float
    median_wait_days: float | None
    current_wait_share: float
    false_dead: float
    calls: int
    hidden_running: int
    emails: int
    calls_closed: int = 0  # calls that found the listing closed
    closure_rate: float = 0.0  # the yearly closure rate the product measured that week
    dead_why: dict[str, int] = field(default_factory=dict)  # running listings not shown live, by how they show
    live_why: dict[str, int] = field(default_factory=dict)  # closed listings shown live, by their open evidence


class Simulation:
    def __init__(self, world: World, n: int, weeks: int, seed: int, *, reminders: bool, folder: Path) -> None:
        self.world, self.n, self.days, self.seed, self.reminders = world, n, weeks * 7, seed, reminders
        self.truths, self.funding, self.check_ages = make_world(world, n, self.days, seed)
        self.rng = random.Random(seed + 1)  # people's choices; the same for both runs until they diverge
        self.folder = folder
        self.progress = False
        self.settings: dict[str, Any] = {}
        self.ids: list[int] = []
        self.by_email: dict[str, int] = {}
        self.answers: dict[int, list[tuple[int, str, str]]] = defaultdict(list)  # day -> (listing, kind, path)
        self.feedback: dict[int, list[int]] = defaultdict(list)  # day -> service ids a person found closed
        self.calls = 0
        self.calls_closed = 0
        self.call_log: list[tuple[str, float, bool]] = []  # (shown live or out of sight, P(closed), found closed)
        self.emails = 0
        self.seen_messages = 0
        self.weeks: list[Week] = []

    @contextlib.contextmanager
    def at(self, day: int, hour: int = 0) -> Iterator[datetime]:
        moment = START + timedelta(days=day, hours=hour)
        with time_machine.travel(moment, tick=False):
            yield moment

    def run(self) -> list[Week]:
        with smtp_mailbox() as mailbox:
            self.mailbox = mailbox
            self.app = create_app(
                {**self.settings, "TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{self.folder / 'sim.sqlite'}",
                 "SECRET_KEY": "simulation", "RATELIMIT_ENABLED": False, "INSTANCE_PATH": str(self.folder),
                 "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": mailbox.port, "PUBLIC_URL": "http://directory.test"}
            )  # fmt: skip
            with self.app.app_context():
                init_database()
            with self.at(0):
                self._seed()
            for day in range(self.days):
                self._day(day)
                if day % 7 == 6:
                    with self.at(day, 20):
                        self.weeks.append(self._measure(day // 7 + 1))
                    if self.progress:
                        print(self.weeks[-1], flush=True)
        return self.weeks

    # --- the start ---------------------------------------------------------------------------------------------

    def _seed(self) -> None:
        rng = random.Random(self.seed + 2)
        staff = Actor(label="staff: simulation", source="staff")
        with self.app.app_context():
            session = db.session
            people = [f"worker{w}@team.example.org" for w in range(self.world.workers)] + ["caller@team.example.org"]
            for email in people:
                create_user(session, email_address=email, role="link-worker", password=PASSWORD)
            for i, truth in enumerate(self.truths):
                org = operations.create(session, "organization", {"name": f"Group {i}"}, staff)
                checked = START - timedelta(days=self.check_ages[i])
                values: dict[str, Any] = {
                    "organization_id": org.id, "name": f"Group {i} sessions", "description": "A community group.",
                    "categories": ["arts-crafts"], "last_verified_at": checked.isoformat(), "phone": "01253 400400",
                    "contacts": [{"name": "Organiser", "title": "", "phone": "", "email": truth.email or ""}],
                }  # fmt: skip
                if i in self.funding:
                    values.update({"funding_status": "time-limited", "funded_until": self.funding[i].isoformat()})
                service = operations.create(session, "service", values, staff)
                self.ids.append(service.id)
                if truth.email:
                    self.by_email[truth.email] = i
                if rng.random() < self.world.initial_wait:
                    reported = START - timedelta(days=rng.randrange(0, self.world.initial_wait_age))
                    session.add(WaitingTimeReport(service_id=service.id, weeks=truth.wait_weeks, source="link-worker",
                                                  reported_at=reported))  # fmt: skip
            session.commit()
        self.clients: dict[str, Any] = {}

    def client(self, email: str, day: int) -> Any:
        """A staff member's browser, signed in through the real form (again each simulated week)."""
        key = f"{email}:{day // 7}"
        if key in self.clients:
            return self.clients[key]
        self.clients = {k: v for k, v in self.clients.items() if not k.endswith(f":{day // 7 - 1}")}
        client = self.clients[key] = self.app.test_client()
        page = BeautifulSoup(client.get("/login").data, "html.parser")
        token = page.find("input", {"name": "csrf_token"})["value"]
        client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
        return client

    # --- a day -------------------------------------------------------------------------------------------------

    def _day(self, day: int) -> None:
        with self.at(day, 2):
            run_job(self.app, "staleness", trigger="simulation")
        if self.reminders:
            with self.at(day, 9):
                run_job(self.app, "reminders", trigger="simulation")
                self._read_mail(day)
        with self.at(day, 12):
            self._group_answers(day)
            self._link_workers(day)
            if day % 7 < 5:  # staff phone on weekdays
                self._calls(day)

    def _read_mail(self, day: int) -> None:
        messages = self.mailbox.messages[self.seen_messages :]
        self.seen_messages = len(self.mailbox.messages)
        for message in messages:
            self.emails += 1
            i = self.by_email.get(str(message["To"]).strip())
            if i is None:
                continue
            state = self.truths[i].state(day)
            answers = self.rng.random() < (self.world.answer_closed if state == "closed" else self.world.answer_running)
            if answers:
                when = day + self.rng.randrange(0, self.world.answer_days)
                if state == "closed":
                    self.answers[when].append((i, "stopped", link_to(message, "/group/stopped/")))
                else:
                    self.answers[when].append((i, "confirm", link_to(message, "/group/confirm/")))

    def _group_answers(self, day: int) -> None:
        for i, kind, path in self.answers.pop(day, []):
            truth = self.truths[i]
            client = self.app.test_client()
            if kind == "stopped":
                submit(client, path, {"note": ""})
                continue
            state = truth.state(day)
            if state == "closed":  # it closed between the email and the answer: it would not answer
                continue
            if state == "paused":
                end = truth.pause_end(day)
                if end is not None and self.rng.random() < self.world.pause_dated:
                    until = (START + timedelta(days=end)).date().isoformat()
                    submit(client, path, {"answer": "paused", "paused_until": until})
                continue
            choice = bucket(truth.wait_weeks) if self.rng.random() < self.world.answer_with_wait else "same"
            submit(client, path, {"answer": choice})
        for truth in self.truths:
            if day in truth.wait_changes:
                truth.wait_weeks = self.rng.choice([0, 1, 2, 3, 6, 8, 12, 20, 30])

    def _shown(self) -> dict[int, Service]:
        with self.app.app_context():
            query = dataclasses.replace(parse_query({}), limit=100_000)
            outcome = search(db.session, query, self.app.config)
            return {r.service.id: r for r in outcome.results}  # type: ignore[misc]

    def _link_workers(self, day: int) -> None:
        world, rng = self.world, self.rng
        daily_report = 1 - (1 - world.report_closed_weekly) ** (1 / 7)
        daily_wrong = 1 - (1 - world.report_wrongly_yearly) ** (1 / 365)
        daily_wait = 1 - (1 - world.wait_heard_weekly) ** (1 / 7)
        shown = self._shown()
        index = {service_id: i for i, service_id in enumerate(self.ids)}

        def worker() -> Any:
            return self.client(f"worker{rng.randrange(world.workers)}@team.example.org", day)

        def report(service_id: int) -> None:
            client = worker()
            page = BeautifulSoup(client.get(f"/staff/services/{service_id}").data, "html.parser")
            form = page.select_one("form.report-form")
            token = form.find("input", {"name": "csrf_token"})["value"]
            client.post(form["action"], data={"csrf_token": token, "reason": "reported-stopped"})

        came_back = set(self.feedback.pop(day, []))
        for service_id in shown:
            i = index[service_id]
            state = self.truths[i].state(day)
            if (
                service_id in came_back
                or (state == "closed" and rng.random() < daily_report)
                or (state == "running" and rng.random() < daily_wrong)
            ):
                report(service_id)
            elif state == "running" and rng.random() < daily_wait:  # heard while signposting: one click
                client = worker()
                page = BeautifulSoup(client.get(f"/staff/services/{service_id}").data, "html.parser")
                token = page.find("input", {"name": "csrf_token"})["value"]
                client.post(f"/staff/services/{service_id}/waiting-time",
                            data={"csrf_token": token, "weeks": str(self.truths[i].wait_weeks)})  # fmt: skip
        # People are sent to what a search shows as running (closed ones too, until the directory knows); one sent
        # to a closed group often comes back to say so, and their link worker reports it.
        live = [sid for sid, r in shown.items() if r.service.status == "active" and not r.warning] or list(shown)
        picks = [rng.choice(live) for _ in range(rng.randrange(world.signpostings_weekly * 2 // 7 + 1))]
        for sid in picks:
            if self.truths[index[sid]].state(day) == "closed" and rng.random() < world.signposting_feedback:
                self.feedback[day + rng.randint(1, world.feedback_days)].append(sid)
        today = (START + timedelta(days=day)).date()
        with self.app.app_context():
            db.session.add_all(DemandEvent(kind="signposting", category_code="arts-crafts", service_id=sid,
                                           occurred_on=today) for sid in picks)  # fmt: skip
            db.session.commit()

    def _calls(self, day: int) -> None:
        """Staff work the queue from the top: a fixed number of calls a week, spread over the weekdays."""
        weekly = round(self.world.calls_per_300 * self.n / 300)
        budget = weekly * (day % 7 + 1) // 5 - weekly * (day % 7) // 5
        if budget <= 0:
            return
        client = self.client("caller@team.example.org", day)
        index = {service_id: i for i, service_id in enumerate(self.ids)}
        for _ in range(budget):
            page = BeautifulSoup(client.get("/staff/follow-ups").data, "html.parser")
            rows = [tr for tr in page.select("tbody tr") if tr.find("form")]
            if not rows:
                return
            tr = rows[0]
            service_id = int(tr.find("a")["href"].rstrip("/").split("/")[-1])
            truth = self.truths[index[service_id]]
            state = truth.state(day)
            self._note_call(service_id, state)
            form = tr.find("form")
            data = {"csrf_token": form.find("input", {"name": "csrf_token"})["value"], "note": "", "weeks": ""}
            if state == "running":
                data.update(resolution="still-running", weeks=str(truth.wait_weeks))
            else:
                data["resolution"] = "paused" if state == "paused" else "closed"
                self.calls_closed += state == "closed"
            response = client.post(form["action"], data=data)
            if data["resolution"] == "closed":
                # "Closed" takes the listing out of search, so the queue asks first: staff press "Yes" on that page
                confirm = BeautifulSoup(response.data, "html.parser").find("form", action=form["action"])
                fields = {i["name"]: i.get("value", "") for i in confirm.find_all("input") if i.get("name")}
                assert fields.get("confirmed") == "yes", "the queue no longer asks before closing: update the bench"
                client.post(form["action"], data=fields)
            self.calls += 1

    def _note_call(self, service_id: int, state: str) -> None:
        """What staff knew when they picked up the phone: was the listing still shown as live, and how likely did
        the product think a closure was (its calibration, against what the call found)."""
        with self.app.app_context():
            status = db.session.get_one(Service, service_id).status
            sunk = db.session.scalar(
                select(FollowUp.id).where(FollowUp.service_id == service_id, FollowUp.resolved_at.is_(None),
                                          FollowUp.sunk_at.is_not(None))
            )  # fmt: skip
            probability = closure_likelihoods(db.session, [service_id], now=utcnow())[service_id].probability
        shown = "out of sight" if status == "closed" or sunk is not None else "shown live"
        self.call_log.append((shown, probability, state == "closed"))

    # --- the figures -------------------------------------------------------------------------------------------

    def _measure(self, week: int) -> Week:
        day = week * 7 - 1
        now = START + timedelta(days=day, hours=20)
        shown = self._shown()
        index = {service_id: i for i, service_id in enumerate(self.ids)}
        live = [r for r in shown.values() if r.service.status == "active" and r.freshness.state in ("fresh", "due")
                and not r.warning]  # type: ignore[attr-defined]  # fmt: skip
        wrong = [r.service.id for r in live if self.truths[index[r.service.id]].state(day) == "closed"]
        false_live = len(wrong)
        with self.app.app_context():
            measured = closure_rate(db.session, now=now)
            open_reasons: dict[int, set[str]] = defaultdict(set)
            for service_id, reason in db.session.execute(
                select(FollowUp.service_id, FollowUp.reason).where(
                    FollowUp.service_id.in_(wrong), FollowUp.resolved_at.is_(None)
                )
            ):
                open_reasons[service_id].add(reason)
        live_why: dict[str, int] = defaultdict(int)
        for service_id in wrong:
            live_why["+".join(sorted(open_reasons[service_id])) or "no evidence"] += 1
        ages = [(now - r.wait.reported_at).days for r in live if r.wait is not None]
        running = [i for i, t in enumerate(self.truths) if t.state(day) == "running"]
        live_ids = {r.service.id for r in live}
        dead = [i for i in running if self.ids[i] not in live_ids]
        hidden = [i for i in running if self.ids[i] not in shown]
        why: dict[str, int] = defaultdict(int)
        for i in dead:
            r = shown.get(self.ids[i])
            reason = ("hidden" if r is None else "paused" if r.service.status == "paused" else "warning"
                      if r.warning else r.freshness.state)  # type: ignore[attr-defined]  # fmt: skip
            why[reason] += 1
        result = Week(
            week=week, shown_live=len(live), false_live=false_live / len(live) if live else 0.0,
            median_wait_days=statistics.median(ages) if ages else None,
            current_wait_share=sum(a <= 90 for a in ages) / len(live) if live else 0.0,
            false_dead=len(dead) / len(running) if running else 0.0, calls=self.calls, hidden_running=len(hidden),
            emails=self.emails, dead_why=dict(why), live_why=dict(live_why), calls_closed=self.calls_closed,
            closure_rate=measured,
        )  # fmt: skip
        self.calls = self.calls_closed = 0
        self.emails = 0
        return result


def table(weeks: list[Week], title: str) -> str:
    lines = [f"#### {title}", "", "| week | shown live | false live | median wait age (days) | waits ≤ 90 days | "
             "false dead | calls | emails |", "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for w in weeks:
        median = "—" if w.median_wait_days is None else f"{w.median_wait_days:.0f}"
        lines.append(f"| {w.week} | {w.shown_live} | {w.false_live:.1%} | {median} | {w.current_wait_share:.0%} | "
                     f"{w.false_dead:.1%} | {w.calls} | {w.emails} |")  # fmt: skip
    return "\n".join(lines)


def summary(weeks: list[Week], label: str) -> str:
    late = [w for w in weeks if w.week >= 4]
    medians = [w.median_wait_days for w in late if w.median_wait_days is not None]
    live = [w.false_live for w in late]
    dead = [w.false_dead for w in weeks]
    parts = [
        f"false live (weeks ≥ 4) mean {statistics.mean(live):.1%}, max {max(live):.1%}, "
        f"{sum(x > 0.02 for x in live)} of {len(live)} weeks over 2%",
        f"false dead (every week) mean {statistics.mean(dead):.1%}, max {max(dead):.1%}, "
        f"{sum(x > 0.02 for x in dead)} of {len(dead)} weeks over 2%",
        f"median wait age (weeks ≥ 4) max {max(medians, default=math.nan):.0f} days, "
        f"mean {statistics.mean(medians) if medians else math.nan:.0f}",
        f"waits ≤ 90 days min {min(w.current_wait_share for w in late):.0%}",
        f"calls a week max {max(w.calls for w in weeks)}, mean {statistics.mean(w.calls for w in weeks):.1f}",
        f"calls that found a closure {sum(w.calls_closed for w in weeks)} of {sum(w.calls for w in weeks)}",
        f"emails a week mean {statistics.mean(w.emails for w in weeks):.0f}",
        f"closure rate measured at the end {weeks[-1].closure_rate:.0%}",
    ]
    return f"{label}: " + "; ".join(parts)


def calibration(log: list[tuple[str, float, bool]]) -> str:
    """The calls by what the listing showed and the closure chance the product gave it, against what they found."""
    lines = ["calls: shown as | P(closed) the product gave | calls | found closed"]
    for shown in ("shown live", "out of sight"):
        for low, high in ((0, 0.1), (0.1, 0.3), (0.3, 0.5), (0.5, 0.8), (0.8, 1.01)):
            picked = [closed for s, p, closed in log if s == shown and low <= p < high]
            if picked:
                lines.append(f"  {shown} | {low:.0%}-{min(high, 1):.0%} | {len(picked)} | {sum(picked)}")
    return "\n".join(lines)


def _setting(pair: str) -> tuple[str, Any]:
    name, _, value = pair.partition("=")
    return name.removeprefix("DIRECTORY_"), int(value) if value.lstrip("-").isdigit() else value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--listings", type=int, default=300)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--close-rate", type=float, help="share of groups closing in a year (World.close)")
    parser.add_argument("--reply-rate", type=float, help="chance a running group answers a reminder")
    parser.add_argument("--world", action="append", default=[], metavar="NAME=VALUE",
                        help="any other World parameter, e.g. --world pause=0.3")  # fmt: skip
    parser.add_argument("--no-baseline", action="store_true", help="skip the run with no reminders")
    parser.add_argument("--baseline-only", action="store_true", help="only the run with no reminders")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="a product setting for both runs, e.g. --set DECAY_HIDE_DAYS=120")  # fmt: skip
    parser.add_argument("--progress", action="store_true", help="print each week as it is measured")
    parser.add_argument("--markdown", action="store_true", help="print the weekly tables as Markdown")
    args = parser.parse_args()
    changes: dict[str, Any] = {}
    for pair in args.world:
        name, _, value = pair.partition("=")
        if name not in {f.name for f in dataclasses.fields(World)}:
            parser.error(f"--world {pair}: World has no parameter {name!r}")
        changes[name] = type(getattr(World(), name))(value)
    if args.close_rate is not None:
        changes["close"] = args.close_rate
    if args.reply_rate is not None:
        changes["answer_running"] = args.reply_rate
    world = dataclasses.replace(World(), **changes)
    print(f"World: {world}; seed {args.seed}", flush=True)
    runs = [("product", True)] + ([] if args.no_baseline else [("no reminders (baseline)", False)])
    if args.baseline_only:
        runs = runs[1:] if len(runs) > 1 else [("no reminders (baseline)", False)]
    for label, reminders in runs:
        started = time.perf_counter()
        with tempfile.TemporaryDirectory() as folder:
            simulation = Simulation(world, args.listings, args.weeks, args.seed, reminders=reminders,
                                    folder=Path(folder))  # fmt: skip
            simulation.progress = args.progress
            simulation.settings = dict(_setting(pair) for pair in args.set)
            weeks = simulation.run()
        print(f"\n{label}: {time.perf_counter() - started:.0f} s", flush=True)
        print(table(weeks, label) if args.markdown else "\n".join(str(w) for w in weeks))
        print(summary(weeks, label), flush=True)
        print(calibration(simulation.call_log), flush=True)


if __name__ == "__main__":
    main()
