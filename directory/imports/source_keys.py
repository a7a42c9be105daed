"""A source's keys (``ExternalRecord``): which listing and organisation each of its ids became, with the checksum of
what it last said and the run that last gave it.

The record writer reads a chunk's keys in one query a few hundred ids and writes them back in two statements.
"""

from __future__ import annotations

from sqlalchemy import insert, select, update

from scrapers import ServiceRecord

from ..core.clock import utcnow
from ..core.db import DbSession
from ..listings import bulk_write
from ..models.imports import ExternalRecord

Key = tuple[str, str]  # (entity type, the source's id for it)
Link = tuple[int | None, int, str]  # (external_record row id or None when new, entity id, checksum)


def read_links(
    session: DbSession, source_id: int, run_id: int, records: list[tuple[int, ServiceRecord]]
) -> tuple[dict[Key, Link], set[str]]:
    """The source's keys for the chunk's services and organisations, in one query a few hundred; and the ids
    of the chunk's services already met in this run."""
    ids = {record.external_id for _, record in records}
    ids |= {r.organisation.external_id for _, r in records if r.organisation and r.organisation.external_id}
    found: dict[Key, Link] = {}
    met: set[str] = set()
    for piece in bulk_write.in_pieces(sorted(ids)):
        query = select(
            ExternalRecord.id,
            ExternalRecord.entity_type,
            ExternalRecord.external_id,
            ExternalRecord.entity_id,
            ExternalRecord.checksum,
            ExternalRecord.last_run_id,
        ).where(
            # All three key columns, so the lookup uses the key's index rather than every key of the source.
            ExternalRecord.source_id == source_id,
            ExternalRecord.entity_type.in_(("service", "organization")),
            ExternalRecord.external_id.in_(piece),
        )
        for row, kind, external, entity, checksum, last_run_id in session.execute(query):
            found[(kind, external)] = (row, entity, checksum)
            if kind == "service" and last_run_id == run_id:
                met.add(external)
    return found, met


def save_links(session: DbSession, source_id: int, run_id: int, keys: dict[Key, Link]) -> None:
    """Write keys in two statements: new ones inserted, known ones brought up to date (the caller commits)."""
    now = utcnow()
    new, seen = [], []
    for (kind, external_id), (row, entity_id, checksum) in keys.items():
        values = {"entity_id": entity_id, "checksum": checksum, "fetched_at": now, "last_run_id": run_id}
        if row is None:
            new.append({"source_id": source_id, "entity_type": kind, "external_id": external_id, **values})
        else:
            seen.append({"id": row, **values})
    if new:
        session.execute(insert(ExternalRecord), new)
    if seen:
        session.execute(update(ExternalRecord), seen)
