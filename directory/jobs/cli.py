"""The ``jobs`` command: the scheduler process, one-off runs and the run log."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from ..core.db import db
from . import lease
from .registry import JOBS, recent_runs, run_job
from .scheduler import serve_forever, stored_jobs


def lease_line(holder: lease.Holder | None) -> str:
    if holder is None:
        return "Scheduler lease: not held (no `jobs run` process is running jobs now)."
    return (
        f"Scheduler lease: held by {holder.holder} since {holder.acquired_at:%Y-%m-%d %H:%M:%S} UTC, "
        f"renewed to {holder.expires_at:%H:%M:%S}."
    )


def register(cli: click.Group) -> None:
    """Add the ``jobs`` commands to the asset-directory group."""

    @cli.group("jobs")
    def jobs() -> None:
        """Scheduled jobs: the scheduler process, one-off runs and the run log."""

    @jobs.command("run")
    @with_appcontext
    def jobs_run() -> None:
        """Run the scheduler (one process beside the web workers) until stopped."""
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        click.echo("Scheduler started; jobs are kept in the database (Ctrl+C to stop).")
        serve_forever(app, echo=click.echo)

    @jobs.command("once")
    @click.argument("name", type=click.Choice(list(JOBS)))
    @with_appcontext
    def jobs_once(name: str) -> None:
        """Run one job now: staleness, reminders, scrapers, gaps, imports, search-vectors or outbox."""
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        run = run_job(app, name, trigger="cli")
        counts = ", ".join(f"{key} {value}" for key, value in sorted(run.counts.items())) or "nothing counted"
        if run.outcome == "failed":
            click.secho(f"{name} failed: {run.error}", fg="red", err=True)
            sys.exit(1)
        if run.outcome == "skipped":
            click.echo(f"{name} skipped: {run.message}")
            return
        click.echo(f"{name} finished: {counts}." + (f" {run.message}" if run.message else ""))

    @jobs.command("list")
    @with_appcontext
    def jobs_list() -> None:
        """Show the stored schedule and the latest runs."""
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        stored = stored_jobs(app)
        click.echo(lease_line(lease.current(db.engine)))
        if not stored:
            click.echo("No jobs are stored yet: `asset-directory jobs run` stores them when it starts.")
        for job_id, next_run in stored:
            click.echo(f"{job_id}: next run {next_run:%Y-%m-%d %H:%M} UTC" if next_run else f"{job_id}: paused")
        for run in recent_runs(db.session, limit=10):
            by = f" by {run.worker}" if run.worker else ""
            click.echo(f"#{run.id} {run.name} {run.outcome} started {run.started_at:%Y-%m-%d %H:%M}{by} {run.counts}")
