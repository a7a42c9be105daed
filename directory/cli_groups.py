"""Commands for: Group self-service, freshness reminders and scheduled jobs (issue 6)."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from .db import db


def register(cli: click.Group) -> None:
    """Add this feature's commands to the asset-directory group."""

    @cli.group("jobs")
    def jobs() -> None:
        """Scheduled jobs: the scheduler process, one-off runs and the run log."""

    @jobs.command("run")
    @with_appcontext
    def jobs_run() -> None:
        """Run the scheduler (one process beside the web workers) until stopped."""
        from .jobs import serve_forever

        app = current_app._get_current_object()  # type: ignore[attr-defined]
        click.echo("Scheduler started; jobs are kept in the database (Ctrl+C to stop).")
        serve_forever(app, echo=click.echo)

    @jobs.command("once")
    @click.argument("name", type=click.Choice(["staleness", "reminders", "scrapers", "gaps"]))
    @with_appcontext
    def jobs_once(name: str) -> None:
        """Run one job now: staleness, reminders, scrapers or gaps."""
        from .jobs import run_job

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
        from .jobs import recent_runs, stored_jobs

        app = current_app._get_current_object()  # type: ignore[attr-defined]
        stored = stored_jobs(app)
        if not stored:
            click.echo("No jobs are stored yet: `asset-directory jobs run` stores them when it starts.")
        for job_id, next_run in stored:
            click.echo(f"{job_id}: next run {next_run:%Y-%m-%d %H:%M} UTC" if next_run else f"{job_id}: paused")
        for run in recent_runs(db.session, limit=10):
            click.echo(f"#{run.id} {run.name} {run.outcome} started {run.started_at:%Y-%m-%d %H:%M} {run.counts}")

    @cli.group("groups")
    def groups_group() -> None:
        """Group self-service: edit links for group contacts."""

    @groups_group.command("invite")
    @click.option("--organisation", "organization_id", type=int, required=True, help="Organisation id.")
    @click.option("--email", required=True, help="The group contact's email address.")
    @with_appcontext
    def groups_invite(organization_id: int, email: str) -> None:
        """Email a group contact a link to edit their organisation's listings."""
        from .groups import invite
        from .mail import MailFailed, external_url, send
        from .validation import ValidationFailed

        try:
            token, row = invite(
                db.session, organization_id, email, created_by="command line",
                days=int(current_app.config["GROUP_LINK_DAYS"]),
            )  # fmt: skip
        except ValidationFailed as exc:
            click.secho(str(exc), fg="red", err=True)
            sys.exit(1)
        try:
            send(
                row.email, f"Keep {row.organization.name}'s listing up to date", "invitation",
                organization=row.organization, link=external_url("groups.enter", token=token), expires=row.expires_at,
            )  # fmt: skip
        except MailFailed as exc:
            click.secho(f"The link was made (id {row.id}) but not sent: {exc}", fg="red", err=True)
            sys.exit(1)
        click.echo(f"Sent an edit link for {row.organization.name} to {row.email} (link {row.id}).")

    @groups_group.command("revoke")
    @click.option("--organisation", "organization_id", type=int, required=True, help="Organisation id.")
    @with_appcontext
    def groups_revoke(organization_id: int) -> None:
        """Withdraw every live edit link of an organisation (and the sign-ins made with them)."""
        from .groups import live_links, revoke

        links = live_links(db.session, organization_id)
        for link in links:
            revoke(db.session, link.id, by="command line")
        click.echo(f"Withdrew {len(links)} edit link(s) of organisation {organization_id}.")
