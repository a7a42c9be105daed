"""Groups keep their own listings: secret links (only their hashes), changes held for review, requests to be
listed and claims to manage a listing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.clock import utcnow
from ..core.db import db
from .base import allowed

TOKEN_KINDS = {
    "edit": "Edit link: signs a group contact in for one organisation",
    "confirm": "Confirm a listing is still running",
    "stopped": "Tell us a listing has stopped",
    "unsubscribe": "Ask not to be contacted by email",
}
CHANGE_STATUSES = ("pending", "approved", "rejected")
CLAIM_STATUSES = ("pending", "approved", "declined")


class GroupToken(db.Model):  # type: ignore[name-defined,misc]
    """A secret link sent to a group contact; only its SHA-256 is stored, never the token itself."""

    __tablename__ = "group_token"
    __table_args__ = (allowed("kind", TOKEN_KINDS),)

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
    __table_args__ = (allowed("status", CHANGE_STATUSES),)

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


class ListingRequest(db.Model):  # type: ignore[name-defined,misc]
    """A group asks to be listed (the public form) or, signed in, to add a service to its organisation; it waits
    for staff approval. Nothing is deleted."""

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
    # Set when a signed-in group asks to add a service: approval attaches it here, never to a new or matched one.
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True)

    organization = relationship("Organization")


class ListingClaim(db.Model):  # type: ignore[name-defined,misc]
    """A group asks to manage a listing staff created. Approval emails an edit link; a claim changes no listing."""

    __tablename__ = "listing_claim"
    __table_args__ = (allowed("status", CLAIM_STATUSES),)

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
