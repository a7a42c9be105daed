"""directory.imports.writer and directory.listings.bulk_write: a run written in chunks keeps every guarantee.

Small chunks (two records) so every run crosses several chunk boundaries; on SQLite and PostgreSQL.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, text

from directory.imports.running import run_source
from directory.imports.sources import ensure_source
from directory.listings import search_index
from directory.listings.snapshots import service_snapshot
from directory.models import Location, Organization, Revision, Service
from directory.models.imports import ExternalRecord, MergeCandidate
from scrapers.base import Parsed, ServiceRecord
from scrapers.spreadsheet import SpreadsheetImporter
from tests.directory.imports.test_running import feed_services, unique

pytestmark = pytest.mark.both_backends


@pytest.fixture
def config(app: Flask) -> dict[str, Any]:
    return {**app.config, "IMPORT_ALLOW_PRIVATE": True}


def count(session: Any, model: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(model)))


def everything(session: Any) -> dict[str, int]:
    """Row counts of every table an import writes listings to."""
    counted = {m.__name__: count(session, m) for m in (Service, Organization, Revision, Location, ExternalRecord)}
    counted["index"] = int(session.scalar(text("SELECT count(*) FROM service_fts")))
    return counted


def indexed(session: Any, service_id: int, word: str) -> bool:
    """Whether the search index finds ``word`` in the service's entry."""
    if search_index.uses_fts5(session):
        query = "SELECT count(*) FROM service_fts WHERE rowid = :id AND service_fts MATCH :word"
    else:
        query = (
            "SELECT count(*) FROM service_fts WHERE service_id = :id AND document @@ plainto_tsquery('english', :word)"
        )
    return bool(session.scalar(text(query), {"id": service_id, "word": word}))


def payloads(services: list[dict[str, Any]]) -> list[bytes]:
    """One payload per service, as the ORUK importer's fetch yields them."""
    return [json.dumps(service).encode() for service in services]


