"""An item's history: every change to a backlog item is a ``BacklogEvent``, appended and never deleted."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..core.db import DbSession
from ..models import User
from ..models.backlog import BacklogEvent, BacklogItem


def record_event(session: DbSession, item: BacklogItem, user: User | None, kind: str, **values: Any) -> BacklogEvent:
    """Append an event to the item's history; no ``user`` means the system did it."""
    event = BacklogEvent(item_id=item.id, kind=kind, actor=user.email if user is not None else "system", **values)
    session.add(event)
    return event


def history(session: DbSession, item_id: int) -> list[BacklogEvent]:
    """Every event of the item, oldest first."""
    return list(session.scalars(select(BacklogEvent).where(BacklogEvent.item_id == item_id).order_by(BacklogEvent.id)))
