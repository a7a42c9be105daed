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

from directory.cli import cli
from directory.core.writes import Actor
from directory.imports.running import run_source
from directory.imports.sources import ensure_source
from directory.listings import operations
from directory.models import Postcode, Revision, Service
from directory.models.imports import ExternalRecord, ImportRun
from directory.models.verification import FollowUp
from directory.verification.follow_ups import open_follow_ups
from tests.conftest import html
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
    services = feed_services("Tortoise", 8)
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
        staff = Actor(label="staff: t@example.org", source="staff")
        changes = {"description": "Saved during a slow import."}
        operations.update(writer, "service", service.id, changes, expected_version=service.version, actor=staff)
        writer.commit()
    saved_in = time.monotonic() - started
    thread.join(timeout=60)
    assert outcome["status"] == "succeeded" and outcome["created"] == 8
    assert saved_in < 2.0, f"the save waited {saved_in:.1f} s for the import"
    session.expire_all()
    assert session.get(Service, other.id).description == "Saved during a slow import."


def test_every_listed_item_is_accounted_for_by_name(session: Any, server: LoopbackServer, config: Any) -> None:
    services = feed_services("Abacus", 6)
    base = serve_feed(server, services, prefix="/counted")
    nameless, missing, garbled = services[1]["id"], services[2]["id"], services[3]["id"]
    server.routes[f"/counted/services/{nameless}"] = Reply(json.dumps({"name": "lost its id"}).encode())
    server.routes[f"/counted/services/{missing}"] = Reply(b"gone", status=404, content_type="text/plain")
    server.routes[f"/counted/services/{garbled}"] = Reply(b'{"id": "x", "name": ')
    listed = [{"id": s["id"], "name": s["name"]} for s in services]
    listed[4:4] = [{"name": "No id here"}, "not an object", 7, {"id": services[0]["id"], "name": "again"}]
    server.routes["/counted/services"] = Reply(json.dumps(page(listed, 1, 100, len(listed))).encode())
    source = ensure_source(session, name=unique("counted feed"), kind="oruk", url=base)
    run = run_source(session, source, config)
    assert run.status == "succeeded", run.failure
    assert accounted(run) == len(listed) == 10
    assert (run.created, run.rejected_count) == (3, 7)
    reasons = {r["where"]: r["reason"] for r in run.rejected}
    assert reasons["item 5 on page 1"] == "the service has no id"
    assert reasons["item 6 on page 1"].startswith("not a JSON object")
    assert reasons["item 7 on page 1"].startswith("not a JSON object")
    assert "appears twice" in reasons[f"service {services[0]['id']}"]
    assert "first at item 1 on page 1" in reasons[f"service {services[0]['id']}"]
    assert "404" in reasons[f"service {missing}"] and f"/counted/services/{missing}" in reasons[f"service {missing}"]
    assert "not valid JSON" in reasons[f"service {garbled}"]
    assert reasons[f"service {nameless}"].endswith(f"/counted/services/{nameless} gives the service no id")
    assert f"/counted/services/{garbled}" in reasons[f"service {garbled}"]
    assert listing_of(session, source.id, missing) is None
    assert listing_of(session, source.id, services[0]["id"]).name == services[0]["name"]  # the first copy kept


def test_most_details_failing_fails_the_source_and_changes_nothing(
    session: Any, server: LoopbackServer, config: Any
) -> None:
    services = feed_services("Outage", 5)
    base = serve_feed(server, services, prefix="/mostly-down")
    for service in services[:3]:
        server.routes[f"/mostly-down/services/{service['id']}"] = Reply(b"oops", status=500)
    source = ensure_source(session, name=unique("mostly down"), kind="oruk", url=base)
    run = run_source(session, source, config)
    assert run.status == "failed" and "3 of 5 service detail pages failed" in run.failure
    assert run.created == 0 and listing_of(session, source.id, services[4]["id"]) is None


def test_a_refused_detail_page_fails_the_source(session: Any, server: LoopbackServer, config: Any) -> None:
    services = feed_services("Gatekeeper", 4)
    base = serve_feed(server, services, prefix="/refused")
    server.routes[f"/refused/services/{services[2]['id']}"] = Reply(b"no", status=401)
    source = ensure_source(session, name=unique("refused"), kind="oruk", url=base)
    run = run_source(session, source, config)
    assert run.status == "failed" and "refused access (401)" in run.failure
    assert listing_of(session, source.id, services[0]["id"]) is None


