"""Evidence acts at once, honestly labelled and reversibly.

- A group's "we have stopped" takes its listing out of default results at once (status closed, one revision,
  labelled "reported closed by the group"); the follow-up stays open so staff confirm it or restore it in one click.
- A link worker's closure report shows a warning on the listing and sinks it at once (``search/evidence.py`` reads
  the open report); two independent reports, or a report while reminders go unanswered, take it out of default
  results (status closed, one revision naming the evidence).
- A group's answer through a reminder or its edit link clears the no-reply evidence it answers.

Nothing is deleted: every step is a revision, and resolving the follow-up as "still running" restores the listing.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import select

from ..core import validation as v
from ..core.clock import utcnow
from ..core.db import DbSession
from ..core.personal_data import record_override, screen_or_refuse
from ..core.writes import Actor, NotFound
from ..listings import operations
from ..models import Service
from ..models.verification import FOLLOW_UP_REASONS, FollowUp, Reminder
from .follow_ups import queue_follow_up

EVIDENCE = Actor(label="directory: evidence", source="system")
UNANSWERED = ("no-reply", "no-email")
# Evidence a group's own answer (still running, paused, running again) settles: its silence, and a link worker's
# closure report made before it (the group itself says it runs; the report stays as history).
ANSWERED_BY_GROUP = ("no-reply", "no-email", "reported-stopped")


def _open(session: DbSession, service_id: int, reasons: tuple[str, ...]) -> list[FollowUp]:
    return list(
        session.scalars(
            select(FollowUp)
            .where(FollowUp.service_id == service_id, FollowUp.reason.in_(reasons), FollowUp.resolved_at.is_(None))
            .order_by(FollowUp.id)
        )
    )


def take_out(session: DbSession, service: Service, action: str, *, actor: Actor = EVIDENCE) -> Service:
    """Out of default results at once (status closed), as one revision whose action names the evidence."""
    if service.status == "closed":
        return service
    result: Service = operations.update(
        session, "service", service.id, {"status": "closed", "paused_until": None}, expected_version=service.version,
        actor=actor, action=action[:32],
    )  # fmt: skip
    return result


def unanswered_reminders(session: DbSession, service: Service) -> int:
    """Reminders sent since the listing was last checked (none of them answered, or it would have been re-dated)."""
    since = service.last_verified_at or service.created_at
    return len(
        session.scalars(
            select(Reminder.id).where(
                Reminder.service_id == service.id, Reminder.status == "sent", Reminder.sent_at >= since
            )
        ).all()
    )


def report_closed(
    session: DbSession, service_id: int, note: Any, *, reported_by: str, override: bool = False,
    user_id: int | None = None,
) -> FollowUp:  # fmt: skip
    """A link worker says the listing has stopped: one follow-up per reporter per day (so independent reports
    count apart), then :func:`after_link_worker_report` decides whether it sinks or leaves default results.

    The note passes the personal-data guard: ``PersonalDataFound`` unless ``override``, and then it is
    saved masked and the override recorded."""
    if session.get(Service, service_id) is None:
        raise NotFound(f"There is no service {service_id}.")
    screened = screen_or_refuse(v.text(500)(note), override=override, field_name="note")
    reporter = hashlib.sha256(reported_by.encode()).hexdigest()[:8]
    cycle = f"{utcnow().date().isoformat()}:{reporter}"
    detail = screened.text or FOLLOW_UP_REASONS["reported-stopped"]
    queued = queue_follow_up(session, service_id, "reported-stopped", cycle=cycle, detail=detail,
                             reported_by=reported_by)  # fmt: skip
    if queued is not None:
        record_override(session, screened, field="follow_up.detail", record_id=queued.id, user_id=user_id,
                        by=reported_by)  # fmt: skip
        return queued
    return session.scalars(
        select(FollowUp).where(
            FollowUp.service_id == service_id, FollowUp.reason == "reported-stopped", FollowUp.cycle == cycle
        )
    ).one()


def after_link_worker_report(session: DbSession, service_id: int) -> bool:
    """A link worker reported the listing closed: hide it when the evidence is independent or corroborated.

    Two reports from different people, or one report while reminders go unanswered, take it out of default
    results; one report alone only sinks it with a warning (read by search). Returns True when it was taken out.
    """
    service = session.get_one(Service, service_id)
    reports = _open(session, service_id, ("reported-stopped",))
    reporters = {r.reported_by for r in reports}
    if not reports or service.status == "closed":
        return False
    if len(reporters) >= 2:
        take_out(session, service, "hidden: 2 link-worker reports")
        return True
    if _open(session, service_id, UNANSWERED) or unanswered_reminders(session, service) > 0:
        take_out(session, service, "hidden: report + no reply")
        return True
    return False


def settle_answered(session: DbSession, service_id: int, *, by: str, resolution: str = "still-running") -> int:
    """A group answered: the no-reply evidence is settled without a call (kept, marked resolved by the group)."""
    rows = _open(session, service_id, ANSWERED_BY_GROUP)
    now = utcnow()
    for row in rows:
        row.resolved_at, row.resolved_by, row.resolution = now, f"{by} (answered)"[:255], resolution
    return len(rows)


def open_reason_since(session: DbSession, service_id: int, reason: str) -> datetime | None:
    """When the oldest open follow-up for ``reason`` was queued, or None."""
    rows = _open(session, service_id, (reason,))
    return rows[0].created_at if rows else None


def settle_siblings(session: DbSession, follow_up: FollowUp) -> int:
    """Staff resolved one follow-up by checking the listing: its other open follow-ups are settled by that check."""
    rows = _open(session, follow_up.service_id, tuple(FOLLOW_UP_REASONS))
    for row in rows:
        if row.id != follow_up.id:
            row.resolved_at, row.resolved_by, row.resolution = (
                follow_up.resolved_at,
                follow_up.resolved_by,
                (follow_up.resolution),
            )
    return len(rows) - 1
