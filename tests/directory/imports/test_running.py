"""directory.imports.running: importers' records written through operations, on a real loopback server."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from directory.cli import cli
from directory.core.clock import utcnow
from directory.imports.running import reset_stuck_runs, run_source
from directory.imports.sources import ensure_source
from directory.models import Revision, Service
from directory.models.imports import ExternalRecord, ImportEvidence, ImportRun
from directory.models.verification import FollowUp
from scrapers.oruk import OrukImporter
from tests.scrapers.loopback import LoopbackServer, Reply, closed_port_url
from tests.scrapers.oruk_payloads import full_service, serve_feed

_names = iter(range(1, 10_000))


def services_count(session: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(Service)))


def revisions_count(session: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(Revision)))


def unique(prefix: str) -> str:
    return f"{prefix} {next(_names)}"


def feed_services(tag: str, count: int, start: int = 1) -> list[dict[str, Any]]:
    """ORUK services with ids unique to this test, at a postcode no other listing uses."""
    made = []
    for n in range(start, start + count):
        service = full_service(n)
        service["id"] = f"{abs(hash(tag)) % 10**8:08d}-0000-4000-8000-{n:012d}"
        service["name"] = f"{tag} group {n}"
        service["organization"] = {
            **service["organization"],
            "id": f"{abs(hash(tag)) % 10**8:08d}-1111-4000-8000-000000000000",
            "name": f"{tag} organisation",
        }
        made.append(service)
    return made


def test_an_oruk_feed_creates_listings_through_the_write_path(
    session: Any, server: LoopbackServer, config: Any
) -> None:
    services = feed_services("Alpha", 5)
    base = serve_feed(server, services)
    source = ensure_source(session, name=unique("alpha feed"), kind="oruk", url=base)
    before = services_count(session)
    run = run_source(session, source, config, started_by="test")
    assert (run.status, run.created, run.updated, run.unchanged, run.rejected_count) == ("succeeded", 5, 0, 0, 0)
    assert services_count(session) == before + 5
    links = session.scalars(select(ExternalRecord).where(ExternalRecord.source_id == source.id)).all()
    assert {link.external_id for link in links if link.entity_type == "service"} == {s["id"] for s in services}
    service = session.get(Service, next(link.entity_id for link in links if link.entity_type == "service"))
    assert service.organization.name == "Alpha organisation"
    assert [c.code for c in service.categories] == ["arts-crafts"]
    assert service.verified_how == "import" and service.last_verified_at == datetime(2026, 1, 15)
    revision = session.scalars(
        select(Revision).where(Revision.entity_id == service.id, Revision.entity_type == "service")
    ).first()
    assert revision.source == "import" and revision.actor == f"import: {source.name}"
    assert any("taxonomy terms with no category: Knitting circles" in n for n in run.notices)


def test_a_rerun_is_unchanged_and_a_changed_record_updates_in_place(
    session: Any, server: LoopbackServer, config: Any
) -> None:
    services = feed_services("Beta", 3)
    base = serve_feed(server, services)
    source = ensure_source(session, name=unique("beta feed"), kind="oruk", url=base)
    run_source(session, source, config)
    count, revisions = services_count(session), revisions_count(session)
    again = run_source(session, source, config)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert revisions_count(session) == revisions
    services[1]["description"] = "Now on Wednesdays too."
    serve_feed(server, services)
    third = run_source(session, source, config)
    assert (third.created, third.updated, third.unchanged) == (0, 1, 2)
    assert services_count(session) == count
    link = session.scalars(select(ExternalRecord).where(ExternalRecord.external_id == services[1]["id"])).one()
    assert session.get(Service, link.entity_id).description == "Now on Wednesdays too."


def _broken(server: LoopbackServer, how: str) -> str:
    if how == "down":
        return closed_port_url() + "/oruk"
    if how == "slow":
        server.routes["/slow/services"] = Reply(b"{}", delay=2.0)
        return server.url + "/slow"
    if how == "redirect loop":
        server.routes["/loop/services"] = Reply(status=302, headers={"Location": "/loop/services"})
        return server.url + "/loop"
    if how == "huge":
        server.routes["/huge/services"] = Reply(endless=True)
        return server.url + "/huge"
    if how == "malformed JSON":
        server.routes["/bad/services"] = Reply(b'{"contents": [')
        return server.url + "/bad"
    if how == "empty list":
        return serve_feed(server, [], prefix="/empty")
    if how == "fails on page 2":
        services = feed_services("Gamma", 4)
        base = serve_feed(server, services, prefix="/half")
        original = server.routes["/half/services"]
        server.routes["/half/services"] = lambda path: (
            Reply(b"oops", status=500) if "page=2" in path else original(path)  # type: ignore[operator]
        )
        return base
    raise AssertionError(how)


@pytest.mark.parametrize(
    ("how", "message"),
    [
        ("down", "could not connect"),
        ("slow", "within 1 seconds"),
        ("redirect loop", "more than 5 redirects"),
        ("huge", "more than the limit of 1,048,576 bytes"),
        ("malformed JSON", "not valid JSON"),
        ("empty list", "returned no listings"),
        ("fails on page 2", "answered 500"),
    ],
)
def test_a_broken_source_changes_nothing_and_records_the_failure(
    session: Any, server: LoopbackServer, config: Any, how: str, message: str
) -> None:
    base = _broken(server, how)
    source = ensure_source(session, name=unique(f"broken {how}"), kind="oruk", url=base)
    if how == "fails on page 2":
        config = {**config}
        source.options = {}
    count, revisions = services_count(session), revisions_count(session)
    importer = OrukImporter(allow_private=True, timeout=1.0, max_bytes=1024 * 1024, per_page=2)
    run = run_source(session, source, config, importer=importer if how == "fails on page 2" else None)
    assert run.status == "failed" and message in run.failure
    assert (run.created, run.updated) == (0, 0)
    assert services_count(session) == count and revisions_count(session) == revisions
    assert source.state == "failed" and message in source.last_error


def test_an_address_that_is_not_http_marks_a_bad_source(session: Any, config: Any) -> None:
    source = ensure_source(session, name=unique("ftp feed"), kind="oruk", url="ftp://example.org/feed")
    run = run_source(session, source, config)
    assert run.status == "failed" and source.state == "bad-source"


def test_private_addresses_are_refused_unless_the_setting_allows(
    session: Any, server: LoopbackServer, app: Flask
) -> None:
    base = serve_feed(server, feed_services("Delta", 1), prefix="/private")
    source = ensure_source(session, name=unique("private feed"), kind="oruk", url=base)
    run = run_source(session, source, {**app.config, "IMPORT_ALLOW_PRIVATE": False})
    assert run.status == "failed" and "private or internal" in run.failure
    assert server.requests == []


def test_an_empty_feed_after_a_full_one_archives_nothing(session: Any, server: LoopbackServer, config: Any) -> None:
    services = feed_services("Epsilon", 2)
    base = serve_feed(server, services, prefix="/eps")
    source = ensure_source(session, name=unique("eps feed"), kind="oruk", url=base)
    run_source(session, source, config)
    serve_feed(server, [], prefix="/eps")
    server.routes.pop(f"/eps/services/{services[0]['id']}")
    run = run_source(session, source, config)
    assert run.status == "failed"
    ids = [
        link.entity_id
        for link in session.scalars(
            select(ExternalRecord).where(ExternalRecord.source_id == source.id, ExternalRecord.entity_type == "service")
        )
    ]
    assert {session.get(Service, i).status for i in ids} == {"active"}
    serve_feed(server, services[:1], prefix="/eps")
    partial = run_source(session, source, config)
    assert partial.status == "succeeded"
    assert partial.removed == 1
    assert any(f"service {services[1]['id']}" in n and "flagged for staff" in n for n in partial.notices)
    assert {session.get(Service, i).status for i in ids} == {"active"}


SPREADSHEET = (
    "Group name,Run by,Postcode,Category,Day,Start,End,Cost\n"
    "{tag} knit,{tag} crafters,FY1 1PX,Arts and crafts,Tuesday,10:00,12:00,Free\n"
    "{tag} walk,{tag} walkers,FY1 1PX,,Monday,09:00,10:00,\n"
    ",{tag} nobody,FY1 1PX,,,,,\n"
    "{tag} choir,{tag} singers,FY1 1PX,,Wednesday,19:00,18:00,Free\n"
    "{tag} advice,{tag} advice,FY1 1PX,,,,,£5 a session\n"
)


def test_a_spreadsheet_holds_exactly_the_accepted_rows_and_names_the_rest(session: Any, config: Any) -> None:
    tag = unique("Zeta")
    source = ensure_source(session, name=unique("zeta sheet"), kind="spreadsheet")
    count = services_count(session)
    run = run_source(session, source, config, payloads=[SPREADSHEET.format(tag=tag).encode()])
    assert (run.status, run.created, run.rejected_count) == ("succeeded", 3, 2)
    assert run.rejected == [
        {"where": "row 4", "reason": "the service name is empty"},
        {"where": "row 5", "reason": "schedules: Session 1: it must finish after it starts."},
    ]
    assert services_count(session) == count + 3
    names = set(session.scalars(select(Service.name).where(Service.name.like(f"{tag}%"))))
    assert names == {f"{tag} knit", f"{tag} walk", f"{tag} advice"}
    advice = session.scalars(select(Service).where(Service.name == f"{tag} advice")).one()
    assert advice.is_free is False and advice.cost_description == "£5 a session"
    again = run_source(session, source, config, payloads=[SPREADSHEET.format(tag=tag).encode()])
    assert again.status == "skipped" and services_count(session) == count + 3


def test_all_or_nothing_keeps_nothing_when_a_row_is_rejected(session: Any, config: Any) -> None:
    tag = unique("Eta")
    source = ensure_source(session, name=unique("eta sheet"), kind="spreadsheet")
    count = services_count(session)
    run = run_source(session, source, config, payloads=[SPREADSHEET.format(tag=tag).encode()], all_or_nothing=True)
    assert run.status == "succeeded" and run.created == 0 and run.rejected_count == 2
    assert services_count(session) == count


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"", "empty"),
        (b"\x00\x01binary", "binary"),
        (b'name\n"unterminated\n', "malformed"),
        (b"Name\n", "no listings"),
    ],
)
def test_a_malformed_or_empty_spreadsheet_changes_nothing(
    session: Any, config: Any, payload: bytes, message: str
) -> None:
    source = ensure_source(session, name=unique("bad sheet"), kind="spreadsheet")
    count = services_count(session)
    run = run_source(session, source, config, payloads=[payload])
    assert run.status == "failed" and message in run.failure
    assert services_count(session) == count


def calendar(*events: str) -> bytes:
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//T//T//EN\r\n" + "".join(events) + "END:VCALENDAR\r\n").encode()


def weekly_event(start: datetime) -> str:
    return (
        "BEGIN:VEVENT\r\nUID:weekly@test\r\nDTSTAMP:20260101T000000Z\r\n"
        f"DTSTART:{start:%Y%m%dT%H%M%S}Z\r\nDTEND:{start + timedelta(hours=2):%Y%m%dT%H%M%S}Z\r\n"
        "RRULE:FREQ=WEEKLY\r\nSUMMARY:Knit and natter\r\nEND:VEVENT\r\n"
    )


def test_a_calendar_sets_sessions_and_no_future_events_is_only_evidence(
    session: Any, server: LoopbackServer, config: Any, make_service: Callable[..., Any]
) -> None:
    service = make_service(schedules=[{"byday": "FR", "opens_at": "09:00", "closes_at": "10:00"}])
    monday_noon = (utcnow() - timedelta(days=utcnow().weekday())).replace(hour=12, minute=0, second=0, microsecond=0)
    server.routes["/group.ics"] = Reply(
        calendar(weekly_event(monday_noon - timedelta(weeks=4))), content_type="text/calendar"
    )
    source = ensure_source(
        session, name=unique("calendar"), kind="ical", url=server.url + "/group.ics", options={"service_id": service.id}
    )
    run = run_source(session, source, config)
    assert (run.status, run.updated) == ("succeeded", 1)
    session.expire_all()
    [schedule] = session.get(Service, service.id).schedules
    assert schedule.byday == "MO"
    # The group stops: its calendar's last session was last year.
    server.routes["/group.ics"] = Reply(
        calendar(weekly_event(monday_noon - timedelta(weeks=60)).replace("RRULE:FREQ=WEEKLY\r\n", "")),
        content_type="text/calendar",
    )
    version = session.get(Service, service.id).version
    stopped = run_source(session, source, config)
    assert stopped.status == "succeeded" and stopped.updated == 0
    session.expire_all()
    assert session.get(Service, service.id).version == version
    [evidence] = session.scalars(select(ImportEvidence).where(ImportEvidence.service_id == service.id)).all()
    assert evidence.kind == "no-future-events"
    # ... and it joins staff's follow-up queue, beside reminders and link workers' reports.
    [follow_up] = session.scalars(select(FollowUp).where(FollowUp.service_id == service.id)).all()
    assert follow_up.reason == "no-future-events" and follow_up.reported_by.startswith("import: ")


def test_a_malformed_calendar_changes_nothing(
    session: Any, server: LoopbackServer, config: Any, make_service: Callable[..., Any]
) -> None:
    service = make_service()
    server.routes["/broken.ics"] = Reply(b"BEGIN:VCALENDAR\r\nthis is not ical", content_type="text/calendar")
    source = ensure_source(
        session,
        name=unique("broken calendar"),
        kind="ical",
        url=server.url + "/broken.ics",
        options={"service_id": service.id},
    )
    run = run_source(session, source, config)
    assert run.status == "failed" and "iCalendar" in run.failure


def test_a_stuck_run_is_reset(session: Any) -> None:
    source = ensure_source(session, name=unique("stuck"), kind="oruk", url="https://example.org")
    run = ImportRun(source_id=source.id, started_at=utcnow() - timedelta(hours=7))
    session.add(run)
    source.state = "running"
    session.commit()
    assert reset_stuck_runs(session) >= 1
    session.commit()
    assert run.status == "failed" and source.state == "failed"


def test_the_scrapers_job_runs_sources_scheduled_daily(
    app: Flask, session: Any, server: LoopbackServer, monkeypatch: Any
) -> None:
    """`asset-directory jobs once scrapers` runs a daily source against its feed, through the write path."""
    base = serve_feed(server, feed_services("Scheduled", 2))
    source = ensure_source(session, name=unique("daily feed"), kind="oruk", url=base)
    source.schedule = "daily"
    session.commit()
    monkeypatch.setitem(app.config, "IMPORT_ALLOW_PRIVATE", True)  # the feed is on loopback
    before = services_count(session)
    result = app.test_cli_runner().invoke(cli, ["jobs", "once", "scrapers"])
    assert result.exit_code == 0, result.output
    session.expire_all()
    assert services_count(session) == before + 2
    names = set(session.scalars(select(Service.name).where(Service.name.like("Scheduled group %"))))
    assert names == {"Scheduled group 1", "Scheduled group 2"}
