"""A group's one-click answers to a reminder: still running (a verification), we have stopped (evidence for
staff), and stop emailing me."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..core import validation as v
from ..core import writes
from ..core.clock import utcnow
from ..core.db import DbSession
from ..groups import links as groups
from ..listings import operations
from ..models import Service
from ..models.groups import GroupToken
from ..models.verification import FollowUp
from .contacts import opt_out
from .follow_ups import queue_follow_up


def service_for_token(session: DbSession, token: str, kind: str, *, now: datetime | None = None) -> Service:
    """The listing a confirm/stopped link is about, or TokenRefused."""
    row = groups.find_token(session, token, kind, now=now)
    service = session.get(Service, row.service_id) if row.service_id else None
    if service is None or service.organization_id != row.organization_id:
        raise groups.TokenRefused("This link is not recognised. Ask us for a new one.", "unknown")
    return service


def confirm_still_running(session: DbSession, token: str, *, now: datetime | None = None) -> Service:
    """One click: the group says the listing is still running and correct; it counts as verified today."""
    now = now or utcnow()
    row = groups.find_token(session, token, "confirm", now=now)
    service = service_for_token(session, token, "confirm", now=now)
    actor = writes.Actor(label=f"group: {row.email}", source="group", organization_id=service.organization_id)
    row.used_at = now  # committed together with the confirmation below, or not at all
    return operations.confirm_verified(session, service.id, actor=actor, at=now)


def report_stopped(session: DbSession, token: str, note: Any, *, now: datetime | None = None) -> FollowUp:
    """The group says it has stopped: kept as evidence for staff to act on. The listing is not changed."""
    now = now or utcnow()
    row = groups.find_token(session, token, "stopped", now=now)
    service = service_for_token(session, token, "stopped", now=now)
    detail = v.text(2_000)(note) or "The group used the 'we have stopped' link."
    row.used_at = now
    follow_up = queue_follow_up(session, service.id, "group-stopped", detail=detail, reported_by=f"group: {row.email}")
    assert follow_up is not None
    return follow_up


def unsubscribe(session: DbSession, token: str, *, now: datetime | None = None) -> str:
    """Stop emailing the address this link was sent to; returns it."""
    row: GroupToken = groups.find_token(session, token, "unsubscribe", now=now)
    opt_out(session, row.email)
    return row.email
