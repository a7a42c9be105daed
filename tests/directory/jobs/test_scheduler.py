"""Scheduled jobs: one-off runs from the CLI, the run log, and a job store that survives restarts."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from directory.cli import cli
from directory.core.db import db
from directory.core.liveness import this_worker
from directory.jobs import lease, registry
from directory.jobs import scheduler as jobs
from directory.models.jobs import JobRun, scheduler_job
from tests.conftest import built_app, html
from tests.mailbox import db_session, staff_client


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, backend: str) -> Iterator[Flask]:
    with built_app(backend, tmp_path_factory.mktemp("instance")) as app:
        yield app


def runs(app: Flask, name: str | None = None) -> list[JobRun]:
    with db_session(app) as session:
        query = select(JobRun).order_by(JobRun.id)
        if name:
            query = query.where(JobRun.name == name)
        found = list(session.scalars(query))
        for run in found:
            session.expunge(run)
        return found


def test_jobs_once_runs_the_staleness_sweep_and_logs_it(app: Flask) -> None:
    before = len(runs(app, "staleness"))
    result = app.test_cli_runner().invoke(cli, ["jobs", "once", "staleness"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("staleness finished:")
    logged = runs(app, "staleness")
    assert len(logged) == before + 1
    last = logged[-1]
    assert (last.outcome, last.trigger) == ("ok", "cli")
    assert last.finished_at is not None and last.finished_at >= last.started_at


def test_a_job_with_nothing_to_work_on_is_skipped_with_a_clear_message(app: Flask) -> None:
    result = app.test_cli_runner().invoke(cli, ["jobs", "once", "gaps"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("gaps skipped: Skipped: No LSOA boundaries are stored")
    assert runs(app, "gaps")[-1].outcome == "skipped"
    scrapers = app.test_cli_runner().invoke(cli, ["jobs", "once", "scrapers"])
    assert scrapers.exit_code == 0, scrapers.output
    assert "No import source is scheduled" in scrapers.output


def test_an_unknown_job_name_is_refused(app: Flask) -> None:
    result = app.test_cli_runner().invoke(cli, ["jobs", "once", "everything"])
    assert result.exit_code == 2
    assert "'everything' is not one of 'staleness', 'reminders', 'scrapers', 'gaps'" in result.output


def test_a_failing_job_is_logged_with_its_error_and_shown_to_admins(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> registry.JobResult:
        raise RuntimeError("the feed server said no <script>")

    monkeypatch.setitem(registry.JOBS, "staleness", broken)
    result = app.test_cli_runner().invoke(cli, ["jobs", "once", "staleness"])
    assert result.exit_code == 1
    assert "RuntimeError: the feed server said no <script>" in result.output
    last = runs(app, "staleness")[-1]
    assert last.outcome == "failed" and "the feed server said no" in last.error
    page = html(staff_client(app, "admin").get("/admin/jobs"))
    row = page.find("td", string=str(last.id)).parent
    cells = [td.get_text(strip=True) for td in row.find_all("td")]
    assert cells[1] == "staleness" and cells[2].startswith("cli (") and cells[5] == "failed"
    assert cells[7] == "RuntimeError: the feed server said no <script>"  # escaped text, not markup
    assert page.find("script") is None


def _stored(app: Flask) -> dict[str, float]:
    with db_session(app) as session:
        return {str(i): float(t) for i, t in session.execute(select(scheduler_job.c.id, scheduler_job.c.next_run_time))}


@pytest.mark.both_backends
def test_the_job_store_survives_a_restart_without_duplicates(tmp_path: Path, backend: str) -> None:
    with built_app(backend, tmp_path, JOBS_SCHEDULE="staleness=0 2 * * *; reminders=0 9 * * 1-5") as app:
        first = jobs.start_scheduler(app)
        first.pause()
        job = first.get_job("reminders")
        assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, 86400)
        first.shutdown()
        stored = _stored(app)
        assert set(stored) == {"staleness", "reminders"}

        second = jobs.start_scheduler(app)
        second.pause()
        second.shutdown()
        assert _stored(app) == stored  # same jobs, same next run times: nothing added, nothing recomputed
        with db_session(app) as session:
            assert session.scalar(select(func.count()).select_from(scheduler_job)) == 2

        # A changed schedule replaces the job rather than adding another.
        app.config["JOBS_SCHEDULE"] = "staleness=0 3 * * *"
        third = jobs.start_scheduler(app)
        third.pause()
        assert (
            str(third.get_job("staleness").trigger) == "cron[month='*', day='*', day_of_week='*', hour='3', minute='0']"
        )
        third.shutdown()
        assert set(_stored(app)) == {"staleness"}
        assert [(i, t) for i, t in jobs.stored_jobs(app)][0][0] == "staleness"


def test_a_run_missed_while_the_scheduler_was_down_runs_once_after_restart(tmp_path: Path) -> None:
    with built_app("sqlite", tmp_path, JOBS_SCHEDULE="staleness=0 2 * * *", JOBS_MISFIRE_GRACE=3 * 86400) as app:
        scheduler = jobs.start_scheduler(app)
        scheduler.pause()
        # The process was down for two days and more: three 02:00 runs were missed.
        scheduler.modify_job("staleness", next_run_time=datetime.now(UTC) - timedelta(days=2, hours=23))
        scheduler.shutdown()

        with app.app_context():  # as `jobs run` does: runs start only in the process holding the lease
            assert lease.acquire(db.engine, this_worker(), 60)
        restarted = jobs.start_scheduler(app)
        try:
            deadline = time.monotonic() + 10
            while not runs(app, "staleness") and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.5)  # room for any duplicate to start
        finally:
            restarted.shutdown(wait=True)
        logged = runs(app, "staleness")
        assert [(r.outcome, r.trigger) for r in logged] == [("ok", "scheduler")]  # coalesced: once, not three times
        [(name, next_run)] = jobs.stored_jobs(app)
        assert name == "staleness" and next_run is not None and next_run > datetime.now(UTC).replace(tzinfo=None)


def test_jobs_list_shows_the_stored_schedule_and_recent_runs(tmp_path: Path) -> None:
    with built_app("sqlite", tmp_path, JOBS_SCHEDULE="reminders=0 9 * * *") as app:
        empty = app.test_cli_runner().invoke(cli, ["jobs", "list"])
        assert "No jobs are stored yet" in empty.output
        scheduler = jobs.start_scheduler(app)
        scheduler.pause()
        scheduler.shutdown()
        registry.run_job(app, "staleness")
        listed = app.test_cli_runner().invoke(cli, ["jobs", "list"]).output
        assert "reminders: next run " in listed and " staleness ok " in listed


def test_a_bad_schedule_setting_is_named(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="'tidy' is not a job"):
        jobs.parse_schedule("tidy=0 2 * * *")
    with pytest.raises(ValueError, match=r"staleness='every day' is not a crontab"):
        jobs.parse_schedule("staleness=every day")
