"""Commands for: Importers, sources and run reports (issue 7)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select
from tqdm import tqdm

from scrapers.base import ParseFailed
from scrapers.oruk import parse_category_map
from scrapers.spreadsheet import guess_mapping, read_mapping, read_table
from scrapers.website import HostThrottle, WebsiteChecker

from ..core.db import db
from ..models.imports import ImportSource
from .evidence import check_websites
from .queue import ProgressFile, uploads_folder
from .running import quiet_sources, reset_stuck_runs, run_source
from .sources import ensure_source


def _fail(message: str) -> None:
    click.secho(message, fg="red", err=True)
    sys.exit(1)


def _report(run: Any) -> None:
    """Print a run's counts, rejected records and notices; exit 1 if the run failed."""
    if run.status == "failed":
        _fail(f"Import failed, nothing changed: {run.failure}")
    if run.status == "skipped":
        click.echo("Unchanged since the last run: skipped (use --force to read it again).")
        return
    seen = run.created + run.updated + run.unchanged + run.held + run.rejected_count
    click.echo(
        f"Run {run.id}: {seen} items: {run.created} new, {run.updated} updated, {run.unchanged} unchanged, "
        f"{run.held} held as possible duplicates, {run.rejected_count} rejected; "
        f"{run.removed} removed from the source."
    )
    for rejected in run.rejected:
        click.echo(f"  rejected {rejected['where']}: {rejected['reason']}")
    for notice in run.notices[:50]:
        click.echo(f"  note: {notice}")
    if len(run.notices) > 50:
        click.echo(f"  ... and {len(run.notices) - 50} more notes in the run report.")


def _run(source: Any, payloads: list[bytes] | None, **kwargs: Any) -> None:
    shown = ProgressFile(uploads_folder(current_app.instance_path), source.id)  # for the admin page too

    def progress(count: int) -> None:
        bar.update(count)
        shown(count)

    with tqdm(unit=" records", desc=f"Importing {source.name}", file=sys.stderr, disable=None) as bar:
        try:
            run = run_source(
                db.session,
                source,
                current_app.config,
                started_by="command line",
                payloads=payloads,
                progress=progress,
                **kwargs,
            )
        finally:
            shown.close()
    _report(run)


