"""The import queue: web workers queue a source, the scheduler process runs it (directory.imports, jobs)."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, make_url, select

from directory.core import meaning
from directory.core.db import db
from directory.core.liveness import this_worker
from directory.imports.queue import ProgressFile, queue_source, run_queued, uploads_folder
from directory.imports.sources import ensure_source
from directory.jobs import lease
from directory.jobs import scheduler as jobs
from directory.jobs.registry import run_job
from directory.listings import vectors
from directory.models import Service
from directory.models.imports import ImportRun, ImportSource
from directory.models.jobs import JobRun
from tests.conftest import built_app, csrf_token, html
from tests.directory.imports.test_running import feed_services, unique
from tests.mailbox import db_session
from tests.scrapers.loopback import LoopbackServer
from tests.scrapers.oruk_payloads import serve_feed


def test_a_source_is_queued_once_until_it_has_run(session: Any, server: LoopbackServer, app: Flask) -> None:
    base = serve_feed(server, feed_services("Queued", 2))
    source = ensure_source(session, name=unique("queued feed"), kind="oruk", url=base)
    assert queue_source(session, source.id, requested_by="admin@example.org") is True
    assert queue_source(session, source.id, requested_by="other@example.org") is False
    session.commit()  # as the view does
    session.expire_all()
    assert (source.state, source.queued_by) == ("queued", "admin@example.org")
    assert session.scalar(select(func.count()).where(ImportRun.source_id == source.id)) == 0

    [run] = run_queued(session, {**app.config, "IMPORT_ALLOW_PRIVATE": True}, app.instance_path)
    assert (run.status, run.created, run.started_by) == ("succeeded", 2, "admin@example.org")
    session.expire_all()
    assert source.state == "idle"
    assert run_queued(session, dict(app.config), app.instance_path) == []  # nothing left: run once, not twice
    assert queue_source(session, source.id, requested_by="admin@example.org") is True  # done: it may be asked again
    session.commit()
    [again] = run_queued(session, {**app.config, "IMPORT_ALLOW_PRIVATE": True}, app.instance_path)
    assert (again.status, again.unchanged) == ("succeeded", 2)


def test_a_queued_upload_whose_file_has_gone_fails_clearly(session: Any, app: Flask) -> None:
    source = ensure_source(session, name=unique("lost upload"), kind="spreadsheet")
    assert queue_source(session, source.id, requested_by="admin@example.org", options={"upload": "ab" * 16})
    session.commit()
    assert run_queued(session, dict(app.config), app.instance_path) == []
    session.expire_all()
    assert source.state == "failed" and source.last_error == "The uploaded file was not found; upload it again."


def test_a_running_import_shows_how_far_it_has_read(
    session: Any, app: Flask, signed_in: Callable[..., FlaskClient]
) -> None:
    source = ensure_source(session, name=unique("long feed"), kind="oruk", url="https://example.org/feed")
    source.state = "running"  # as the scheduler process marks it while it reads
    session.commit()
    progress = ProgressFile(uploads_folder(app.instance_path), source.id)
    progress(1234)
    client = signed_in("admin")
    page = html(client.get("/admin/imports/"))
    row = next(r for r in page.find_all("tr") if r.find("td") and source.name in r.find("td").get_text())
    assert "1,234 records read so far" in row.get_text(" ") and row.find("button") is None
    refused = client.post(
        f"/admin/imports/sources/{source.id}/run", data={"csrf_token": csrf_token(client, "/admin/imports/")}
    )
    assert refused.status_code == 302
    assert "already queued or running" in html(client.get("/admin/imports/")).get_text(" ")
    progress.close()
    assert "records read so far" not in html(client.get("/admin/imports/")).get_text(" ")
    source.state = "idle"
    session.commit()


def _imports_runs(app: Flask) -> list[JobRun]:
    with db_session(app) as session:
        found = list(session.scalars(select(JobRun).where(JobRun.name == "imports").order_by(JobRun.id)))
        for run in found:
            session.expunge(run)
        return found


def test_the_scheduler_process_runs_a_queued_source_promptly(tmp_path: Path, server: LoopbackServer) -> None:
    base = serve_feed(server, feed_services("Scheduler", 3))
    with built_app("sqlite", tmp_path, IMPORT_QUEUE_POLL=0.2, IMPORT_ALLOW_PRIVATE=True) as app:
        with app.app_context():  # as `jobs run` does: this process holds the scheduler lease
            assert lease.acquire(db.engine, this_worker(), 60)
        scheduler = jobs.start_scheduler(app)
        try:
            time.sleep(0.6)
            assert _imports_runs(app) == []  # an empty queue is looked at, not logged
            with db_session(app) as session:
                source = ensure_source(session, name="scheduled by hand", kind="oruk", url=base)
                assert queue_source(session, source.id, requested_by="admin@example.org")
                session.commit()
            deadline = time.monotonic() + 20
            while not _imports_runs(app) or _imports_runs(app)[-1].finished_at is None:
                assert time.monotonic() < deadline, "the scheduler did not run the queued source"
                time.sleep(0.1)
        finally:
            scheduler.shutdown(wait=True)
        [logged] = _imports_runs(app)
        assert (logged.trigger, logged.outcome, logged.counts) == ("queue", "ok", {"sources": 1, "succeeded": 1})
        with db_session(app) as session:
            assert session.scalar(select(func.count()).select_from(Service)) == 3
            assert session.scalars(select(ImportSource.state)).one() == "idle"


def test_run_now_while_an_import_holds_the_database_says_so(
    session: Any, app: Flask, signed_in: Callable[..., FlaskClient]
) -> None:
    """On SQLite a run holds the write lock to its end: a click then is told to wait, not shown an error page."""
    source = ensure_source(session, name=unique("busy feed"), kind="oruk", url="https://example.org/feed")
    session.commit()
    client = signed_in("admin")
    token = csrf_token(client, "/admin/imports/")
    database = sqlite3.connect(make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database or "")
    try:
        database.execute("BEGIN IMMEDIATE")  # what an import's own transaction does
        answer = client.post(f"/admin/imports/sources/{source.id}/run", data={"csrf_token": token})
    finally:
        database.rollback()
        database.close()
    assert answer.status_code == 302
    page = html(client.get("/admin/imports/")).get_text(" ")
    assert "The database is busy with an import just now, so nothing was queued" in page
    session.expire_all()
    assert source.state == "idle"


@pytest.mark.skipif(not meaning.installed() and not os.environ.get("CI"), reason="the meaning extra is not installed")
def test_an_import_run_by_the_jobs_is_followed_by_the_new_listings_vectors(
    session: Any, server: LoopbackServer, app: Flask
) -> None:
    tag = unique("Vectored")
    base = serve_feed(server, feed_services(tag, 3))
    source = ensure_source(session, name=unique("vectored feed"), kind="oruk", url=base)
    queue_source(session, source.id, requested_by="admin@example.org")
    session.commit()
    app.config["IMPORT_ALLOW_PRIVATE"] = True
    try:
        run_job(app, "imports", trigger="cli")
    finally:
        app.config["IMPORT_ALLOW_PRIVATE"] = False
    session.expire_all()
    imported = list(session.scalars(select(Service.id).where(Service.name.like(f"{tag}%"))))
    assert len(imported) == 3
    assert not {r[0] for r in vectors.due(session)} & set(imported)  # bulk-written, then given their vectors
    followed = session.scalars(select(JobRun).where(JobRun.name == "search-vectors").order_by(JobRun.id.desc())).first()
    assert followed is not None and (followed.trigger, followed.outcome) == ("after imports", "ok")
    assert followed.counts["vectors"] >= 3
