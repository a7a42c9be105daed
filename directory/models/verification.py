"""Verification: reminder emails, staff follow-ups (evidence a listing may be wrong) and contacts who opted out."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.clock import utcnow
from ..core.db import db
from .base import allowed

REMINDER_KINDS = ("freshness", "funding")
REMINDER_STATUSES = ("sending", "sent", "failed")
FOLLOW_UP_REASONS = {
    "no-reply": "No reply to reminders: phone the group",
    "group-stopped": "The group says it has stopped",
    "funding-ended": "Funding end date has passed",
    "no-email": "No email address or asked not to be emailed: phone the group",
    "reported-stopped": "A link worker reports it has stopped running",
    "details-wrong": "A link worker reports its details are wrong",
    "website-failed": "Its website did not answer (website check)",
    "no-future-events": "Its calendar has no future sessions (calendar import)",
    "source-removed": "The source it was imported from no longer publishes it (import)",
}
RESOLUTIONS = {"still-running": "Still running", "paused": "Paused", "closed": "Closed"}


class Reminder(db.Model):  # type: ignore[name-defined,misc]
    """One reminder email for one listing: which cycle (verification or funding date) and which step."""

    __tablename__ = "reminder"
    __table_args__ = (
        allowed("kind", REMINDER_KINDS),
        allowed("status", REMINDER_STATUSES),
        UniqueConstraint("service_id", "kind", "cycle", "sequence", name="uq_reminder_step"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    cycle: Mapped[str] = mapped_column(String(32))  # the verification time or funding end date it is about
    sequence: Mapped[int] = mapped_column(Integer)
    email: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default="sending")
    sent_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    error: Mapped[str] = mapped_column(Text, default="")


class FollowUp(db.Model):  # type: ignore[name-defined,misc]
    """A listing staff should check: no reply, the group says it stopped, funding ended. Never a deletion."""

    __tablename__ = "follow_up"
    __table_args__ = (
        allowed("reason", FOLLOW_UP_REASONS),
        # Queued once per listing, reason and cycle, even by two processes at once (each "we have stopped"
        # answer is kept as its own row: that is evidence, not a duplicate).
        db.Index(
            "uq_follow_up_once",
            "service_id",
            "reason",
            "cycle",
            unique=True,
            sqlite_where=text("reason != 'group-stopped'"),
            postgresql_where=text("reason != 'group-stopped'"),
        ),  # fmt: skip
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"), index=True)
    reason: Mapped[str] = mapped_column(String(16))
    cycle: Mapped[str] = mapped_column(String(32), default="")
    detail: Mapped[str] = mapped_column(Text, default="")
    reported_by: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    resolved_by: Mapped[str] = mapped_column(String(255), default="")
    resolution: Mapped[str] = mapped_column(String(16), default="")
    # Set while the evidence makes a closure likelier than not (verification/decay.py): search sinks the listing.
    sunk_at: Mapped[datetime | None] = mapped_column(DateTime)

    service = relationship("Service")


class ContactOptOut(db.Model):  # type: ignore[name-defined,misc]
    """An email address that asked not to be contacted; staff phone instead."""

    __tablename__ = "contact_opt_out"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
