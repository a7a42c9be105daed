"""Changing many listings at once: ``operations.update`` for a batch, with the same guarantees.

An import's run publishes its changes to listings already public in one short transaction, which holds SQLite's
only write lock: one at a time (a load, a flush, a revision and an index refresh each, ~2.4 ms) 2,000 changes held
it for seconds, and a staff save waited that long. Here a batch is written with a few statements, and nothing of
the write path is given up: each save is checked by ``operations.check_save`` (who may make it, the version it was
made to, its values, the rules); a refused one is returned by its place in the batch and changes nothing; each
applied one moves its listing's version by one, with its UPDATE still checking the version it was made to, and gets
one revision (before and after, who, when, source) and its search-index entry. Two ways in:

- :func:`update_many`: loads the listings and applies any change (places, sessions and categories too), with one
  flush for the batch rather than one a save;
- :func:`prepare` then :func:`apply`: a save of plain fields is checked and worked out (its revision's before and
  after, its index entry) while the listing is at hand, outside the publishing transaction, and later applied
  without loading anything: the listings' versions read in one query, the rows changed by one executemany UPDATE
  per set of fields, the revisions and index entries in three statements. A listing whose version has moved since
  it was prepared is refused as a conflict (every write to it moves the version), so what was prepared is still
  true, but for what other writes share: the organisation's name is read again for the index entry, and a place
  shared with another listing keeps, in the revision, the accessibility the run read.

Nothing here commits. A fault that is not a refusal (the database refusing a statement, a listing changed at the
same moment by another transaction) raises, and the caller rolls the batch back.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.orm.util import identity_key

from ..core import validation as v
from ..core.clock import utcnow
from ..core.db import DbSession
from ..core.writes import Actor, NotFound, NotPermitted, StaleEdit
from ..models import Organization, Revision, Service
from . import operations, search_index, vectors
from .snapshots import SERVICE_SCALARS, Places, _plain, apply_service, service_snapshot

Refused = StaleEdit | NotFound | NotPermitted | v.ValidationFailed | ValueError
REFUSALS = (StaleEdit, NotFound, NotPermitted, v.ValidationFailed, ValueError)
# What a service's snapshot, index entry and latest wait read, loaded for a batch at once.
BATCH_LOAD = tuple(
    selectinload(relation)
    for relation in (Service.organization, Service.categories, Service.locations, Service.service_areas,
                     Service.schedules, Service.contacts, Service.waiting_times)
)  # fmt: skip
# Fields a prepared save may change: the listing's own columns, but not its organisation (its index entry holds the
# organisation's name). Places, sessions, contacts, areas and categories go through ``update_many``.
PLAIN = frozenset(SERVICE_SCALARS) - {"organization_id"}
PIECE = 500  # ids per IN (...) lookup


@dataclass(frozen=True)
class Change:
    """One save of ``update_many``: a service's changes, made to it as seen at ``expected_version``."""

    service_id: int
    expected_version: int
    changes: dict[str, Any]


@dataclass(frozen=True)
class Prepared:
    """A save checked and worked out by :func:`prepare`, for :func:`apply`."""

    service_id: int
    version: int  # the version it was checked against; applied only if the listing is still at it
    values: dict[str, Any]  # cleaned column values
    before: dict[str, Any]
    after: dict[str, Any]
    document: dict[str, Any]  # its search-index entry afterwards


def load_many(session: DbSession, ids: Sequence[int]) -> dict[int, Service]:
    """The services, with what their snapshots, index entries and latest waits read, in a query or two a few
    hundred (none for those the session holds already)."""
    found: dict[int, Service] = {}
    for start in range(0, len(ids), PIECE):
        piece = []
        for service_id in ids[start : start + PIECE]:
            held = session.identity_map.get(identity_key(Service, service_id))
            if isinstance(held, Service):
                found[service_id] = held
            else:
                piece.append(service_id)
        if piece:
            query = select(Service).where(Service.id.in_(piece)).options(*BATCH_LOAD)
            found.update((service.id, service) for service in session.scalars(query))
    return found


def update_many(
    session: DbSession, saves: Sequence[Change], *, actor: Actor, action: str = "update"
) -> dict[int, Refused]:
    """Apply ``saves`` as ``operations.update`` would one by one; the refused ones by their place in ``saves``."""
    found = load_many(session, sorted({save.service_id for save in saves}))
    refused: dict[int, Refused] = {}
    accepted: list[tuple[Service, dict[str, Any], dict[str, Any]]] = []
    saved: set[int] = set()
    for place, save in enumerate(saves):
        service = found.get(save.service_id)
        try:
            if service is None:
                raise NotFound(f"There is no service with id {save.service_id}.")
            if service.id in saved:
                raise StaleEdit("This service is saved twice in one batch: save it again on its own.")
            cleaned = operations.check_save(session, service, save.changes, expected_version=save.expected_version,
                                            actor=actor)  # fmt: skip
        except REFUSALS as exc:
            refused[place] = exc
            continue
        saved.add(service.id)
        accepted.append((service, cleaned, service_snapshot(service)))
    places: Places = {}
    with session.no_autoflush:  # one flush for the batch, so each version moves by exactly one
        for service, cleaned, _ in accepted:
            apply_service(session, service, cleaned, places)
            service.updated_at = utcnow()
    try:
        session.flush()
    except StaleDataError as exc:
        raise StaleEdit("A listing was saved by someone else at the same moment.") from exc
    _revisions(session, [(s.id, s.version, before, service_snapshot(s)) for s, _, before in accepted], actor, action)
    search_index.refresh_many(session, [service for service, _, _ in accepted])
    return refused


