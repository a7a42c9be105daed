"""Each service's meaning vector is kept in step by the one write path, and filled after bulk loads."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from sqlalchemy import delete, select, update

from directory.core import meaning
from directory.core.clock import utcnow
from directory.listings import operations, vectors
from directory.models import Service, ServiceVector
from tests.conftest import STAFF

pytestmark = [
    pytest.mark.both_backends,
    pytest.mark.skipif(not meaning.installed() and not __import__("os").environ.get("CI"), reason="no meaning extra"),
]


def _vector(session: Any, service_id: int) -> np.ndarray:
    row = session.scalar(select(ServiceVector.vector).where(ServiceVector.service_id == service_id))
    assert row is not None
    return meaning.from_bytes(row)


def test_a_write_replaces_the_vector_in_its_own_transaction(session: Any, make_service: Any) -> None:
    service = make_service(name="Knit and natter", description="Knitting and a chat.")
    before = _vector(session, service.id)
    money = meaning.embed(["help with debt and money"])[0]
    operations.update(session, "service", service.id, {"name": "Money advice", "description": "Debt help."},
                      expected_version=service.version, actor=STAFF)  # fmt: skip
    session.commit()
    after = _vector(session, service.id)
    assert float(after @ money) > float(before @ money)


def test_missing_vectors_are_filled_in_batches(session: Any, make_service: Any) -> None:
    ids = [make_service(name=f"Walking group {n}").id for n in range(3)]
    session.execute(delete(ServiceVector).where(ServiceVector.service_id.in_(ids)))
    session.commit()
    assert vectors.fill_missing(session, batch=2) >= 3
    session.commit()
    near = vectors.similarities(session, ids, meaning.embed(["a walk with others"])[0])
    assert set(near) == set(ids) and all(score > 0.2 for score in near.values())


def test_a_vector_older_than_its_listing_is_made_again(session: Any, make_service: Any) -> None:
    service = make_service(name="Knit and natter", description="Knitting and a chat.")
    session.commit()
    assert service.id not in {r[0] for r in vectors.due(session)}
    # A bulk write changes the listing without the write path (as an import's batched statements may).
    session.execute(
        update(Service)
        .where(Service.id == service.id)
        .values(name="Money advice", description="Debt help.", updated_at=utcnow())
    )
    session.commit()
    assert service.id in {r[0] for r in vectors.due(session)}
    money = meaning.embed(["help with debt and money"])[0]
    before = float(_vector(session, service.id) @ money)
    assert vectors.fill_missing(session) >= 1
    session.commit()
    assert float(_vector(session, service.id) @ money) > before
    assert service.id not in {r[0] for r in vectors.due(session)}


def test_writes_inside_left_to_fill_drop_the_vector_for_the_job_to_make(session: Any, make_service: Any) -> None:
    """An import's publishing transaction leaves the model's work to the search-vectors job: no stale vector."""
    service = make_service(name="Knit and natter", description="Knitting and a chat.")
    with vectors.left_to_fill(session):
        operations.update(session, "service", service.id, {"name": "Money advice", "description": "Debt help."},
                          expected_version=service.version, actor=STAFF)  # fmt: skip
    session.commit()
    assert session.scalar(select(ServiceVector).where(ServiceVector.service_id == service.id)) is None
    assert service.id in {r[0] for r in vectors.due(session)}
    vectors.fill_missing(session)
    session.commit()
    assert float(_vector(session, service.id) @ meaning.embed(["help with debt and money"])[0]) > 0.2
