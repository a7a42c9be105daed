"""Scheduled jobs: a registry of named jobs, a run log, and the APScheduler process that runs them.

Web workers never run jobs. ``asset-directory jobs run`` is the one scheduler process: APScheduler
with its job store in the database (table ``scheduler_job``), ``coalesce`` (missed runs collapse into
one), ``max_instances=1`` and a misfire grace. On start it reconciles the stored jobs with
``DIRECTORY_JOBS_SCHEDULE`` while paused, keeping each stored next run time when its schedule is
unchanged, so a restart neither duplicates jobs nor forgets a run that fell due while it was down.
Every run, scheduled or ``jobs once NAME``, is logged as a ``JobRun``.
"""

from __future__ import annotations

import importlib
import importlib.util
import signal
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_STOPPED
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask, current_app
from sqlalchemy import select

from .clock import utcnow
from .db import DbSession, db
from .models_groups import JobRun, scheduler_job


@dataclass
class JobResult:
    counts: dict[str, int] = field(default_factory=dict)
    message: str = ""
    skipped: bool = False


class JobUnavailable(Exception):
    """The job's feature is not part of this installation, or has nothing to work on yet."""


def _staleness() -> JobResult:
    from .reminders import staleness_sweep

    return JobResult(counts=staleness_sweep(db.session, current_app.config))


def _reminders() -> JobResult:
    from .reminders import send_reminders

    return JobResult(counts=send_reminders(db.session, current_app.config))


def _scrapers() -> JobResult:
    if importlib.util.find_spec("directory.imports") is None:
        raise JobUnavailable("the scrapers job needs directory.imports, which this installation does not have")
    imports: Any = importlib.import_module("directory.imports")
    models: Any = importlib.import_module("directory.models_imports")
    now = utcnow()
    counts: dict[str, int] = {"sources": 0}
    # --- imports (issue 7): sources queued from the admin pages run first ---
    done = set()
    for run in imports.run_queued(db.session, dict(current_app.config), current_app.instance_path):
        counts["sources"] += 1
        counts[str(run.status)] = counts.get(str(run.status), 0) + 1
        done.add(run.source_id)
    for source in db.session.scalars(select(models.ImportSource).order_by(models.ImportSource.id)).all():
        if source.id in done:
            continue
        weekly_due = source.last_run_at is None or source.last_run_at <= now - timedelta(days=7)
        if source.schedule == "daily" or (source.schedule == "weekly" and weekly_due):
            run = imports.run_source(db.session, source, dict(current_app.config), started_by="jobs: scrapers")
            counts["sources"] += 1
            counts[str(run.status)] = counts.get(str(run.status), 0) + 1
    if not counts["sources"]:
        return JobResult(counts=counts, message="No import source is scheduled daily or due weekly.")
    return JobResult(counts=counts)


def _gaps() -> JobResult:
    if importlib.util.find_spec("directory.gaps") is None:
        raise JobUnavailable("the gaps job needs directory.gaps, which this installation does not have")
    gaps: Any = importlib.import_module("directory.gaps")
    try:
        report = gaps.compute_gaps(db.session, current_app.config)
    except getattr(gaps, "NothingToCompute", LookupError) as exc:
        raise JobUnavailable(str(exc)) from exc
    counts = {
        k: int(v) for k, v in vars(report).items() if isinstance(v, int) and not isinstance(v, bool) and k != "run_id"
    }
    return JobResult(counts=counts, message=str(report)[:2000])


JOBS: dict[str, Callable[[], JobResult]] = {
    "staleness": _staleness,
    "reminders": _reminders,
    "scrapers": _scrapers,
    "gaps": _gaps,
}