def prepare(
    session: DbSession, service: Service, changes: dict[str, Any], *, expected_version: int, actor: Actor
) -> Prepared | None:
    """Check a save to ``service`` as ``operations.update`` checks it (raising its refusal) and work out what it
    writes, writing nothing. None when it changes more than plain fields: ``update_many`` applies that."""
    cleaned = operations.check_save(session, service, changes, expected_version=expected_version, actor=actor)
    if not set(cleaned) <= PLAIN:
        return None
    before = service_snapshot(service)
    after = {**before, **{name: _plain(value) for name, value in cleaned.items()}}
    document = search_index._document(service)
    document.update({key: cleaned[name] for key, name in _INDEXED.items() if name in cleaned})
    return Prepared(service.id, expected_version, cleaned, before, after, document)


_INDEXED = {"name": "name", "description": "description", "extra": "eligibility_conditions"}


def apply(session: DbSession, saves: Sequence[Prepared], *, actor: Actor, action: str = "update") -> dict[int, Refused]:
    """Apply prepared saves; the refused ones (a listing gone, or changed since it was prepared) by their place."""
    ids = sorted({save.service_id for save in saves})
    versions: dict[int, int] = {}
    organisations: dict[int, str] = {}  # renaming an organisation does not move its listings' versions: read now
    for start in range(0, len(ids), PIECE):
        # Locked until the caller commits (PostgreSQL; SQLite's one writer holds them already): no save gets between.
        query = (
            select(Service.id, Service.version, Organization.name)
            .join(Organization, Organization.id == Service.organization_id)
            .where(Service.id.in_(ids[start : start + PIECE]))
            .with_for_update(of=Service)
        )
        for i, version, name in session.execute(query):
            versions[int(i)], organisations[int(i)] = int(version), str(name)
    refused: dict[int, Refused] = {}
    ready: list[Prepared] = []
    for place, save in enumerate(saves):
        now = versions.pop(save.service_id, None)  # popped: a listing saved twice in a batch is refused the second time
        if now is None:
            refused[place] = NotFound(f"There is no service with id {save.service_id} (or it is saved twice).")
        elif now != save.version:
            refused[place] = operations.stale(now, save.version)
        else:
            ready.append(save)
    _write_rows(session, ready, utcnow())
    _revisions(session, [(s.service_id, s.version + 1, s.before, s.after) for s in ready], actor, action)
    documents = [{**save.document, "organization": organisations[save.service_id]} for save in ready]
    search_index.write_documents(session, documents)
    vectors.refresh_ids(session, [save.service_id for save in ready])
    for save in ready:  # the session's copies, if it holds any, are out of date now
        held = session.identity_map.get(identity_key(Service, save.service_id))
        if held is not None:
            session.expire(held)
    return refused


def _write_rows(session: DbSession, ready: list[Prepared], now: datetime) -> None:
    """One executemany UPDATE per set of fields changed, each row still checked against the version it was made to
    (so a save made at the same moment by another transaction is never overwritten: the batch is refused)."""
    table: Table = Service.__table__
    by_fields: dict[tuple[str, ...], list[Prepared]] = defaultdict(list)
    for save in ready:
        by_fields[tuple(sorted(save.values))].append(save)
    for names, group in by_fields.items():
        statement = (
            update(table)
            .where(table.c.id == bindparam("p_id"), table.c.version == bindparam("p_version"))
            .values({**{name: bindparam(f"v_{name}", type_=table.c[name].type) for name in names},
                     "version": bindparam("p_next", type_=table.c.version.type),
                     "updated_at": bindparam("p_now", type_=table.c.updated_at.type)})
        )  # fmt: skip
        rows = [
            {**{f"v_{name}": save.values[name] for name in names}, "p_id": save.service_id,
             "p_version": save.version, "p_next": save.version + 1, "p_now": now}
            for save in group
        ]  # fmt: skip
        result = session.execute(statement, rows)
        sane = session.get_bind().dialect.supports_sane_multi_rowcount
        if sane and result.rowcount != len(rows):  # type: ignore[attr-defined]
            raise StaleEdit("A listing was saved by someone else at the same moment.")


def _revisions(
    session: DbSession, rows: list[tuple[int, int, dict[str, Any], dict[str, Any]]], actor: Actor, action: str
) -> None:
    if rows:
        at = utcnow()
        session.execute(insert(Revision), [
            {"entity_type": "service", "entity_id": entity_id, "version": version, "action": action,
             "actor": actor.label, "source": actor.source, "created_at": at, "before": before, "after": after}
            for entity_id, version, before, after in rows
        ])  # fmt: skip