def follow_ups_of(session: Any, service_id: int) -> list[Any]:
    return list(session.scalars(select(FollowUp).where(FollowUp.service_id == service_id)))


def test_a_removed_service_is_flagged_then_archived_after_the_grace_period(
    session: Any, server: LoopbackServer, config: Any
) -> None:
    services = feed_services("Vanishing", 4)
    base = serve_feed(server, services, prefix="/removed")
    source = ensure_source(session, name=unique("removed feed"), kind="oruk", url=base)
    assert run_source(session, source, config).created == 4
    gone = services[3]
    serve_feed(server, services[:3], prefix="/removed")
    dropped = run_source(session, source, config)
    assert (dropped.status, dropped.unchanged, dropped.removed) == ("succeeded", 3, 1)
    listing = listing_of(session, source.id, gone["id"])
    assert listing.status == "active"  # inside the grace period
    assert any(f"service {gone['id']}" in n and "flagged for staff" in n for n in dropped.notices)
    flagged = follow_ups_of(session, listing.id)
    assert [(f.reason, f.resolved_at) for f in flagged] == [("source-removed", None)]
    assert f"first missing in import run {dropped.id}" in flagged[0].detail
    assert listing.id in {f.service_id for f in open_follow_ups(session)}  # in the staff queue
    again = run_source(session, source, config)  # still missing: counted again, not queued twice
    assert again.removed == 1 and len(follow_ups_of(session, listing.id)) == 1
    assert any("still flagged for staff" in n for n in again.notices)
    later = run_source(session, source, {**config, "IMPORT_REMOVED_GRACE_DAYS": 0})  # the grace period is over
    assert later.removed == 1 and any("archived" in n for n in later.notices)
    session.expire_all()
    listing = listing_of(session, source.id, gone["id"])
    assert listing.status == "archived"  # archived, never deleted
    revision = session.scalars(
        select(Revision).where(Revision.entity_type == "service", Revision.entity_id == listing.id)
        .order_by(Revision.id.desc())
    ).first()  # fmt: skip
    assert (revision.action, revision.actor) == ("archive", f"import: {source.name}")
    assert run_source(session, source, config).removed == 0  # an archived listing is not counted again
    serve_feed(server, services, prefix="/removed")  # the source publishes it again
    back = run_source(session, source, config)
    assert (back.updated, back.unchanged, back.removed) == (1, 3, 0)
    session.expire_all()
    assert listing_of(session, source.id, gone["id"]).status == "active"


def test_a_listing_whose_detail_failed_is_not_removed(session: Any, server: LoopbackServer, config: Any) -> None:
    services = feed_services("Persistent", 4)
    base = serve_feed(server, services, prefix="/still")
    source = ensure_source(session, name=unique("still listed"), kind="oruk", url=base)
    run_source(session, source, config)
    server.routes[f"/still/services/{services[0]['id']}"] = Reply(b"oops", status=500)
    run = run_source(session, source, config)
    assert (run.status, run.rejected_count, run.removed) == ("succeeded", 1, 0)
    assert follow_ups_of(session, listing_of(session, source.id, services[0]["id"]).id) == []


def test_a_short_feed_flags_and_archives_nothing(session: Any, server: LoopbackServer, config: Any) -> None:
    services = feed_services("Truncated", 5)
    base = serve_feed(server, services, prefix="/short")
    source = ensure_source(session, name=unique("short feed"), kind="oruk", url=base)
    run_source(session, source, config)
    serve_feed(server, services[:2], prefix="/short")
    run = run_source(session, source, {**config, "IMPORT_REMOVED_GRACE_DAYS": 0})
    assert run.status == "succeeded" and run.removed == 3
    assert any("more than half, so the feed looks short" in n for n in run.notices)
    for service in services[2:]:
        listing = listing_of(session, source.id, service["id"])
        assert listing.status == "active" and follow_ups_of(session, listing.id) == []