def test_a_feed_with_bad_records_in_small_chunks_keeps_exactly_the_good_ones_two_revisions_each(
    session: Any, config: dict[str, Any], make_service: Callable[..., Any], make_organization: Callable[..., Any]
) -> None:
    tag = unique("Batch")
    services = feed_services(tag, 12)
    services[1]["email"] = "not an email"
    services[3]["minimum_age"], services[3]["maximum_age"] = 70, 18
    services[4]["name"] = ""  # refused by the parser: reported in its place
    services[6]["service_at_locations"][0]["location"]["addresses"][0]["postal_code"] = "NOT A POSTCODE"
    services[8]["id"] = services[0]["id"]  # a repeat of a record kept in an earlier chunk
    services[11]["id"] = services[1]["id"]  # ... and of one rejected in an earlier chunk
    # A listing from elsewhere at the same postcode: the lookalike record is held, not created.
    neighbour = make_organization(name=f"{tag} Knitters")
    existing = make_service(
        name=f"{tag} Knit & Natter",
        organization_id=neighbour.id,
        locations=[{"name": "Hall", "address_1": "", "city": "", "postcode": "FY1 1PX"}],
    )
    services[10]["name"] = f"{tag} knit and natter"
    services[10]["organization"] = {"id": "lookalike-org", "name": f"{tag} knitters"}
    source = ensure_source(session, name=unique("batch feed"), kind="oruk", url="https://example.org/")
    before = everything(session)

    run = run_source(session, source, config, payloads=payloads(services), chunk_size=2)

    assert (run.status, run.created, run.held, run.rejected_count) == ("succeeded", 8, 1, 3)
    assert [r["where"] for r in run.rejected] == [f"service {services[i]['id']}" for i in (4, 8, 11)]
    reasons = [r["reason"] for r in run.rejected]
    assert reasons[0] == "the service has no name"
    assert reasons[1] == f"the id {services[0]['id']!r} appears twice"
    assert reasons[2] == f"the id {services[1]['id']!r} appears twice"
    # A bad optional field is left out with a note, not the whole listing (imports.salvage).
    notes = "\n".join(run.notices)
    assert f"service {services[1]['id']}: email left out: 'not an email' is not an email address" in notes
    assert f"service {services[3]['id']}: maximum_age left out: The upper age must not be below" in notes
    assert f"service {services[6]['id']}: locations: Place 1: " in notes
    # The database holds exactly the accepted records: eight listings, one organisation.
    names = set(session.scalars(select(Service.name).where(Service.name.like(f"{tag} group%"))))
    assert names == {f"{tag} group {n}" for n in (1, 2, 3, 4, 6, 7, 8, 10)}
    assert session.scalars(select(Organization.name).where(Organization.name == f"{tag} organisation")).all() == [
        f"{tag} organisation"
    ]
    after = everything(session)
    assert after["Service"] == before["Service"] + 8 and after["Organization"] == before["Organization"] + 1
    # Two revisions each (written hidden, then published: ``bulk_write.show``), eight listings and one organisation.
    assert after["Revision"] == before["Revision"] + 18 and after["index"] == before["index"] + 8
    # Two revisions each, from the import: created (hidden), then published, the last holding the same snapshot as
    # the listing read back, at its version.
    links = session.scalars(
        select(ExternalRecord).where(ExternalRecord.source_id == source.id, ExternalRecord.entity_type == "service")
    ).all()
    assert len(links) == 8
    for link in links:
        service = session.get(Service, link.entity_id)
        created, published = session.scalars(
            select(Revision).where(Revision.entity_type == "service", Revision.entity_id == service.id)
            .order_by(Revision.id)
        ).all()  # fmt: skip
        assert (created.action, created.source, created.actor) == ("create", "import", f"import: {source.name}")
        assert (published.action, published.source, published.actor) == ("publish", "import", created.actor)
        assert created.before is None and created.after == published.after == service_snapshot(service)
        assert published.changed_fields == ["status"] and published.before["status"] == "archived"
        assert (created.version, published.version, service.version) == (1, 2, 2)
        assert indexed(session, service.id, "knit") and indexed(session, service.id, tag.split()[0])
        assert [c.code for c in service.categories] == ["arts-crafts"]
        assert [(s.byday, s.opens_at.strftime("%H:%M")) for s in service.schedules] == [
            ("TU", "10:00"),
            ("TH", "10:00"),
        ]
    candidate = session.scalars(select(MergeCandidate).where(MergeCandidate.source_id == source.id)).one()
    assert candidate.service_id == existing.id and candidate.external_id == services[10]["id"]

    # Unchanged records are skipped by checksum; a changed one is an update with one more revision.
    again = run_source(session, source, config, payloads=payloads(services), chunk_size=2)
    assert (again.created, again.updated, again.unchanged, again.rejected_count) == (0, 0, 8, 3)
    assert everything(session)["Revision"] == after["Revision"]
    services[2]["description"] = "Now on Wednesdays too."
    third = run_source(session, source, config, payloads=payloads(services), chunk_size=2)
    assert (third.created, third.updated, third.unchanged) == (0, 1, 7)
    assert everything(session)["Revision"] == after["Revision"] + 1


SHEET_HEADER = "ID,Group name,Run by,Postcode,Day,Start,End\n"


def sheet(tag: str, rows: int) -> bytes:
    """A spreadsheet of ``rows`` groups run by one organisation (named with an accent) at one place."""
    lines = [f"{tag}-{n},{tag} group {n},{tag} École des arts,FY1 1PX,Tuesday,10:00,12:00\n" for n in range(rows)]
    return (SHEET_HEADER + "".join(lines)).encode()


class BuggyImporter(SpreadsheetImporter):
    """A spreadsheet importer with a bug: its seventh record carries a category that is not text."""

    def stream(self, payload: bytes) -> Iterator[Parsed]:
        for item in super().stream(payload):
            if isinstance(item, ServiceRecord) and item.where == "row 8":
                item = dataclasses.replace(item, categories=(7,))  # type: ignore[arg-type]
            yield item


