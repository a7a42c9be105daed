"""Models for: Group self-service, freshness reminders and scheduled jobs (issue 6)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    Unicode,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .clock import utcnow
from .db import db

TOKEN_KINDS = {
    "edit": "Edit link: signs a group contact in for one organisation",
    "confirm": "Confirm a listing is still running",
    "stopped": "Tell us a listing has stopped",
    "unsubscribe": "Ask not to be contacted by email",
}
CHANGE_STATUSES = ("pending", "approved", "rejected")
CLAIM_STATUSES = ("pending", "approved", "declined")
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
}
RESOLUTIONS = {"still-running": "Still running", "paused": "Paused", "closed": "Closed"}
JOB_OUTCOMES = ("running", "ok", "failed", "skipped")


def _allowed(column: str, values: Any) -> CheckConstraint:
    return CheckConstraint(f"{column} IN ({', '.join(repr(v) for v in values)})", name=f"{column}_allowed")


class GroupToken(db.Model):  # type: ignore[name-defined,misc]
    """A secret link sent to a group contact; only its SHA-256 is stored, never the token itself."""

    __tablename__ = "group_token"
    __table_args__ = (_allowed("kind", TOKEN_KINDS),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    service_id: Mapped[int | None] = mapped_column(ForeignKey("service.id"), index=True)
    email: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(255), default="")
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_by: Mapped[str] = mapped_column(String(255), default="")

    organization = relationship("Organization")
    service = relationship("Service")


class PendingChange(db.Model):  # type: ignore[name-defined,misc]
    """Fields a group changed that wait for staff review (the review-required field groups)."""

    __tablename__ = "pending_change"
    __table_args__ = (_allowed("status", CHANGE_STATUSES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Empty when the change is to the organisation's own details rather than one of its services.
    service_id: Mapped[int | None] = mapped_column(ForeignKey("service.id"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    submitted_by: Mapped[str] = mapped_column(String(255))
    email: Mapped[str] = mapped_column(String(255))
    submitted_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    base_version: Mapped[int] = mapped_column(Integer)
    before: Mapped[dict[str, Any]] = mapped_column(JSON)
    changes: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decided_by: Mapped[str] = mapped_column(String(255), default="")
    message: Mapped[str] = mapped_column(Text, default="")

    service = relationship("Service")
    organization = relationship("Organization")

    @property
    def kind(self) -> str:
        return "organization" if self.service_id is None else "service"

    @property
    def listing(self) -> Any:
        """What the change is to: the service, or the organisation itself."""
        return self.organization if self.service_id is None else self.service


class Reminder(db.Model):  # type: ignore[name-defined,misc]
    """One reminder email for one listing: which cycle (verification or funding date) and which step."""

    __tablename__ = "reminder"
    __table_args__ = (
        _allowed("kind", REMINDER_KINDS),
        _allowed("status", REMINDER_STATUSES),
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
    __table_args__ = (_allowed("reason", FOLLOW_UP_REASONS),)

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

    service = relationship("Service")


class ContactOptOut(db.Model):  # type: ignore[name-defined,misc]
    """An email address that asked not to be contacted; staff phone instead."""

    __tablename__ = "contact_opt_out"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class JobRun(db.Model):  # type: ignore[name-defined,misc]
    """One run of a scheduled job: when, how it ended, what it counted, and the error if any."""

    __tablename__ = "job_run"
    __table_args__ = (_allowed("outcome", JOB_OUTCOMES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(32), index=True)
    trigger: Mapped[str] = mapped_column(String(16), default="scheduler")
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    outcome: Mapped[str] = mapped_column(String(16), default="running")
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    message: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str] = mapped_column(Text, default="")


# APScheduler's SQLAlchemy job store table, described here so migrations create it and the schema test
# knows it. The columns are exactly the ones apscheduler.jobstores.sqlalchemy defines.
scheduler_job = Table(
    "scheduler_job",
    db.metadata,
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)


class ListingRequest(db.Model):  # type: ignore[name-defined,misc]
    """A group asks to be listed, from the public form; it waits for staff approval. Nothing is deleted."""

    __tablename__ = "listing_request"
    __table_args__ = (CheckConstraint("status IN ('waiting', 'approved', 'rejected')", name="status_allowed"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_name: Mapped[str] = mapped_column(String(255))
    contact_name: Mapped[str] = mapped_column(String(255), default="")
    email: Mapped[str] = mapped_column(String(255))
    phone: Mapped[str] = mapped_column(String(64), default="")
    service_name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    address: Mapped[str] = mapped_column(String(255), default="")
    postcode: Mapped[str | None] = mapped_column(String(16))
    when: Mapped[str] = mapped_column(String(255), default="")
    status: Mapped[str] = mapped_column(String(16), default="waiting", index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decided_by: Mapped[str] = mapped_column(String(255), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    service_id: Mapped[int | None] = mapped_column(ForeignKey("service.id"))


class ListingClaim(db.Model):  # type: ignore[name-defined,misc]
    """A group asks to manage a listing staff created. Approval emails an edit link; a claim changes no listing."""

    __tablename__ = "listing_claim"
    __table_args__ = (_allowed("status", CLAIM_STATUSES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    contact_name: Mapped[str] = mapped_column(String(255))
    email: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(255))  # their connection to the group: organiser, secretary, ...
    message: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decided_by: Mapped[str] = mapped_column(String(255), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    token_id: Mapped[int | None] = mapped_column(ForeignKey("group_token.id"))  # the edit link sent on approval

    organization = relationship("Organization")
