"""What an import's publishing transaction does to listings staff touch while the run is written, and to changes of
public listings applied together (``listings.bulk_update``): staff's saves are never overwritten, a conflict is named
and the rest applied, and a fault while publishing leaves the directory as it was. Through the real app on a real
SQLite file (and PostgreSQL), the run paused between chunks at a known moment (``test_publish.Paused``)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from directory.core.writes import Actor, StaleEdit
from directory.imports.running import run_source
from directory.listings import operations
from directory.listings.snapshots import service_snapshot
from directory.models import Revision, Service
from directory.models.imports import ImportRun
from tests.directory.imports import test_publish
from tests.directory.imports.test_publish import CHUNK, Paused, listing_of, sheet
from tests.directory.imports.test_writer import everything

pytestmark = pytest.mark.both_backends

STAFF = Actor(label="staff: a@b.org", source="staff")
config, seeded = test_publish.config, test_publish.seeded  # the fixtures of test_publish: a source that gave three


def last_run(session: Any, source_id: int) -> ImportRun:
    return session.scalars(
        select(ImportRun).where(ImportRun.source_id == source_id).order_by(ImportRun.id.desc())
    ).first()


def test_a_hidden_listing_staff_change_mid_run_is_left_as_they_saved_it(
    app: Flask, session: Any, config: dict[str, Any], seeded: Any
) -> None:
    word, source, _ = seeded
    session.commit()
    # Paused after three chunks: new listings 0-2 written hidden.
    with Paused(app, source.id, config, sheet(word, 3, 5), at=3 * CHUNK):
        session.rollback()
        hidden = listing_of(session, source.id, f"{word}-n0")
        opened = listing_of(session, source.id, f"{word}-n1")
        assert (hidden.status, hidden.version, opened.version) == ("archived", 1, 1)
        operations.update(session, "service", hidden.id, {"status": "paused", "description": "Staff: not yet"},
                          expected_version=1, actor=STAFF)  # fmt: skip
        session.commit()
    session.rollback()
    run = last_run(session, source.id)
    assert (run.status, run.created) == ("succeeded", 5)
    hidden = session.get(Service, hidden.id)
    assert (hidden.status, hidden.description, hidden.version) == ("paused", "Staff: not yet", 2)
    assert f"The listing {hidden.id} was changed by staff while this run was written: left as they saved it." in (
        run.notices
    )
    # The others are shown, each a version on with a revision that says so; a form opened on one while it was hidden
    # is refused as stale rather than saved over it.
    shown = session.get(Service, opened.id)
    assert (shown.status, shown.version) == ("active", 2)
    [published] = session.scalars(
        select(Revision).where(Revision.entity_type == "service", Revision.entity_id == shown.id, Revision.version == 2)
    ).all()
    assert (published.action, published.before["status"], published.after) == (
        "publish", "archived", service_snapshot(shown))  # fmt: skip
    with pytest.raises(StaleEdit, match="now version 2, you opened version 1"):
        operations.update(session, "service", shown.id, {"status": "archived"}, expected_version=1, actor=STAFF)


def test_a_public_listing_staff_save_mid_run_is_a_conflict_named_and_the_other_changes_are_applied(
    app: Flask, session: Any, config: dict[str, Any], seeded: Any
) -> None:
    word, source, known = seeded
    session.commit()
    changed = sheet(word, 3, 0, changed="Knitting and crochet").replace(b",Knitting,", b",Knitting on Tuesdays,")
    seen = known.version
    with Paused(app, source.id, config, changed, at=CHUNK):  # k0 and k1's changes worked out and deferred
        session.rollback()
        operations.update(session, "service", known.id, {"description": "Staff's words"},
                          expected_version=known.version, actor=STAFF)  # fmt: skip
        session.commit()
    session.rollback()
    run = last_run(session, source.id)
    assert (run.status, run.updated, run.unchanged, run.rejected_count) == ("succeeded", 2, 0, 1)
    [rejected] = run.rejected
    assert rejected["where"] == "row 2"
    assert f"changed by someone else (now version {seen + 1}, you opened version {seen})" in rejected["reason"]
    assert session.get(Service, known.id).description == "Staff's words"
    for key in ("k1", "k2"):
        applied = listing_of(session, source.id, f"{word}-{key}")
        assert (applied.description, applied.version) == ("Knitting on Tuesdays", seen + 1)
        [revision] = session.scalars(
            select(Revision).where(Revision.entity_id == applied.id, Revision.entity_type == "service",
                                   Revision.version == seen + 1)
        ).all()  # fmt: skip
        assert revision.before["description"] == "Knitting" and revision.after == service_snapshot(applied)


def test_a_fault_while_publishing_changes_leaves_the_directory_as_it_was(
    session: Any, config: dict[str, Any], seeded: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    word, source, known = seeded
    before = everything(session), {s.id: (s.version, service_snapshot(s)) for s in session.scalars(
        select(Service).where(Service.name.like(f"{word} %")))}  # fmt: skip

    def broken(*args: Any) -> None:
        raise RuntimeError("the index went away")

    monkeypatch.setattr("directory.listings.search_index.write_documents", broken)
    run = run_source(session, source, config, payloads=[sheet(word, 3, 0, changed="Knitting and crochet")],
                     chunk_size=CHUNK)  # fmt: skip
    assert run.status == "failed" and "the index went away" in run.failure
    session.expire_all()
    after = everything(session), {s.id: (s.version, service_snapshot(s)) for s in session.scalars(
        select(Service).where(Service.name.like(f"{word} %")))}  # fmt: skip
    assert after == before
    assert session.get(Service, known.id).description == "Knitting"


def test_changes_the_database_refuses_together_are_applied_one_at_a_time(
    session: Any, config: dict[str, Any], seeded: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    word, source, known = seeded

    def refused(*args: Any, **kw: Any) -> None:
        raise OperationalError("UPDATE service ...", {}, Exception("disk I/O error"))

    monkeypatch.setattr("directory.listings.bulk_update.apply", refused)
    seen = known.version
    changed = sheet(word, 3, 0, changed="Knitting and crochet")
    run = run_source(session, source, config, payloads=[changed], chunk_size=CHUNK)
    assert (run.status, run.updated, run.rejected_count) == ("succeeded", 1, 0)
    session.expire_all()
    assert (session.get(Service, known.id).description, session.get(Service, known.id).version) == (
        "Knitting and crochet", seen + 1)  # fmt: skip
