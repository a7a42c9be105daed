"""directory.listings.bulk_update: many saves through the write path together give what the same saves one at a time
through ``operations.update`` give (versions, revisions, index entries, places, refusals), in a few statements rather
than a few each."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session

from directory.core.validation import ValidationFailed
from directory.core.writes import Actor, NotFound, StaleEdit
from directory.listings import bulk_update, operations, search_index, vectors
from directory.listings.snapshots import service_snapshot
from directory.models import Location, Revision, Service
from tests.directory.imports.test_running import unique

pytestmark = pytest.mark.both_backends

IMPORT = Actor(label="import: a test feed", source="import")


def place(name: str) -> dict[str, Any]:
    return {"name": name, "address_1": "1 Church Street", "city": "Blackpool", "postcode": "FY1 1PX"}


def listings(make_service: Callable[..., Any], tag: str) -> list[int]:
    return [make_service(name=f"{tag} listing {n}", description="Knitting").id for n in range(7)]


def saves(ids: list[int], versions: dict[int, int], tag: str) -> list[bulk_update.Change]:
    """Seven saves: plain ones, related rows replaced, a place two of them give (new: made once), a listing staff
    saved since the save was made (a conflict mid-batch), a bad value, and a listing that does not exist."""
    wanted: list[tuple[int, dict[str, Any]]] = [
        (ids[0], {"description": "Knitting and crochet"}),
        (ids[1], {"categories": ["loneliness"], "locations": [place(f"{tag} hall")]}),
        (ids[2], {"description": "Saved over staff's change"}),
        (ids[3], {"email": "not an email"}),
        (ids[4], {"locations": [place(f"{tag} hall")], "schedules": [{"byday": "TU", "opens_at": "10:00",
                                                                      "closes_at": "12:00"}]}),
        (987_654_321, {"description": "Nowhere"}),
        (ids[5], {"name": f"{tag} renamed", "contacts": [{"name": "Sam", "title": "", "phone": "01253 400400",
                                                         "email": "sam@example.org"}]}),
    ]  # fmt: skip
    made = [bulk_update.Change(i, versions.get(i, 1), changes) for i, changes in wanted]
    made[2] = bulk_update.Change(ids[2], versions[ids[2]] - 1, wanted[2][1])  # opened before staff saved it
    return made


def outcome(session: Session, ids: list[int], since: int, tag: str) -> dict[str, Any]:
    """What the saves left: each listing's version and snapshot, the revisions made, index entries, places."""
    session.expire_all()
    services = {s.id: s for s in session.scalars(select(Service).where(Service.id.in_(ids)))}
    revisions = session.scalars(select(Revision).where(Revision.id > since).order_by(Revision.entity_id))
    if search_index.uses_fts5(session):
        query = "SELECT rowid, name, description, organization, categories, extra FROM service_fts WHERE rowid IN ({})"
    else:
        query = "SELECT service_id, document::text FROM service_fts WHERE service_id IN ({})"
    index = session.execute(text(query.format(",".join(map(str, ids))))).all()
    return {
        "versions": {i: services[i].version for i in ids},
        "snapshots": {i: service_snapshot(services[i]) for i in ids},
        "revisions": [
            (r.entity_type, r.entity_id, r.version, r.action, r.actor, r.source, r.before, r.after) for r in revisions
        ],  # fmt: skip
        "index": sorted(tuple(row) for row in index),
        "places": session.scalar(select(func.count()).where(Location.name == f"{tag} hall")),
    }


def test_many_saves_together_give_what_the_same_saves_one_at_a_time_give(
    session: Session, make_service: Callable[..., Any]
) -> None:
    tag = unique("Together")
    ids = listings(make_service, tag)
    staff = operations.update(session, "service", ids[2], {"description": "Staff's change"}, expected_version=1,
                              actor=Actor(label="staff: a@b.org", source="staff"))  # fmt: skip
    session.commit()
    versions = dict.fromkeys(ids, 1) | {ids[2]: staff.version}
    since = int(session.scalar(select(func.max(Revision.id))) or 0)

    one_at_a_time: dict[int, str] = {}
    for n, save in enumerate(saves(ids, versions, tag)):
        try:  # each refused before it writes anything, so no savepoint is needed to drop it
            operations.update(session, "service", save.service_id, save.changes,
                              expected_version=save.expected_version, actor=IMPORT)  # fmt: skip
        except (StaleEdit, NotFound, ValidationFailed) as exc:
            one_at_a_time[n] = f"{type(exc).__name__}: {exc}"
    expected = outcome(session, ids, since, tag)
    session.rollback()

    refused = bulk_update.update_many(session, saves(ids, versions, tag), actor=IMPORT)
    together = outcome(session, ids, since, tag)
    session.rollback()

    assert {n: f"{type(exc).__name__}: {exc}" for n, exc in refused.items()} == one_at_a_time
    assert sorted(refused) == [2, 3, 5]  # the conflict mid-batch, the bad value, the missing listing; the rest applied
    assert "changed by someone else (now version 2, you opened version 1)" in str(refused[2])
    assert together == expected
    assert together["places"] == 1 and together["versions"][ids[0]] == 2 and together["versions"][ids[3]] == 1
    assert [r[3] for r in together["revisions"] if r[1] != ids[2]] == ["update"] * 4
    assert together["snapshots"][ids[2]]["description"] == "Staff's change"  # never overwritten


