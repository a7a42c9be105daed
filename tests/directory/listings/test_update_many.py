"""operations.update_many: many saves through the write path together give what the same saves one at a time give
(versions, revisions, index entries, places, refusals), in a few statements rather than a few each."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from directory.core.validation import ValidationFailed
from directory.core.writes import Actor, NotFound, StaleEdit
from directory.listings import operations, search_index
from directory.listings.snapshots import service_snapshot
from directory.models import Location, Revision, Service
from tests.directory.imports.test_running import unique

pytestmark = pytest.mark.both_backends

IMPORT = Actor(label="import: a test feed", source="import")


def place(name: str) -> dict[str, Any]:
    return {"name": name, "address_1": "1 Church Street", "city": "Blackpool", "postcode": "FY1 1PX"}


def listings(make_service: Callable[..., Any], tag: str) -> list[int]:
    return [make_service(name=f"{tag} listing {n}", description="Knitting").id for n in range(7)]


def saves(ids: list[int], versions: dict[int, int], tag: str) -> list[operations.Change]:
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
    made = [operations.Change(i, versions.get(i, 1), changes) for i, changes in wanted]
    made[2] = operations.Change(ids[2], versions[ids[2]] - 1, wanted[2][1])  # opened before staff saved it
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
        "revisions": [(r.entity_type, r.entity_id, r.version, r.action, r.actor, r.source, r.before, r.after)
                      for r in revisions],  # fmt: skip
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
    versions = {i: 1 for i in ids} | {ids[2]: staff.version}
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

    refused = operations.update_many(session, saves(ids, versions, tag), actor=IMPORT)
    together = outcome(session, ids, since, tag)
    session.rollback()

    assert {n: f"{type(exc).__name__}: {exc}" for n, exc in refused.items()} == one_at_a_time
    assert sorted(refused) == [2, 3, 5]  # the conflict mid-batch, the bad value, the missing listing; the rest applied
    assert "changed by someone else (now version 2, you opened version 1)" in str(refused[2])
    assert together == expected
    assert together["places"] == 1 and together["versions"][ids[0]] == 2 and together["versions"][ids[3]] == 1
    assert [r[3] for r in together["revisions"] if r[1] != ids[2]] == ["update"] * 4
    assert together["snapshots"][ids[2]]["description"] == "Staff's change"  # never overwritten

