"""The scheduler process: APScheduler running the registry's jobs on their schedule.

Web workers never run jobs. ``asset-directory jobs run`` is the one scheduler process: APScheduler
with its job store in the database (table ``scheduler_job``), ``coalesce`` (missed runs collapse into
one), ``max_instances=1`` and a misfire grace. On start it reconciles the stored jobs with
``DIRECTORY_JOBS_SCHEDULE`` while paused, keeping each stored next run time when its schedule is
unchanged, so a restart neither duplicates jobs nor forgets a run that fell due while it was down.
Every run, scheduled or ``jobs once NAME``, is logged as a ``JobRun``.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_STOPPED
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask
from sqlalchemy import select

from ..core.db import db
from ..imports.queue import queued_count
from ..imports.running import RUN_LOCK
from ..models.jobs import scheduler_job
from .registry import JOBS, run_job

_APP: Flask | None = None  # the app of this scheduler process; set by start_scheduler


def run_scheduled(name: str) -> None:
    """What the job store refers to (by this module path), so stored jobs survive restarts and upgrades."""
    if _APP is None:
        raise RuntimeError("run_scheduled runs inside the scheduler process (asset-directory jobs run)")
    run_job(_APP, name, trigger="scheduler")


def watch_import_queue() -> None:
    """In the scheduler process, every ``IMPORT_QUEUE_POLL`` seconds: run the imports job if a source is queued.

    An empty look is not logged; the job, when there is work, is (as any job).
    """
    if _APP is None:
        return
    with _APP.app_context():
        waiting = queued_count(db.session)
        db.session.remove()
    if waiting and not RUN_LOCK.locked():  # an import running here (the scrapers job) takes them next
        run_job(_APP, "imports", trigger="queue")


def _watch_import_queue(scheduler: BackgroundScheduler, app: Flask) -> None:
    seconds = float(app.config.get("IMPORT_QUEUE_POLL", 30))
    if seconds > 0:
        # Kept in memory, not the job store: it is part of this process, re-added at each start.
        scheduler.add_job(
            watch_import_queue, IntervalTrigger(seconds=seconds), id="imports-queue", name="imports-queue",
            jobstore="memory", coalesce=True, max_instances=1, replace_existing=True,
        )  # fmt: skip


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
                "directory.jobs.scheduler:run_scheduled", trigger=trigger, args=[name], id=name, name=name,
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