def _read_json_or_table(path: str | None) -> dict[str, str] | None:
    if not path:
        return None
    try:
        return parse_category_map(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        _fail(f"{path}: {exc}")
    return None


def register(cli: click.Group) -> None:
    """Add this feature's commands to the asset-directory group."""

    @cli.group("import")
    def import_group() -> None:
        """Import listings from ORUK feeds, spreadsheets and calendars; check websites."""

    @import_group.command("oruk")
    @click.argument("url")
    @click.option("--name", default=None, help="Name of the source (default: the URL).")
    @click.option("--categories", "categories", default=None, help="Mapping file: JSON or CSV 'term,category-code'.")
    @click.option("--schedule", type=click.Choice(["manual", "daily", "weekly"]), default=None)
    @with_appcontext
    def import_oruk(url: str, name: str | None, categories: str | None, schedule: str | None) -> None:
        """Import an Open Referral UK feed by its API base URL; re-runs update in place."""
        options = {"category_map": _read_json_or_table(categories)} if categories else None
        source = ensure_source(db.session, name=name or url, kind="oruk", url=url, options=options)
        if schedule:
            source.schedule = schedule
        db.session.commit()
        _run(source, None)

    @import_group.command("spreadsheet")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False))
    @click.option("--mapping", default=None, type=click.Path(exists=True, dir_okay=False), help="JSON header -> field.")
    @click.option("--categories", "categories", default=None, help="Mapping file: JSON or CSV 'term,category-code'.")
    @click.option("--name", default=None, help="Name of the source (default: the file name).")
    @click.option("--all-or-nothing", is_flag=True, help="Keep nothing if any row is rejected.")
    @click.option("--force", is_flag=True, help="Read the file even if it has not changed since last time.")
    @click.option("--show-mapping", is_flag=True, help="Print the guessed column mapping as JSON and stop.")
    @with_appcontext
    def import_spreadsheet(
        file: str,
        mapping: str | None,
        categories: str | None,
        name: str | None,
        all_or_nothing: bool,
        force: bool,
        show_mapping: bool,
    ) -> None:
        """Import a CSV or XLSX list; the column mapping is guessed unless --mapping is given."""
        payload = Path(file).read_bytes()
        if show_mapping:
            try:
                headers, _rows = read_table(payload)
            except ParseFailed as exc:
                _fail(f"{file}: {exc}")
            click.echo(json.dumps(guess_mapping(headers), indent=2))
            return
        options: dict[str, Any] = {"mapping": None}
        if mapping:
            try:
                options["mapping"] = read_mapping(Path(mapping).read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                _fail(f"{mapping}: {exc}")
        if categories:
            options["category_map"] = _read_json_or_table(categories)
        source = ensure_source(db.session, name=name or Path(file).name, kind="spreadsheet", options=options)
        db.session.commit()
        _run(source, [payload], force=force, all_or_nothing=all_or_nothing)

    @import_group.command("ical")
    @click.argument("url")
    @click.option("--service", "service_id", type=int, required=True, help="The listing whose sessions these are.")
    @click.option("--name", default=None, help="Name of the source (default: the URL).")
    @click.option("--force", is_flag=True, help="Read the feed even if it has not changed since last time.")
    @with_appcontext
    def import_ical(url: str, service_id: int, name: str | None, force: bool) -> None:
        """Read a group's calendar feed into a listing's sessions (no future sessions is evidence)."""
        source = ensure_source(db.session, name=name or url, kind="ical", url=url, options={"service_id": service_id})
        db.session.commit()
        _run(source, None, force=force)

    @import_group.command("run")
    @click.argument("name")
    @click.option("--force", is_flag=True, help="Read the source even if it has not changed since last time.")
    @with_appcontext
    def import_run(name: str, force: bool) -> None:
        """Run a configured source by name now."""
        source = db.session.scalars(select(ImportSource).where(ImportSource.name == name)).first()
        if source is None:
            _fail(f"There is no source called {name!r}; see 'asset-directory import sources'.")
            return
        if source.kind == "spreadsheet" and not source.url:
            _fail(f"{name!r} is a spreadsheet read from a file: run 'asset-directory import spreadsheet FILE' again.")
        _run(source, None, force=force)

    @import_group.command("sources")
    @with_appcontext
    def import_sources() -> None:
        """List sources with their state, last run and last error; flag those quiet for six months."""
        reset = reset_stuck_runs(db.session)
        db.session.commit()
        if reset:
            click.echo(f"Reset {reset} runs that were stuck.")
        quiet = {s.id for s in quiet_sources(db.session)}
        sources = list(db.session.scalars(select(ImportSource).order_by(ImportSource.name)))
        if not sources:
            click.echo("No sources yet.")
        for source in sources:
            last = source.last_run_at.isoformat(timespec="minutes") if source.last_run_at else "never"
            flag = "  (no changes for six months)" if source.id in quiet else ""
            click.echo(f"{source.name}  [{source.kind}, {source.schedule}]  {source.state}  last run {last}{flag}")
            if source.state == "queued":
                since = source.queued_at.isoformat(timespec="minutes") if source.queued_at else "?"
                click.echo(f"    queued by {source.queued_by or 'the admin pages'} at {since}, for the scheduler")
            if source.last_error:
                click.echo(f"    last error: {source.last_error}")

    @import_group.command("websites")
    @click.option("--limit", type=int, default=None, help="Check at most this many listings.")
    @with_appcontext
    def import_websites(limit: int | None) -> None:
        """Check listings' websites politely; failures become evidence for staff, never changes."""
        config = current_app.config
        checker = WebsiteChecker(
            throttle=HostThrottle(float(config.get("IMPORT_WEBSITE_INTERVAL", 2.0))),
            allow_private=bool(config.get("IMPORT_ALLOW_PRIVATE")),
            timeout=float(config.get("IMPORT_TIMEOUT", 20)),
        )
        with tqdm(unit=" sites", desc="Checking websites", file=sys.stderr, disable=None) as bar:
            outcomes = check_websites(db.session, checker, limit=limit, progress=bar.update)
        failed = [o for o in outcomes if not o[1]]
        click.echo(f"Checked {len(outcomes)} websites: {len(outcomes) - len(failed)} answered, {len(failed)} failed.")
        for service_id, _ok, reason in failed:
            click.echo(f"  service {service_id}: {reason}")
