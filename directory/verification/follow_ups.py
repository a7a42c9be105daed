"""Staff follow-ups: evidence that a listing may be wrong (no reply, the group says it stopped, funding ended,
a link worker's report, an importer's evidence), queued once per reason and cycle, and resolved by staff through
the write path. Nothing is ever deleted."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..core import validation as v
from ..core import writes
from ..core.clock import utcnow
from ..core.db import DbSession
from ..core.personal_data import record_override, screen_or_refuse
from ..listings import operations
from ..models import Service
from ..models.verification import FOLLOW_UP_REASONS, RESOLUTIONS, FollowUp


def queue_follow_up(
    session: DbSession, service_id: int, reason: str, *, cycle: str = "", detail: str = "", reported_by: str = ""
) -> FollowUp | None:
    """Queue a listing for staff, once per reason and cycle; returns None when it was already queued.

    "Once" holds across processes: the insert does nothing when the row exists (a unique index), so two
    schedulers, or a run and a re-run, never queue the same follow-up twice.
    """
    values = {
        "service_id": service_id, "reason": reason, "cycle": cycle, "detail": detail,
        "reported_by": reported_by[:255], "created_at": utcnow(),
    }  # fmt: skip
    if reason == "group-stopped":  # every answer is kept: each is evidence
        row = FollowUp(**values)
        session.add(row)
        session.flush()
        return row
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    new_id = session.execute(insert(FollowUp).values(**values).on_conflict_do_nothing().returning(FollowUp.id)).scalar()
    return None if new_id is None else session.get_one(FollowUp, new_id)


# What a link worker can report from a listing; each becomes a follow-up for staff, never a change.
LISTING_REPORTS = ("reported-stopped", "details-wrong")


def report_from_listing(
    session: DbSession, service_id: int, reason: str, note: Any, *, reported_by: str, override: bool = False,
    user_id: int | None = None,
) -> FollowUp:  # fmt: skip
    """A link worker says a listing has stopped or is wrong: queued for staff to check; the listing is unchanged.
    The note passes the personal-data guard (``PersonalDataFound`` unless ``override``; then saved masked)."""
    service = session.get(Service, service_id)
    if service is None:
        raise writes.NotFound(f"There is no service {service_id}.")
    if reason not in LISTING_REPORTS:
        raise v.ValidationFailed({"reason": f"{reason!r} is not one of: {', '.join(LISTING_REPORTS)}."})
    screened = screen_or_refuse(v.text(500)(note), override=override, field_name="note")
    detail = screened.text or FOLLOW_UP_REASONS[reason]
    # One open report per reason per day is enough for staff to act on.
    follow_up = queue_follow_up(session, service.id, reason, cycle=utcnow().date().isoformat(), detail=detail,
                           reported_by=reported_by)  # fmt: skip
    if follow_up is not None:
        record_override(session, screened, field="follow_up.detail", record_id=follow_up.id, user_id=user_id,
                        by=reported_by)  # fmt: skip
    if follow_up is None:
        existing = session.scalars(
            select(FollowUp).where(FollowUp.service_id == service_id, FollowUp.reason == reason)
            .order_by(FollowUp.id.desc())
        ).first()  # fmt: skip
        assert existing is not None
        return existing
    return follow_up


def follow_up_evidence(session: DbSession, service_id: int, kind: str, detail: str, *, reported_by: str) -> None:
    """Evidence from an importer that a listing may have closed joins staff's follow-up queue (once a day)."""
    service = session.get(Service, service_id)
    if service is not None and kind in FOLLOW_UP_REASONS:
        queue_follow_up(session, service.id, kind, cycle=utcnow().date().isoformat(), detail=detail[:2000],
                   reported_by=reported_by)  # fmt: skip


def open_follow_ups(session: DbSession) -> list[FollowUp]:
    return list(session.scalars(select(FollowUp).where(FollowUp.resolved_at.is_(None)).order_by(FollowUp.created_at)))


def resolve_follow_up(
    session: DbSession, follow_up_id: int, resolution: str, *, staff: writes.Actor, note: Any = "",
    override: bool = False, user_id: int | None = None,
) -> FollowUp:  # fmt: skip
    """Staff checked: still running (verified now, by phone), paused or closed. Written through operations.
    The outcome note passes the personal-data guard (``PersonalDataFound`` unless ``override``)."""
    follow_up = session.get(FollowUp, follow_up_id)
    if follow_up is None:
        raise writes.NotFound(f"There is no follow-up {follow_up_id}.")
    if follow_up.resolved_at is not None:
        raise writes.NotPermitted(f"Follow-up {follow_up_id} was already resolved by {follow_up.resolved_by}.")
    if resolution not in RESOLUTIONS:
        raise v.ValidationFailed({"resolution": f"Choose one of: {', '.join(RESOLUTIONS)}."})
    screened = screen_or_refuse(v.text(2_000)(note), override=override, field_name="note")
    service = follow_up.service
    now = utcnow().replace(microsecond=0)
    changes: dict[str, Any] = {"last_verified_at": now, "verified_by": staff.label, "verified_how": "phone"}
    if resolution == "still-running":
        changes["status"] = "active"
    else:
        changes["status"] = resolution
    operations.update(
        session, "service", service.id, changes, expected_version=service.version, actor=staff,
        action=f"follow-up: {RESOLUTIONS[resolution].lower()}",
    )  # fmt: skip
    follow_up.resolved_at, follow_up.resolved_by, follow_up.resolution = utcnow(), staff.label[:255], resolution
    if screened.text:
        follow_up.detail = f"{follow_up.detail}\nStaff: {screened.text}".strip()
    record_override(session, screened, field="follow_up.detail", record_id=follow_up.id, user_id=user_id,
                    by=staff.label)  # fmt: skip
    return follow_up


def follow_up_counts(session: DbSession) -> dict[str, int]:
    rows = session.execute(
        select(FollowUp.reason, func.count()).where(FollowUp.resolved_at.is_(None)).group_by(FollowUp.reason)
    ).all()
    return {str(reason): int(count) for reason, count in rows}