# --- imports (issue 7): sources queued from the admin pages ("Run now", a confirmed upload) -------------
def _queued_imports() -> JobResult:
    if importlib.util.find_spec("directory.imports") is None:
        raise JobUnavailable("the imports job needs directory.imports, which this installation does not have")
    imports: Any = importlib.import_module("directory.imports")
    counts: dict[str, int] = {"sources": 0}
    for run in imports.run_queued(db.session, dict(current_app.config), current_app.instance_path):
        counts["sources"] += 1
        counts[str(run.status)] = counts.get(str(run.status), 0) + 1
    return JobResult(counts=counts, message="" if counts["sources"] else "No import source was queued.")


JOBS["imports"] = _queued_imports


def watch_import_queue() -> None:
    """In the scheduler process, every ``IMPORT_QUEUE_POLL`` seconds: run the imports job if a source is queued.

    An empty look is not logged; the job, when there is work, is (as any job).
    """
    if _APP is None or importlib.util.find_spec("directory.imports") is None:
        return
    imports: Any = importlib.import_module("directory.imports")
    with _APP.app_context():
        waiting = imports.queued_count(db.session)
        db.session.remove()
    if waiting and not imports.RUN_LOCK.locked():  # an import running here (the scrapers job) takes them next
        run_job(_APP, "imports", trigger="queue")


def _watch_import_queue(scheduler: BackgroundScheduler, app: Flask) -> None:
    seconds = float(app.config.get("IMPORT_QUEUE_POLL", 30))
    if seconds > 0:
        # Kept in memory, not the job store: it is part of this process, re-added at each start.
        scheduler.add_job(
            watch_import_queue, IntervalTrigger(seconds=seconds), id="imports-queue", name="imports-queue",
            jobstore="memory", coalesce=True, max_instances=1, replace_existing=True,
        )  # fmt: skip


def run_job(app: Flask, name: str, *, trigger: str = "cli") -> JobRun:
    """Run one job now, logging start, end, outcome, counts and any error. Never raises for a job's failure."""
    if name not in JOBS:
        raise KeyError(f"There is no job {name!r}; the jobs are: {', '.join(JOBS)}.")
    with app.app_context():
        session = db.session
        run = JobRun(name=name, trigger=trigger, started_at=utcnow(), outcome="running", counts={})
        session.add(run)
        session.commit()
        run_id = run.id
        try:
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
        return _detached(session, run)


def _detached(session: DbSession, run: JobRun) -> JobRun:
    session.refresh(run)
    session.expunge(run)
    return run


def recent_runs(session: DbSession, limit: int = 100) -> list[JobRun]:
    return list(session.scalars(select(JobRun).order_by(JobRun.id.desc()).limit(limit)))


# --- the scheduler process -------------------------------------------------------------------------

_APP: Flask | None = None  # the app of this scheduler process; set by start_scheduler


def run_scheduled(name: str) -> None:
    """What the job store refers to (by this module path), so stored jobs survive restarts and upgrades."""
    if _APP is None:
        raise RuntimeError("run_scheduled runs inside the scheduler process (asset-directory jobs run)")
    run_job(_APP, name, trigger="scheduler")


def parse_schedule(text: str) -> dict[str, CronTrigger]:
    """``name=crontab; ...`` into triggers in UTC; a bad entry is named."""
    schedule: dict[str, CronTrigger] = {}
    for part in text.split(";"):
        if not part.strip():
            continue
        name, _, crontab = part.partition("=")
        name = name.strip()
        if name not in JOBS:
            raise ValueError(f"DIRECTORY_JOBS_SCHEDULE: {name!r} is not a job ({', '.join(JOBS)}).")
        try:
            schedule[name] = CronTrigger.from_crontab(crontab.strip(), timezone=UTC)
        except ValueError as exc:
            raise ValueError(f"DIRECTORY_JOBS_SCHEDULE: {name}={crontab.strip()!r} is not a crontab: {exc}") from exc
    return schedule


