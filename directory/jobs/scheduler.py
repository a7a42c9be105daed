"""The scheduler process: APScheduler running the registry's jobs on their schedule.

Web workers never run jobs. ``asset-directory jobs run`` is the one scheduler process: APScheduler
with its job store in the database (table ``scheduler_job``), ``coalesce`` (missed runs collapse into
one), ``max_instances=1`` and a misfire grace. On start it reconciles the stored jobs with
``DIRECTORY_JOBS_SCHEDULE`` while paused, keeping each stored next run time when its schedule is
unchanged, so a restart neither duplicates jobs nor forgets a run that fell due while it was down.
Every run, scheduled or ``jobs once NAME``, is logged as a ``JobRun``.

Only one scheduler runs jobs at a time: ``serve_forever`` holds the database lease (``lease.py``) before it
starts APScheduler and renews it every third of ``JOBS_LEASE_SECONDS``; a second ``jobs run`` waits, and
takes over when the first stops. A scheduler that cannot renew (the database away past its lease) stops its
jobs and waits again, and each scheduled run checks the lease before it starts, so a job never runs twice.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
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
from sqlalchemy import Engine, select

from ..core.db import db
from ..core.liveness import this_worker
from ..imports.queue import queued_count
from ..imports.running import RUN_LOCK
from ..models.jobs import scheduler_job
from . import lease
from .registry import JOBS, mark_dead_runs, run_job

_APP: Flask | None = None  # the app of this scheduler process; set by start_scheduler


def run_scheduled(name: str) -> None:
    """What the job store refers to (by this module path), so stored jobs survive restarts and upgrades."""
    if _APP is None:
        raise RuntimeError("run_scheduled runs inside the scheduler process (asset-directory jobs run)")
    if not _holds_lease(_APP):
        _APP.logger.warning("Scheduled run of %s skipped: this process no longer holds the scheduler lease", name)
        return
    run_job(_APP, name, trigger="scheduler")


def _holds_lease(app: Flask) -> bool:
    with app.app_context():
        engine = db.engine
    try:
        return lease.holds(engine, this_worker())
    except Exception:  # the database is away: not knowing is not holding
        app.logger.exception("Could not read the scheduler lease")
        return False


def watch_import_queue() -> None:
    """In the scheduler process, every ``IMPORT_QUEUE_POLL`` seconds: run the imports job if a source is queued.

    An empty look is not logged; the job, when there is work, is (as any job).
    """
    if _APP is None:
        return
    with _APP.app_context():
        waiting = queued_count(db.session)
        db.session.remove()
    # An import running here (the scrapers job) takes them next.
    if waiting and not RUN_LOCK.locked() and _holds_lease(_APP):
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
    """The ``jobs run`` process: holds the scheduler lease and runs the jobs until SIGINT or SIGTERM, then lets a
    running job finish; while another process holds the lease, it waits to take over."""
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(number, lambda *_: stop.set())
    with app.app_context():
        engine = db.engine
    me, seconds = this_worker(), float(app.config["JOBS_LEASE_SECONDS"])
    try:
        while not stop.is_set():
            if not _take_lease(app, engine, me, seconds, echo, stop):
                break
            _run_while_held(app, engine, me, seconds, echo, stop)
    finally:
        with contextlib.suppress(Exception):
            lease.release(engine, me)


def _take_lease(app: Flask, engine: Engine, me: str, seconds: float, echo: Callable[[str], Any],
                stop: threading.Event) -> bool:  # fmt: skip
    """Wait until this process holds the lease (True), or until told to stop (False)."""
    said = ""
    while not stop.is_set():
        try:
            if lease.acquire(engine, me, seconds):
                return True
            holder = lease.current(engine)
            note = f"Another scheduler ({holder.holder if holder else 'one just stopping'}) holds the lease; waiting."
        except Exception as exc:  # the database is away: keep trying, say so once
            note = f"Cannot reach the database to take the scheduler lease ({type(exc).__name__}); retrying."
        if note != said:
            echo(note)
            said = note
        stop.wait(min(5.0, seconds / 3))
    return False


def _run_while_held(app: Flask, engine: Engine, me: str, seconds: float, echo: Callable[[str], Any],
                    stop: threading.Event) -> None:  # fmt: skip
    """Run APScheduler while the lease is renewed; stop it when told to, or when the lease is lost."""
    with app.app_context():
        died = mark_dead_runs(db.session)
        db.session.commit()
        db.session.remove()
    if died:
        echo(f"{died} job run(s) left by a scheduler that died are marked died.")
    scheduler = start_scheduler(app)
    echo(f"This process ({me}) holds the scheduler lease.")
    for job in scheduler.get_jobs():
        echo(f"{job.id}: next run {job.next_run_time:%Y-%m-%d %H:%M} UTC")
    renewed = time.monotonic()
    try:
        while not stop.wait(seconds / 3):
            try:
                if not lease.acquire(engine, me, seconds):
                    echo("The scheduler lease was taken by another scheduler: this one stops its jobs.")
                    return
                renewed = time.monotonic()
            except Exception:  # the database is away: the lease may run out under us; stop before it can
                app.logger.exception("Could not renew the scheduler lease")
                if time.monotonic() - renewed >= seconds * 2 / 3:
                    echo("Could not renew the scheduler lease: this one stops its jobs and waits to take it again.")
                    return
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
