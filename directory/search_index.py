"""Keeping the full-text index in step with every write to a service.

On SQLite the index is the FTS5 table ``service_fts`` (created by migration 0002), keyed by the
service id. Only ``operations`` calls ``refresh``, inside the same transaction as the write, so
the index can never disagree with a committed listing.
"""

from __future__ import annotations

from sqlalchemy import select, text

from .db import DbSession
from .models import Service

FTS_TABLE = "service_fts"


def uses_fts5(session: DbSession) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def refresh(session: DbSession, service: Service) -> None:
    """Replace one service's row in the index (archived services stay indexed; search filters them)."""
    if not uses_fts5(session):
        return
    session.execute(text(f"DELETE FROM {FTS_TABLE} WHERE rowid = :id"), {"id": service.id})  # noqa: S608 - constant
    session.execute(
        text(
            f"INSERT INTO {FTS_TABLE}(rowid, name, description, organization, categories, extra) "  # noqa: S608
            "VALUES (:id, :name, :description, :organization, :categories, :extra)"
        ),
        {
            "id": service.id,
            "name": service.name,
            "description": service.description,
            "organization": service.organization.name if service.organization else "",
            "categories": " ".join(term.name for term in service.categories),
            "extra": service.eligibility_conditions,
        },
    )


def rebuild(session: DbSession) -> int:
    """Re-index every service (after a bulk load or a restore from backup)."""
    if not uses_fts5(session):
        return 0
    session.execute(text(f"DELETE FROM {FTS_TABLE}"))  # noqa: S608 - constant
    count = 0
    for service in session.scalars(select(Service)):
        refresh(session, service)
        count += 1
    session.commit()
    return count