class Scheduler(BackgroundScheduler):  # type: ignore[misc]
    """APScheduler's background scheduler, minus one race on shutdown."""

    def _process_jobs(self) -> float | None:
        # APScheduler 3's loop processes jobs once more after shutdown() wakes it: a job due then would have its
        # next run time moved on in the store without running (the executor is already shut). Do nothing instead.
        if self.state == STATE_STOPPED:
            return None
        result: float | None = super()._process_jobs()
        return result


def make_scheduler(app: Flask) -> BackgroundScheduler:
    """A scheduler whose jobs live in this app's database."""
    with app.app_context():
        engine = db.engine
    store = SQLAlchemyJobStore(engine=engine, tablename=scheduler_job.name)
    return Scheduler(
        jobstores={"default": store, "memory": MemoryJobStore()},  # memory: the import queue's watch (issue 7)
        executors={"default": {"type": "threadpool", "max_workers": 2}},
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": int(app.config["JOBS_MISFIRE_GRACE"]),
        },
        timezone=UTC,
    )


def sync_jobs(scheduler: BackgroundScheduler, app: Flask) -> list[str]:
    """Make the stored jobs match the schedule setting; an unchanged job keeps its stored next run time."""
    schedule = parse_schedule(str(app.config["JOBS_SCHEDULE"]))
    grace = int(app.config["JOBS_MISFIRE_GRACE"])
    notes = []
    for name, trigger in schedule.items():
        job = scheduler.get_job(name)
        if job is None:
            scheduler.add_job(
                "directory.jobs:run_scheduled", trigger=trigger, args=[name], id=name, name=name,
                coalesce=True, max_instances=1, misfire_grace_time=grace,
            )  # fmt: skip
            notes.append(f"{name}: added ({trigger})")
            continue
        if str(job.trigger) != str(trigger):
            job.reschedule(trigger)
            notes.append(f"{name}: schedule changed to {trigger}")
        if job.misfire_grace_time != grace or not job.coalesce or job.max_instances != 1:
            job.modify(misfire_grace_time=grace, coalesce=True, max_instances=1)
        notes.append(f"{name}: next run {scheduler.get_job(name).next_run_time}")
    for job in scheduler.get_jobs():
        if job.id not in schedule:
            job.remove()
            notes.append(f"{job.id}: removed (not in DIRECTORY_JOBS_SCHEDULE)")
    return notes


def start_scheduler(app: Flask) -> BackgroundScheduler:
    """Start the scheduler paused, reconcile the stored jobs, then let due (and missed) runs go."""
    global _APP
    _APP = app
    scheduler = make_scheduler(app)
    scheduler.start(paused=True)
    try:
        sync_jobs(scheduler, app)
    except Exception:
        scheduler.shutdown(wait=False)
        raise
    _watch_import_queue(scheduler, app)  # imports (issue 7)
    scheduler.resume()
    return scheduler


def serve_forever(app: Flask, echo: Callable[[str], Any] = print, stop: threading.Event | None = None) -> None:
    """The ``jobs run`` process: runs until SIGINT or SIGTERM, then lets a running job finish."""
    stop = stop or threading.Event()
    scheduler = start_scheduler(app)
    for job in scheduler.get_jobs():
        echo(f"{job.id}: next run {job.next_run_time:%Y-%m-%d %H:%M} UTC")
    if threading.current_thread() is threading.main_thread():
        for number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(number, lambda *_: stop.set())
    try:
        stop.wait()
    finally:
        echo("Stopping: waiting for a running job to finish ...")
        scheduler.shutdown(wait=True)


def stored_jobs(app: Flask) -> list[tuple[str, datetime | None]]:
    """The jobs in the job store with their next run times (UTC), read without starting a scheduler."""
    with app.app_context():
        rows = db.session.execute(select(scheduler_job.c.id, scheduler_job.c.next_run_time)).all()
    return [
        (str(job_id), datetime.fromtimestamp(ts, UTC).replace(tzinfo=None) if ts is not None else None)
        for job_id, ts in sorted(rows)
    ]
