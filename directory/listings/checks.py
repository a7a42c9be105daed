"""A group's answer about its own listing, recorded as a check: still running (with its wait now), paused until a
date, running again, not taking new referrals, or stopped.

Groups may not set status or verification fields in an ordinary edit; an answer is the one way they do, and only
for their own listings (checked here). Each answer is one revision, so every step can be seen and restored.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from ..core import validation as v
from ..core.db import DbSession
from ..core.writes import Actor, NotFound
from ..models import Service, WaitingTimeReport
from . import operations

# The wait a group picks in one click: label -> the whole weeks stored (the middle of the range, so sorting and
# the longest-wait filter treat it fairly). "Not taking new referrals" is a capacity, not a wait.
WAIT_CHOICES = {
    "0": "No wait",
    "2": "Under a month",
    "8": "1 to 3 months",
    "18": "3 to 6 months",
    "30": "Over 6 months",
}


def check(
    session: DbSession,
    service_id: int,
    *,
    actor: Actor,
    at: datetime,
    how: str,
    action: str,
    changes: dict[str, Any] | None = None,
) -> Service:
    """Record that ``actor`` checked this listing at ``at`` (re-dating its verification), with any status or
    capacity ``changes`` the answer carries; one revision. A group actor may answer only for its own listings."""
    service = session.get(Service, service_id)
    if service is None:
        raise NotFound(f"There is no service {service_id}.")
    operations.permit_owner(actor, service)  # status and verification are the point of an answer
    trusted = Actor(label=actor.label, source=actor.source)
    values = {"last_verified_at": at.replace(microsecond=0), "verified_by": actor.label[:255], "verified_how": how}
    values.update(changes or {})
    result: Service = operations.update(
        session, "service", service_id, values, expected_version=service.version, actor=trusted, action=action
    )
    return result


def confirm_wait(session: DbSession, service_id: int, weeks: Any, *, actor: Actor, at: datetime) -> WaitingTimeReport:
    """The group confirms a wait (a new one, or the one shown, re-dated): a new report dated ``at``."""
    return operations.report_waiting_time(
        session, service_id, weeks, source="group" if actor.source == "group" else "link-worker", actor=actor,
        reported_at=at,
    )  # fmt: skip


def pause_changes(until: Any, *, today: date) -> dict[str, Any]:
    """What 'paused until [date]' writes; the date must be after today and within two years."""
    try:
        when = v.a_date(until)
    except ValueError as exc:
        raise v.ValidationFailed({"paused_until": str(exc)}) from None
    if when is None:
        raise v.ValidationFailed({"paused_until": "Give the date you expect to start again."})
    if when <= today or when > today + timedelta(days=730):
        raise v.ValidationFailed({"paused_until": "Give a date after today and within two years."})
    return {"status": "paused", "paused_until": when}


RUNNING_AGAIN = {"status": "active", "paused_until": None}