def test_an_empty_feed_fails_and_removes_nothing(session: Any, server: LoopbackServer, config: Any) -> None:
    services = feed_services("Hollow", 3)
    base = serve_feed(server, services, prefix="/emptied")
    source = ensure_source(session, name=unique("emptied feed"), kind="oruk", url=base)
    run_source(session, source, config)
    serve_feed(server, [], prefix="/emptied")
    run = run_source(session, source, {**config, "IMPORT_REMOVED_GRACE_DAYS": 0})
    assert run.status == "failed" and run.removed == 0 and "no listings" in run.failure
    for service in services:
        listing = listing_of(session, source.id, service["id"])
        assert listing.status == "active" and follow_ups_of(session, listing.id) == []


def test_the_run_page_and_the_command_show_every_count(
    app: Flask, session: Any, server: LoopbackServer, signed_in: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = feed_services("Exhibition", 3)
    base = serve_feed(server, services, prefix="/shown")
    name = unique("shown feed")
    monkeypatch.setitem(app.config, "IMPORT_ALLOW_PRIVATE", True)
    runner = app.test_cli_runner()
    first = runner.invoke(cli, ["import", "oruk", base, "--name", name])
    assert first.exit_code == 0, first.output
    assert (
        "3 items: 3 new, 0 updated, 0 unchanged, 0 held as possible duplicates, 0 rejected; 0 removed" in first.output
    )
    listed = [{"id": s["id"]} for s in services[:2]] + [{"name": "no id"}]
    server.routes["/shown/services"] = Reply(json.dumps(page(listed, 1, 100, 3)).encode())
    second = runner.invoke(cli, ["import", "run", name])
    assert (
        "3 items: 0 new, 0 updated, 2 unchanged, 0 held as possible duplicates, 1 rejected; 1 removed" in second.output
    )
    assert "rejected item 3 on page 1: the service has no id" in second.output
    assert f"service {services[2]['id']}" in second.output
    session.expire_all()
    run = session.scalars(select(ImportRun).order_by(ImportRun.id.desc())).first()
    table = html(signed_in("admin").get(f"/admin/imports/runs/{run.id}")).find("table")
    headers = [th.get_text() for th in table.find_all("th")]
    cells = [td.get_text() for td in table.find_all("td")]
    assert dict(zip(headers, cells, strict=True)) == {
        "Items seen": "3", "New": "0", "Updated": "0", "Unchanged": "2", "Held as possible duplicates": "0",
        "Rejected": "1", "Removed from the source": "1",
    }  # fmt: skip


def test_a_bad_optional_field_is_left_out_with_a_note_not_the_listing(
    session: Any, server: LoopbackServer, config: Any
) -> None:
    services = feed_services("Lifeboat", 4)
    extension, bad_phone, long_name, long_text = services
    extension["phones"] = [{"id": "p1", "number": "+44 (0)1253 477 477 ext. 204"}]
    bad_phone["phones"] = [{"id": "p2", "number": "ring the bell twice"}]
    long_name["name"] = "Long " + "n" * 300
    long_text["description"] = "d" * 12_000
    long_text["service_at_locations"].append(
        {"id": "sal-2", "location": {"id": "l2", "name": "Nowhere", "addresses": [{"postal_code": "NOT A CODE"}]}}
    )
    base = serve_feed(server, services, prefix="/salvaged")
    source = ensure_source(session, name=unique("salvaged feed"), kind="oruk", url=base)
    run = run_source(session, source, config)
    assert (run.status, run.created, run.rejected_count) == ("succeeded", 4, 0), run.rejected
    assert listing_of(session, source.id, extension["id"]).phone == "+44 (0)1253 477 477 ext. 204"
    assert listing_of(session, source.id, bad_phone["id"]).phone is None
    assert any(f"service {bad_phone['id']}: phone left out" in n and "ring the bell twice" in n for n in run.notices)
    named = listing_of(session, source.id, long_name["id"])
    assert named.name == long_name["name"][:255]
    assert f"service {long_name['id']}: name cut to 255 characters (it had 305)." in run.notices
    described = listing_of(session, source.id, long_text["id"])
    assert described.description == "d" * 10_000
    assert f"service {long_text['id']}: description cut to 10000 characters (it had 12000)." in run.notices
    assert [loc.name for loc in described.locations] == ["Central Library"]  # the bad place left out, not both
    assert any(f"service {long_text['id']}: locations: Place 2:" in n for n in run.notices)
    bad_phone["phones"] = [{"id": "p2", "number": "still not a number"}]
    bad_phone["description"] = "Changed."
    serve_feed(server, services, prefix="/salvaged")
    again = run_source(session, source, config)  # an update keeps the rest of a change too
    assert (again.updated, again.rejected_count) == (1, 0)
    assert listing_of(session, source.id, bad_phone["id"]).description == "Changed."


def place(name: str, latitude: Any = None, longitude: Any = None, postcode: str | None = None) -> list[Any]:
    location: dict[str, Any] = {"id": f"loc-{name}", "name": name, "location_type": "physical"}
    if latitude is not None or longitude is not None:
        location["latitude"], location["longitude"] = latitude, longitude
    location["addresses"] = [{"id": f"a-{name}", "address_1": "1 Test Street", "postal_code": postcode or ""}]
    return [{"id": f"sal-{name}", "location": location}]


def test_feed_coordinates_are_kept_checked_with_the_postcode_as_fallback(
    session: Any, server: LoopbackServer, config: Any
) -> None:
    session.add_all([
        Postcode(postcode_key="FY99ZA", pcds="FY9 9ZA", latitude=53.90, longitude=-3.00, lsoa_code="E01999901",
                 lad_code="E06000009"),
        Postcode(postcode_key="FY99ZB", pcds="FY9 9ZB", latitude=53.95, longitude=-3.01, lsoa_code="E01999902",
                 lad_code="E06000009"),
    ])  # fmt: skip
    session.commit()
    services = feed_services("Compass", 7)
    cases = [
        place("Own point", 53.817, -3.05, "FY9 9ZA"),  # the feed's point, the postcode's areas
        place("No postcode", 53.9512, -3.0111),  # the feed's point, the nearest postcode's areas
        place("Out of range", 95.0, -3.0, "FY9 9ZA"),
        place("Abroad", 48.85, 2.35, "FY9 9ZA"),
        place("No coordinates", postcode="FY9 9ZA"),
        place("Text coordinates", "53.9001", "-3.0002", "FY9 9ZA"),
        place("Not numbers", "north", "west", "FY9 9ZA"),
    ]
    for service, locations in zip(services, cases, strict=True):
        service["service_at_locations"] = locations
    base = serve_feed(server, services, prefix="/compass")
    source = ensure_source(session, name=unique("compass feed"), kind="oruk", url=base)
    run = run_source(session, source, config)
    assert (run.status, run.created, run.rejected_count) == ("succeeded", 7, 0), run.rejected

    def located(service: dict[str, Any]) -> tuple[Any, ...]:
        [location] = listing_of(session, source.id, service["id"]).locations
        return location.latitude, location.longitude, location.lsoa_code, location.lad_code

    assert located(services[0]) == (53.817, -3.05, "E01999901", "E06000009")
    assert located(services[1]) == (53.9512, -3.0111, "E01999902", "E06000009")
    assert located(services[2]) == (53.90, -3.00, "E01999901", "E06000009")
    assert located(services[3]) == (53.90, -3.00, "E01999901", "E06000009")
    assert located(services[4]) == (53.90, -3.00, "E01999901", "E06000009")
    assert located(services[5]) == (53.9001, -3.0002, "E01999901", "E06000009")
    assert located(services[6]) == (53.90, -3.00, "E01999901", "E06000009")
    notes = "\n".join(run.notices)
    assert f"service {services[2]['id']}: location Out of range: coordinates (95.0, -3.0) are out of range" in notes
    assert f"service {services[3]['id']}: location Abroad: coordinates (48.85, 2.35) are outside the UK" in notes
    assert (
        f"service {services[6]['id']}: location Not numbers: coordinates ('north', 'west') are not two numbers" in notes
    )
    assert "location No coordinates" not in notes  # the postcode placed it: nothing to say

    services[0]["service_at_locations"] = place("Own point", 53.818, -3.051, "FY9 9ZA")  # the feed moved the pin
    serve_feed(server, services, prefix="/compass")
    again = run_source(session, source, config)
    assert (again.updated, again.unchanged) == (1, 6)
    session.expire_all()
    assert located(services[0])[:2] == (53.818, -3.051)
    assert run_source(session, source, config).unchanged == 7  # the same point again is no change
