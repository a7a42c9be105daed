"""Keeping the full-text index in step with every write to a service.

SQLite: the FTS5 table ``service_fts`` keyed by rowid = service id (porter stemming, accents folded).
PostgreSQL: the table ``service_fts`` (service_id, weighted tsvector, GIN index). Both are created by
migration 0002. Only ``operations`` and ``bulk_write`` write entries, inside the write's own transaction, so the
index never disagrees with a committed listing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from ..core.db import DbSession, refresh_statistics
from ..models import Service
from . import vectors
from .fts import fold_accents

FTS_TABLE = "service_fts"

_PG_UPSERT = text(
    "INSERT INTO service_fts (service_id, document) VALUES (:id, "
    "setweight(to_tsvector('english', :name), 'A') || setweight(to_tsvector('english', :categories), 'B') || "
    "setweight(to_tsvector('english', :organization), 'C') || "
    "setweight(to_tsvector('english', :description || ' ' || :extra), 'D')) "
    "ON CONFLICT (service_id) DO UPDATE SET document = EXCLUDED.document"
)
_SQLITE_DELETE = text("DELETE FROM service_fts WHERE rowid = :id")
_SQLITE_INSERT = text(
    "INSERT INTO service_fts(rowid, name, description, organization, categories, extra) "
    "VALUES (:id, :name, :description, :organization, :categories, :extra)"
)


_PG_DELETE = text("DELETE FROM service_fts WHERE service_id = :id")


def forget(session: DbSession, service_ids: list[int]) -> None:
    """Remove the entries of services that are being removed (an import's never-published listings)."""
    if service_ids:
        statement = _SQLITE_DELETE if uses_fts5(session) else _PG_DELETE if dialect(session) == "postgresql" else None
        if statement is not None:
            session.execute(statement, [{"id": i} for i in service_ids])


def dialect(session: DbSession) -> str:
    return str(session.get_bind().dialect.name)


def uses_fts5(session: DbSession) -> bool:
    return dialect(session) == "sqlite"


def _document(service: Service) -> dict[str, Any]:
    return {
        "id": service.id,
        "name": service.name,
        "description": service.description,
        "organization": service.organization.name if service.organization else "",
        "categories": " ".join(term.name for term in service.categories),
        "extra": service.eligibility_conditions,
    }


def refresh(session: DbSession, service: Service) -> None:
    """Replace one service's entry (archived services stay indexed; search filters them)."""
    vectors.refresh(session, service)  # its meaning, for search by meaning (nothing without the model)
    values = _document(service)
    if uses_fts5(session):
        session.execute(_SQLITE_DELETE, {"id": service.id})
        session.execute(_SQLITE_INSERT, values)
    elif dialect(session) == "postgresql":
        folded = {k: fold_accents(v) if isinstance(v, str) else v for k, v in values.items()}
        session.execute(_PG_UPSERT, folded)


def refresh_many(session: DbSession, services: list[Service]) -> None:
    """``refresh`` for many services, in two statements (their vectors one by one, as ``refresh``)."""
    for service in services:
        vectors.refresh(session, service)
    write_documents(session, [_document(service) for service in services])


def write_documents(session: DbSession, documents: list[dict[str, Any]]) -> None:
    """Replace the entries of many services (``_document``'s shape) in two statements."""
    if not documents:
        return
    if uses_fts5(session):
        session.execute(_SQLITE_DELETE, [{"id": d["id"]} for d in documents])
        session.execute(_SQLITE_INSERT, documents)
    elif dialect(session) == "postgresql":
        folded = [{k: fold_accents(x) if isinstance(x, str) else x for k, x in d.items()} for d in documents]
        session.execute(_PG_UPSERT, folded)


_SQLITE_REBUILD = text(
    "INSERT INTO service_fts(rowid, name, description, organization, categories, extra) "
    "SELECT s.id, s.name, s.description, o.name, COALESCE((SELECT group_concat(t.name, ' ') "
    "FROM service_taxonomy st JOIN taxonomy_term t ON t.id = st.taxonomy_term_id WHERE st.service_id = s.id), ''), "
    "s.eligibility_conditions FROM service s JOIN organization o ON o.id = s.organization_id"
)
_PG_DOCUMENTS = text(
    "SELECT s.id, s.name, s.description, o.name, COALESCE((SELECT string_agg(t.name, ' ') "
    "FROM service_taxonomy st JOIN taxonomy_term t ON t.id = st.taxonomy_term_id WHERE st.service_id = s.id), ''), "
    "s.eligibility_conditions FROM service s JOIN organization o ON o.id = s.organization_id"
)


def rebuild(session: DbSession) -> int:
    """Re-index every service in one statement (after a bulk load or a restore from backup)."""
    session.execute(text("DELETE FROM service_fts"))
    if uses_fts5(session):
        session.execute(_SQLITE_REBUILD)
    else:
        # Accents are folded in Python (PostgreSQL's unaccent extension is not assumed), in batches.
        rows = session.execute(_PG_DOCUMENTS).all()
        names = ("name", "description", "organization", "categories", "extra")
        batch = [{"id": r[0], **{k: fold_accents(v or "") for k, v in zip(names, r[1:], strict=True)}} for r in rows]
        for start in range(0, len(batch), 5_000):
            session.execute(_PG_UPSERT, batch[start : start + 5_000])
    refresh_statistics(session)  # a bulk load changes what the planner should know about every table
    return int(session.execute(text("SELECT count(*) FROM service_fts")).scalar() or 0)
