"""An ORUK feed through a real loopback publisher: fetched before the write lock, every item accounted for,
a failing detail rejecting only its service; on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from directory.core.writes import Actor
from directory.imports.running import run_source
from directory.imports.sources import ensure_source
from directory.listings import operations
from directory.models import Service
from directory.models.imports import ExternalRecord
from tests.directory.imports.test_running import feed_services, unique
from tests.scrapers.loopback import LoopbackServer, Reply
from tests.scrapers.oruk_payloads import page, serve_feed

pytestmark = pytest.mark.both_backends


@pytest.fixture
def config(app: Flask) -> dict[str, Any]:
    return {**app.config, "IMPORT_ALLOW_PRIVATE": True, "IMPORT_TIMEOUT": 5.0, "IMPORT_MAX_MB": 1}


def listing_of(session: Any, source_id: int, external_id: str) -> Service | None:
    link = session.scalars(
        select(ExternalRecord).where(ExternalRecord.source_id == source_id, ExternalRecord.external_id == external_id)
    ).first()
    return None if link is None else session.get(Service, link.entity_id)


def accounted(run: Any) -> int:
    return run.created + run.updated + run.unchanged + run.held + run.rejected_count


def test_a_slow_feed_does_not_hold_the_write_lock(
    app: Flask, session: Any, server: LoopbackServer, config: Any, make_service: Any
) -> None:
    """Another save succeeds while a slow feed downloads (SQLite's lock waits 5 s: the feed takes longer)."""
    services = feed_services("Slow", 8)
    base = serve_feed(server, services, prefix="/slow-feed")
    for service in services:  # each detail page answers after 0.8 s: 6.4 s of downloading in all
        route = server.routes[f"/slow-feed/services/{service['id']}"]
        assert isinstance(route, Reply)
        route.delay = 0.8
    other = make_service(name=unique("Saved meanwhile"))
    session.commit()
    source = ensure_source(session, name=unique("slow feed"), kind="oruk", url=base)
    session.commit()
    outcome: dict[str, Any] = {}

    def run_import() -> None:
        with app.app_context():
            from directory.core.db import db

            fresh = db.session.get(type(source), source.id)
            outcome["run"] = run_source(db.session, fresh, config)
            outcome["status"], outcome["created"] = outcome["run"].status, outcome["run"].created
            db.session.remove()

    thread = threading.Thread(target=run_import)
    thread.start()
    deadline = time.monotonic() + 10
    while not any("/slow-feed/services/" in path for _, path, _ in server.requests) and time.monotonic() < deadline:
        time.sleep(0.05)
    started = time.monotonic()
    with Session(bind=session.get_bind()) as writer:  # another worker saving a listing meanwhile
        service = writer.get_one(Service, other.id)
        operations.update(writer, "service", service.id, {"description": "Saved during a slow import."},
                          expected_version=service.version, actor=Actor(label="staff: t@example.org", source="staff"))  # fmt: skip
        writer.commit()
    saved_in = time.monotonic() - started
    thread.join(timeout=60)
    assert outcome["status"] == "succeeded" and outcome["created"] == 8
    assert saved_in < 2.0, f"the save waited {saved_in:.1f} s for the import"
    session.expire_all()
    assert session.get(Service, other.id).description == "Saved during a slow import."


def test_every_listed_item_is_accounted_for_by_name(session: Any, server: LoopbackServer, config: Any) -> None:
    services = feed_services("Count", 6)
    base = serve_feed(server, services, prefix="/counted")
    broken, missing, garbled = services[1]["id"], services[2]["id"], services[3]["id"]
    server.routes[f"/counted/services/{missing}"] = Reply(b"gone", status=404, content_type="text/plain")
    server.routes[f"/counted/services/{garbled}"] = Reply(b'{"id": "x", "name": ')
    del broken  # served normally
    listed = [{"id": s["id"], "name": s["name"]} for s in services]
    listed[4:4] = [{"name": "No id here"}, "not an object", 7, {"id": services[0]["id"], "name": "again"}]
    server.routes["/counted/services"] = Reply(json.dumps(page(listed, 1, 100, len(listed))).encode())
    source = ensure_source(session, name=unique("counted feed"), kind="oruk", url=base)
    run = run_source(session, source, config)
    assert run.status == "succeeded", run.failure
    assert accounted(run) == len(listed) == 10
    assert (run.created, run.rejected_count) == (4, 6)
    reasons = {r["where"]: r["reason"] for r in run.rejected}
    assert reasons["item 5 on page 1"] == "the service has no id"
    assert reasons["item 6 on page 1"].startswith("not a JSON object")
    assert reasons["item 7 on page 1"].startswith("not a JSON object")
    assert "appears twice" in reasons[f"service {services[0]['id']}"]
    assert "first at item 1 on page 1" in reasons[f"service {services[0]['id']}"]
    assert "404" in reasons[f"service {missing}"] and f"/counted/services/{missing}" in reasons[f"service {missing}"]
    assert "not valid JSON" in reasons[f"service {garbled}"]
    assert f"/counted/services/{garbled}" in reasons[f"service {garbled}"]
    assert listing_of(session, source.id, missing) is None
    assert listing_of(session, source.id, services[0]["id"]).name == services[0]["name"]  # the first copy kept


def test_most_details_failing_fails_the_source_and_changes_nothing(
    session: Any, server: LoopbackServer, config: Any
) -> None:
    services = feed_services("Mostly down", 5)
    base = serve_feed(server, services, prefix="/mostly-down")
    for service in services[:3]:
        server.routes[f"/mostly-down/services/{service['id']}"] = Reply(b"oops", status=500)
    source = ensure_source(session, name=unique("mostly down"), kind="oruk", url=base)
    run = run_source(session, source, config)
    assert run.status == "failed" and "3 of 5 service detail pages failed" in run.failure
    assert run.created == 0 and listing_of(session, source.id, services[4]["id"]) is None


def test_a_refused_detail_page_fails_the_source(session: Any, server: LoopbackServer, config: Any) -> None:
    services = feed_services("Refused", 4)
    base = serve_feed(server, services, prefix="/refused")
    server.routes[f"/refused/services/{services[2]['id']}"] = Reply(b"no", status=401)
    source = ensure_source(session, name=unique("refused"), kind="oruk", url=base)
    run = run_source(session, source, config)
    assert run.status == "failed" and "refused access (401)" in run.failure
    assert listing_of(session, source.id, services[0]["id"]) is None
