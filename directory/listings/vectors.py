"""Each service's meaning as a sentence embedding, for search to rank by meaning as well as words.

``refresh`` runs inside every write to a service (from ``search_index.refresh``), so a vector never
describes an older listing than the one committed; bulk loads leave vectors to ``fill_missing`` (the
``search-vectors`` command, and the ``search-vectors`` job, which runs after every scheduled import). A
vector made before its service's ``updated_at`` is out of date and made again. Nothing happens when the model
is not installed (``core/meaning.py``). Inside :func:`left_to_fill` a write drops the vector instead, for
``fill_missing`` to make again: an import publishing thousands of changes at once would otherwise hold the
database's write lock for the model's work too (most of each change's time).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import numpy as np
from sqlalchemy import delete, exists, insert, select

from ..core import meaning
from ..core.clock import utcnow
from ..core.db import DbSession
from ..models import Service, ServiceVector, TaxonomyTerm, service_taxonomy


def describe(name: str, categories: str, description: str) -> str:
    """The text a service's vector is made from: what it is, the needs it meets, what it does."""
    return f"{name}. {categories}. {description}"[:1000]


_LEFT_TO_FILL: ContextVar[set[int] | None] = ContextVar("vectors_left_to_fill", default=None)


@contextmanager
def left_to_fill(session: DbSession) -> Iterator[None]:
    """Within it, written services' vectors are dropped (together, at the end: never left stale), and
    ``fill_missing`` makes them later."""
    written: set[int] = set()
    token = _LEFT_TO_FILL.set(written)
    try:
        yield
    finally:
        _LEFT_TO_FILL.reset(token)
    for piece in range(0, len(written), 500):
        ids = sorted(written)[piece : piece + 500]
        session.execute(delete(ServiceVector).where(ServiceVector.service_id.in_(ids)))


def refresh(session: DbSession, service: Service) -> None:
    """Replace one service's vector (dropped when the model is not installed, or inside :func:`left_to_fill`, so
    none goes stale)."""
    left = _LEFT_TO_FILL.get()
    if left is not None:
        left.add(service.id)
        return
    if not meaning.installed():
        session.execute(delete(ServiceVector).where(ServiceVector.service_id == service.id))
        return
    text = describe(service.name, ", ".join(t.name for t in service.categories), service.description or "")
    vector = meaning.to_bytes(meaning.embed([text])[0])
    session.merge(ServiceVector(service_id=service.id, model=meaning.MODEL_ID, vector=vector, made_at=utcnow()))


def refresh_ids(session: DbSession, service_ids: list[int]) -> None:
    """Services changed without being loaded (``bulk_update.apply``): their vectors are dropped (inside
    :func:`left_to_fill`, together at its end), never left stale, and ``fill_missing`` makes them again."""
    left = _LEFT_TO_FILL.get()
    if left is not None:
        left.update(service_ids)
        return
    for piece in range(0, len(service_ids), 500):
        ids = service_ids[piece : piece + 500]
        session.execute(delete(ServiceVector).where(ServiceVector.service_id.in_(ids)))


def due(session: DbSession, limit: int | None = None, after: int = 0) -> list[tuple[int, str, str | None]]:
    """(id, name, description) of services (id above ``after``) whose vector is missing, from another model, or
    made before the service last changed."""
    current = exists().where(
        ServiceVector.service_id == Service.id,
        ServiceVector.model == meaning.MODEL_ID,
        ServiceVector.made_at.is_not(None),
        ServiceVector.made_at >= Service.updated_at,
    )
    statement = (
        select(Service.id, Service.name, Service.description).where(~current, Service.id > after).order_by(Service.id)
    )
    return [(r[0], r[1], r[2]) for r in session.execute(statement.limit(limit) if limit else statement)]


def fill_missing(
    session: DbSession,
    batch: int = 512,
    progress: Callable[[int], object] | None = None,
    each_batch: Callable[[], object] | None = None,
) -> int:
    """Work out the vectors that are missing, from another model or out of date, a batch at a time; returns
    how many. ``each_batch`` runs after each (the job commits there, so a long fill keeps what it did); the
    caller commits the rest."""
    done = last = 0
    while True:
        made_at = utcnow()  # before reading: a change saved meanwhile leaves this vector out of date
        rows = due(session, batch, after=last)  # one pass in id order, so a batch is never made twice
        if not rows:
            return done
        ids = [r[0] for r in rows]
        last = ids[-1]
        needs: dict[int, list[str]] = {}
        for service_id, name in session.execute(
            select(service_taxonomy.c.service_id, TaxonomyTerm.name)
            .join(TaxonomyTerm, TaxonomyTerm.id == service_taxonomy.c.taxonomy_term_id)
            .where(service_taxonomy.c.service_id.in_(ids))
        ):
            needs.setdefault(service_id, []).append(name)
        vectors = meaning.embed([describe(r[1], ", ".join(needs.get(r[0], [])), r[2] or "") for r in rows])
        session.execute(delete(ServiceVector).where(ServiceVector.service_id.in_(ids)))
        # Plain inserts, not ORM objects: a session holding 100,000 of them slows every later batch.
        session.execute(
            insert(ServiceVector),
            [
                {"service_id": i, "model": meaning.MODEL_ID, "vector": meaning.to_bytes(v), "made_at": made_at}
                for i, v in zip(ids, vectors, strict=True)
            ],
        )
        done += len(rows)
        if progress is not None:
            progress(len(rows))
        if each_batch is not None:
            each_batch()


def similarities(session: DbSession, ids: Collection[int], query_vector: np.ndarray) -> dict[int, float]:
    """Service id -> cosine similarity to the query, for the given services that have a vector."""
    if not ids:
        return {}
    rows = session.execute(
        select(ServiceVector.service_id, ServiceVector.vector).where(
            ServiceVector.service_id.in_(list(ids)), ServiceVector.model == meaning.MODEL_ID
        )
    ).all()
    if not rows:
        return {}
    matrix = np.vstack([meaning.from_bytes(r[1]) for r in rows])
    scores = matrix @ query_vector
    return {int(r[0]): float(s) for r, s in zip(rows, scores, strict=True)}
