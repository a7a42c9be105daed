"""The staleness job: every live listing counted by freshness, and those whose funding end date has passed
queued for staff."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select

from ..core.clock import utcnow
from ..core.db import DbSession
from ..listings.freshness import freshness
from ..models import Service
from ..models.verification import FollowUp
from .batches import LIVE_STATUSES, batch_size, id_batches
from .decay import decay_sweep
from .follow_ups import queue_follow_up


def staleness_sweep(
    session: DbSession, config: Mapping[str, Any], *, now: datetime | None = None, batch: int | None = None
) -> dict[str, int]:
    """The staleness job: count listings by freshness and queue those whose funding end date has passed; then
    decay and pauses (``decay.py``).

    Reads plain columns ``batch`` listings at a time (never whole listings), committing each batch.
    """
    now = now or utcnow()
    counts: Counter[str] = Counter()
    live = select(Service.id).where(Service.status.in_(LIVE_STATUSES))
    for ids in id_batches(session, live, batch_size(config, batch)):
        rows = session.execute(
            select(Service.id, Service.last_verified_at, Service.funded_until, Service.funder)
            .where(Service.id.in_(ids))
            .order_by(Service.id)
        ).all()
        ended_ids = [row.id for row in rows if row.funded_until is not None and row.funded_until < now.date()]
        queued = {
            (service_id, cycle)
            for service_id, cycle in session.execute(
                select(FollowUp.service_id, FollowUp.cycle).where(
                    FollowUp.service_id.in_(ended_ids), FollowUp.reason == "funding-ended"
                )
            )
        }
        for row in rows:
            counts[freshness(row.last_verified_at, config, now).state] += 1
            if row.funded_until is None or row.funded_until >= now.date():
                continue
            ended = row.funded_until
            if (row.id, ended.isoformat()) in queued:
                continue
            detail = f"Funding{' from ' + row.funder if row.funder else ''} ended on {ended:%-d %B %Y}."
            if queue_follow_up(session, row.id, "funding-ended", cycle=ended.isoformat(), detail=detail):
                counts["funding_ended_queued"] += 1
        session.commit()
    counts.update(decay_sweep(session, config, now=now))
    session.commit()
    return dict(counts)