def test_a_crash_mid_run_leaves_the_database_as_it_was(session: Any, config: dict[str, Any]) -> None:
    tag = unique("Crash")
    source = ensure_source(session, name=unique("crash sheet"), kind="spreadsheet")
    before = everything(session)
    taken: list[int] = []
    run = run_source(
        session, source, config, payloads=[sheet(tag, 10)], importer=BuggyImporter(), chunk_size=2,
        progress=taken.append,
    )  # fmt: skip
    assert len(taken) == 7  # three chunks of two were written before the seventh record failed
    assert run.status == "failed" and run.created == 0
    assert "the import stopped on an unexpected error, nothing was changed (TypeError" in run.failure
    assert everything(session) == before
    assert session.scalars(select(Organization).where(Organization.name.like(f"{tag}%"))).all() == []
    assert source.state == "failed" and "TypeError" in source.last_error
    # Without the bug the same file, in the same chunks, is written whole: one organisation, found again by
    # its name in every chunk (accents and all).
    fixed = run_source(session, source, config, payloads=[sheet(tag, 10)], chunk_size=2)
    assert (fixed.status, fixed.created) == ("succeeded", 10)
    assert everything(session)["Service"] == before["Service"] + 10
    assert session.scalars(select(Organization.name).where(Organization.name.like(f"{tag}%"))).all() == [
        f"{tag} École des arts"
    ]


@pytest.fixture
def refusing(session: Any) -> Iterator[str]:
    """The database itself refuses to store a service of one name (a trigger), as a constraint would."""
    name = unique("Refused by the database")
    if search_index.uses_fts5(session):
        session.execute(
            text(
                "CREATE TRIGGER refuse_one BEFORE INSERT ON service WHEN NEW.name = :name "
                "BEGIN SELECT RAISE(ABORT, 'refused'); END".replace(":name", "'" + name + "'")
            )
        )
        drop = ["DROP TRIGGER refuse_one"]
    else:
        session.execute(
            text(
                "CREATE FUNCTION refuse_one() RETURNS trigger AS $$ BEGIN IF NEW.name = '" + name + "' "
                "THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql"
            )
        )
        session.execute(
            text("CREATE TRIGGER refuse_one BEFORE INSERT ON service FOR EACH ROW EXECUTE FUNCTION refuse_one()")
        )
        drop = ["DROP TRIGGER refuse_one ON service", "DROP FUNCTION refuse_one()"]
    session.commit()
    yield name
    session.rollback()
    for statement in drop:
        session.execute(text(statement))
    session.commit()


def test_a_record_the_database_refuses_is_named_and_the_rest_of_its_chunk_kept(
    session: Any, config: dict[str, Any], refusing: str
) -> None:
    tag = unique("Refusal")
    rows = sheet(tag, 5).decode().replace(f"{tag} group 3,", f"{refusing},").encode()
    source = ensure_source(session, name=unique("refusal sheet"), kind="spreadsheet")
    before = everything(session)
    run = run_source(session, source, config, payloads=[rows], chunk_size=3)
    assert (run.status, run.created, run.rejected_count) == ("succeeded", 4, 1)
    [rejected] = run.rejected
    assert rejected["where"] == "row 5" and rejected["reason"].startswith("the database refused it: ")
    after = everything(session)
    # Its chunk was written again one record at a time: its neighbours once each, each with one revision as written
    # (hidden) and one as published.
    assert after["Service"] == before["Service"] + 4 and after["index"] == before["index"] + 4
    assert after["Revision"] == before["Revision"] + 10  # four listings and their organisation, twice each
    names = sorted(session.scalars(select(Service.name).where(Service.name.like(f"{tag}%"))))
    assert names == [f"{tag} group {n}" for n in (0, 1, 2, 4)]
