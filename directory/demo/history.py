"""The demo's history of imports and scheduled jobs, so the admin screens show what running the directory looks
like: import sources with their runs (one failing, as a feed that went away does), a possible duplicate waiting
for a decision, and a few weeks of the scheduled jobs' log with a failure and a skipped run.

No feed is fetched and no job is run: the rows are invented records of runs that did not happen (the demo is
offline), written as the import runner and the job registry write theirs, and every source is named "(demo)".
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import select

from ..core.db import DbSession
from ..models import ImportRun, ImportSource, JobRun, MergeCandidate, Service

#: (name, kind, address, schedule) of the invented sources; example.invalid addresses never resolve.
DEMO_SOURCES = (
    ("Lancashire community services feed (demo)", "oruk", "https://feed.example.invalid/oruk/", "daily"),
    ("Burnley CVS spreadsheet (demo)", "spreadsheet", "https://cvs.example.invalid/groups.xlsx", "weekly"),
    ("Blackpool library events calendar (demo)", "ical", "https://library.example.invalid/events.ics", "daily"),
)
FAILURE = (
    "Could not fetch https://library.example.invalid/events.ics: the server did not answer within 30 seconds "
    "(3 attempts). Nothing was changed; the next scheduled run will try again."
)
#: The scheduled jobs and what a normal run of each reports.
JOB_MESSAGES = {
    "staleness": ("Marked {n} listings stale; {m} sinking in search.", {"stale": 4, "due": 11}),
    "reminders": ("Sent {n} reminders; {m} listings queued for a phone call.", {"sent": 9, "follow_ups": 2}),
    "gaps": ("Gap scores recomputed for 253 LSOAs x 21 categories.", {"lsoas": 253, "categories": 21}),
    "imports": ("No import queued.", {"queued": 0}),
}


def add_history(session: DbSession, rng: random.Random, now: datetime) -> dict[str, int]:
    """Add the invented import and job history; returns how many runs of each were added. Commits."""
    runs = _imports(session, rng, now)
    jobs = _jobs(session, rng, now)
    session.commit()
    return {"import runs": runs, "job runs": jobs}


def _imports(session: DbSession, rng: random.Random, now: datetime) -> int:
    added = 0
    sources = []
    for name, kind, url, schedule in DEMO_SOURCES:
        source = ImportSource(name=name, kind=kind, url=url, schedule=schedule, state="idle",
                              created_at=now - timedelta(days=60))  # fmt: skip
        session.add(source)
        session.flush()
        sources.append(source)
        for week in range(4, 0, -1):
            started = now - timedelta(days=7 * week, hours=rng.randrange(1, 6))
            changed = rng.randrange(0, 4)
            status = "succeeded" if changed or week == 4 else "skipped"
            session.add(ImportRun(source_id=source.id, status=status, started_at=started,
                                  ended_at=started + timedelta(seconds=rng.randrange(4, 40)), started_by="scheduler",
                                  created=changed if week == 4 else 0, updated=changed, unchanged=rng.randrange(8, 30),
                                  notices=["Invented run of the demo: no feed was fetched."]))  # fmt: skip
            added += 1
        source.last_run_at = now - timedelta(days=7)
    failing = sources[-1]
    started = now - timedelta(hours=20)
    ended = started + timedelta(seconds=95)
    session.add(ImportRun(source_id=failing.id, status="failed", started_at=started, ended_at=ended,
                          started_by="scheduler", failure=FAILURE))  # fmt: skip
    failing.state, failing.last_error, failing.last_run_at = "failed", FAILURE, started
    added += 1
    session.flush()
    # A feed record that looks like a listing already held: waiting for staff to merge it or keep both.
    service = session.scalars(select(Service).where(Service.status == "active").order_by(Service.id)).first()
    if service is not None:
        run = session.scalars(select(ImportRun).where(ImportRun.source_id == sources[0].id)
                              .order_by(ImportRun.id.desc())).first()  # fmt: skip
        session.add(MergeCandidate(
            source_id=sources[0].id, run_id=run.id if run else None, external_id="demo-feed-0042",
            service_id=service.id,
            values={"name": service.name, "description": f"{service.description} (as the demo feed words it)"},
            organisation={"name": service.organization.name}, reason="same name and postcode", score=92,
            created_at=now - timedelta(days=7),
        ))  # fmt: skip
    return added


def _jobs(session: DbSession, rng: random.Random, now: datetime) -> int:
    added = 0
    for day in range(14, 0, -1):
        for name, (message, counts) in JOB_MESSAGES.items():
            started = (now - timedelta(days=day)).replace(hour=2, minute=5 * len(name) % 60, second=0, microsecond=0)
            outcome, error, text = "ok", "", message.format(n=rng.randrange(1, 12), m=rng.randrange(0, 4))
            if name == "reminders" and day == 3:
                outcome, text = "failed", ""
                error = (
                    "SMTP server smtp.example.invalid refused the connection; 0 reminders sent, 9 left for tomorrow."
                )
            elif name == "imports" and day % 5 == 0:
                outcome, text = "skipped", "Another scheduler held the lease (demo)."
            session.add(JobRun(name=name, trigger="scheduler", started_at=started, outcome=outcome, error=error,
                               finished_at=started + timedelta(seconds=rng.randrange(1, 90)), message=text,
                               counts=dict(counts) if outcome == "ok" else {}))  # fmt: skip
            added += 1
    session.flush()
    return added