STAFF = Actor(label="staff: a@b.org", source="staff")


def plain_saves(ids: list[int]) -> list[tuple[int, dict[str, Any]]]:
    return [
        # Columns of every kind: text, a list (JSON), a date and time, a true/false.
        (
            ids[0],
            {
                "description": "Knitting and crochet",
                "languages": ["English", "Polish"],
                "last_verified_at": "2026-11-02T10:30:00",
                "verified_by": "import: a test feed",
            },
        ),
        (ids[1], {"name": "Renamed", "eligibility_conditions": "Over 60s", "status": "paused"}),
        (ids[2], {"description": "Saved over staff's change"}),  # staff save it after it was prepared
        (ids[3], {"email": "not an email"}),  # refused when prepared
        (ids[4], {"phone": "01253 400400", "is_free": False, "cost_description": "£2"}),
    ]


def test_prepared_saves_applied_together_give_what_the_same_saves_one_at_a_time_give(
    session: Session, make_service: Callable[..., Any]
) -> None:
    tag = unique("Prepared")
    ids = listings(make_service, tag)
    since = int(session.scalar(select(func.max(Revision.id))) or 0)

    organisation = session.get(Service, ids[0]).organization_id

    def staff_meanwhile() -> None:
        """Staff save one of the listings, and rename another's organisation (which does not move its version)."""
        operations.update(session, "service", ids[2], {"description": "Staff's change"}, expected_version=1,
                          actor=STAFF)  # fmt: skip
        operations.update(session, "organization", organisation, {"name": f"{tag} renamed group"}, expected_version=1,
                          actor=STAFF)  # fmt: skip

    one_at_a_time: dict[int, str] = {}
    staff_meanwhile()
    for service_id, changes in plain_saves(ids):
        try:
            operations.update(session, "service", service_id, changes, expected_version=1, actor=IMPORT)
        except (StaleEdit, ValidationFailed) as exc:
            one_at_a_time[service_id] = f"{type(exc).__name__}: {exc}"
    expected = outcome(session, ids, since, tag)
    session.rollback()

    refused: dict[int, str] = {}
    prepared = []
    for service_id, changes in plain_saves(ids):  # as an import's chunk prepares them, the listing at hand
        try:
            ready = bulk_update.prepare(session, session.get(Service, service_id), changes, expected_version=1,
                                        actor=IMPORT)  # fmt: skip
            prepared.append(ready)
        except ValidationFailed as exc:
            refused[service_id] = f"{type(exc).__name__}: {exc}"
    staff_meanwhile()
    session.flush()
    applied = bulk_update.apply(session, prepared, actor=IMPORT)
    refused |= {prepared[n].service_id: f"{type(exc).__name__}: {exc}" for n, exc in applied.items()}
    together = outcome(session, ids, since, tag)
    session.rollback()

    assert refused == one_at_a_time and sorted(refused) == [ids[2], ids[3]]
    assert together == expected
    assert together["snapshots"][ids[2]]["description"] == "Staff's change"  # the conflict was not overwritten
    if search_index.uses_fts5(session):  # the entry's words as given (PostgreSQL keeps stems): the new name
        assert any(f"{tag} renamed group" in str(entry) for entry in together["index"])
    assert together["versions"] == {ids[0]: 2, ids[1]: 2, ids[2]: 2, ids[3]: 1, ids[4]: 2, ids[5]: 1, ids[6]: 1}


def statements_for(session: Session, saves: list[bulk_update.Prepared]) -> int:
    """How many statements ``update_many`` sends for ``saves`` (rolled back after)."""
    sent: list[str] = []

    def count(*args: Any) -> None:
        sent.append(args[2])

    event.listen(session.get_bind(), "before_cursor_execute", count)
    try:
        with vectors.left_to_fill(session):  # as an import does: vectors are made later, by a job
            assert bulk_update.apply(session, saves, actor=IMPORT) == {}
    finally:
        event.remove(session.get_bind(), "before_cursor_execute", count)
        session.rollback()
    return len(sent)


def test_many_prepared_saves_take_as_many_statements_as_a_few(
    session: Session, make_service: Callable[..., Any]
) -> None:
    tag = unique("Statements")
    ids = [make_service(name=f"{tag} {n}").id for n in range(40)]
    session.commit()

    def described(some: list[int]) -> list[bulk_update.Prepared]:
        prepare = bulk_update.prepare
        made = [prepare(session, session.get(Service, i), {"description": f"Changed {i}"}, expected_version=1,
                        actor=IMPORT) for i in some]  # fmt: skip
        return [ready for ready in made if ready is not None]

    assert statements_for(session, described(ids)) == statements_for(session, described(ids[:4]))
    session.expire_all()
    assert {s.version for s in session.scalars(select(Service).where(Service.id.in_(ids)))} == {1}
