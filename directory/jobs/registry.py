"""The scheduled jobs by name, and running one now with its run logged (``JobRun``): start, end, outcome,
counts and any error. The scheduler process (``scheduler.py``) and ``jobs once`` both run jobs through here.

A run records its process and beats a heartbeat while it works; a run whose process has gone (killed, or its
machine silent past ``DIED_AFTER``) is marked ``died`` by :func:`mark_dead_runs`, never left "running"."""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from flask import Flask, current_app
from sqlalchemy import Engine, select, update

from ..core import meaning
from ..core.clock import utcnow
from ..core.db import DbSession, db
from ..core.liveness import Heartbeat, this_worker, worker_gone
from ..core.outbox import deliver_waiting
from ..gaps.compute import NothingToCompute, compute_gaps
from ..imports.queue import run_queued
from ..imports.running import run_source
from ..listings import vectors
from ..models import ImportSource
from ..models.jobs import JobRun
from ..verification.reminders import send_reminders
from ..verification.staleness import staleness_sweep

DIED_AFTER = timedelta(minutes=3)
HEARTBEAT_SECONDS = 30


@dataclass
class JobResult:
    counts: dict[str, int] = field(default_factory=dict)
    message: str = ""
    skipped: bool = False


class JobUnavailable(Exception):
    """The job's feature is not part of this installation, or has nothing to work on yet."""


def _staleness() -> JobResult:
    return JobResult(counts=staleness_sweep(db.session, current_app.config))


def _reminders() -> JobResult:
    return JobResult(counts=send_reminders(db.session, current_app.config))


def _outbox() -> JobResult:
    counts = deliver_waiting(db.session, current_app.config)
    given_up = counts.get("given_up", 0)
    return JobResult(counts=counts, message=f"{given_up} email(s) failed every attempt." if given_up else "")


def _scrapers() -> JobResult:
    now = utcnow()
    counts: dict[str, int] = {"sources": 0}
    # --- imports (issue 7): sources queued from the admin pages run first ---
    done = set()
    for run in run_queued(db.session, dict(current_app.config), current_app.instance_path):
        counts["sources"] += 1
        counts[str(run.status)] = counts.get(str(run.status), 0) + 1
        done.add(run.source_id)
    for source in db.session.scalars(select(ImportSource).order_by(ImportSource.id)).all():
        if source.id in done:
            continue
        weekly_due = source.last_run_at is None or source.last_run_at <= now - timedelta(days=7)
        if source.schedule == "daily" or (source.schedule == "weekly" and weekly_due):
            run = run_source(db.session, source, dict(current_app.config), started_by="jobs: scrapers")
            counts["sources"] += 1
            counts[str(run.status)] = counts.get(str(run.status), 0) + 1
    if not counts["sources"]:
        return JobResult(counts=counts, message="No import source is scheduled daily or due weekly.")
    return JobResult(counts=counts)


def _gaps() -> JobResult:
    try:
        report = compute_gaps(db.session, current_app.config)
    except NothingToCompute as exc:
        raise JobUnavailable(str(exc)) from exc
    db.session.commit()
    counts = {
        k: int(v) for k, v in vars(report).items() if isinstance(v, int) and not isinstance(v, bool) and k != "run_id"
    }
    return JobResult(counts=counts, message=str(report)[:2000])


# Sources queued from the admin pages ("Run now", a confirmed upload).
def _queued_imports() -> JobResult:
    counts: dict[str, int] = {"sources": 0}
    for run in run_queued(db.session, dict(current_app.config), current_app.instance_path):
        counts["sources"] += 1
        counts[str(run.status)] = counts.get(str(run.status), 0) + 1
    return JobResult(counts=counts, message="" if counts["sources"] else "No import source was queued.")


def _search_vectors() -> JobResult:
    """Meaning vectors for the services bulk writes left without one or out of date, committed a batch at a time."""
    if not meaning.installed():
        raise JobUnavailable("the sentence-embedding model is not installed, so search ranks by words alone")
    done = vectors.fill_missing(db.session, each_batch=db.session.commit)
    db.session.commit()
    return JobResult(counts={"vectors": done}, message="" if done else "Every service's vector was up to date.")


JOBS: dict[str, Callable[[], JobResult]] = {
    "staleness": _staleness,
    "reminders": _reminders,
    "scrapers": _scrapers,
    "gaps": _gaps,
    "imports": _queued_imports,
    "search-vectors": _search_vectors,
    "outbox": _outbox,
}
# Imports write new listings in bulk, without their meaning vectors: a run that imported anything is followed
# at once by the job that works them out, so search ranks new listings by meaning the same day.
FOLLOWED_BY = {"scrapers": "search-vectors", "imports": "search-vectors"}


def run_job(app: Flask, name: str, *, trigger: str = "cli") -> JobRun:
    """Run one job now, logging start, end, outcome, counts and any error. Never raises for a job's failure."""
    if name not in JOBS:
        raise KeyError(f"There is no job {name!r}; the jobs are: {', '.join(JOBS)}.")
    with app.app_context():
        session = db.session
        mark_dead_runs(session)
        now = utcnow()
        run = JobRun(
            name=name, trigger=trigger, started_at=now, outcome="running", counts={}, worker=this_worker(),
            heartbeat_at=now,
        )  # fmt: skip
        session.add(run)
        session.commit()
        run_id = run.id
        try:
            with Heartbeat(partial(_beat, db.engine, run_id), HEARTBEAT_SECONDS):
                result = JOBS[name]()
        except JobUnavailable as exc:
            session.rollback()
            result = JobResult(message=f"Skipped: {exc}.", skipped=True)
        except Exception as exc:
            session.rollback()
            app.logger.exception("Job %s failed", name)
            run = session.get_one(JobRun, run_id)
            run.outcome, run.finished_at = "failed", utcnow()
            run.error = "".join(traceback.format_exception_only(type(exc), exc)).strip()[:4000]
            run.message = traceback.format_exc()[-4000:]
            session.commit()
            return _detached(session, run)
        run = session.get_one(JobRun, run_id)
        run.outcome = "skipped" if result.skipped else "ok"
        run.counts, run.message, run.finished_at = dict(result.counts), result.message, utcnow()
        session.commit()
        run = _detached(session, run)
    if run.outcome == "ok" and name in FOLLOWED_BY and (run.counts or {}).get("sources"):
        run_job(app, FOLLOWED_BY[name], trigger=f"after {name}"[:16])
    return run


def _beat(engine: Engine, run_id: int) -> None:
    """Record that a run is alive, on a connection of its own (the job's writes are in its own transactions)."""
    with engine.begin() as connection:
        connection.execute(update(JobRun).where(JobRun.id == run_id).values(heartbeat_at=utcnow()))


def mark_dead_runs(session: DbSession, *, now: datetime | None = None) -> int:
    """Runs still 'running' whose process has gone are marked ``died`` (the caller commits); what each had
    committed stays, as every job's work is committed in its own steps and re-running a job repeats nothing."""
    now = now or utcnow()
    died = 0
    for run in session.scalars(select(JobRun).where(JobRun.outcome == "running")):
        if worker_gone(run.worker, run.heartbeat_at, now, DIED_AFTER):
            run.outcome, run.finished_at = "died", now
            run.error = f"The process running it ({run.worker}) stopped before the run finished."
            died += 1
    return died


def _detached(session: DbSession, run: JobRun) -> JobRun:
    session.refresh(run)
    session.expunge(run)
    return run


def recent_runs(session: DbSession, limit: int = 100) -> list[JobRun]:
    return list(session.scalars(select(JobRun).order_by(JobRun.id.desc()).limit(limit)))
