"""Search: anonymous demand events (signpostings, unmet needs) and admin-editable synonyms."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    LargeBinary,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from ..core.db import db


class DemandEvent(db.Model):  # type: ignore[name-defined,misc]
    """An anonymous record of need: a signposting, or a search that found nothing suitable.

    Only the category, the LSOA the client's postcode fell in, and the day are kept: never the
    postcode, a name or a time of day.
    """

    __tablename__ = "demand_event"
    __table_args__ = (CheckConstraint("kind IN ('signposting', 'unmet-need')", name="kind_allowed"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    category_code: Mapped[str | None] = mapped_column(String(64), index=True)
    service_id: Mapped[int | None] = mapped_column(ForeignKey("service.id"), index=True)
    lsoa_code: Mapped[str | None] = mapped_column(String(16), index=True)
    occurred_on: Mapped[date] = mapped_column(Date, index=True)
    team: Mapped[str] = mapped_column(String(255), default="")


class Synonym(db.Model):  # type: ignore[name-defined,misc]
    """Words that mean the same thing to different people ("money advice" / "debt"), and everyday phrases
    with the needs they name ("money worries" -> debt-benefits): search's vocabulary, edited by admins."""

    __tablename__ = "synonym"

    id: Mapped[int] = mapped_column(primary_key=True)
    term: Mapped[str] = mapped_column(String(64), unique=True)
    alternatives: Mapped[list[str]] = mapped_column(JSON, default=list)
    needs: Mapped[list[str]] = mapped_column(JSON, default=list)  # taxonomy term codes


class ServiceVector(db.Model):  # type: ignore[name-defined,misc]
    """A service's meaning as a sentence embedding (float32 bytes), kept in step by the write path."""

    __tablename__ = "service_vector"

    service_id: Mapped[int] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"), primary_key=True)
    model: Mapped[str] = mapped_column(String(64))
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    # When it was made: older than its service's updated_at means the listing changed since (a bulk write).
    made_at: Mapped[datetime | None] = mapped_column(DateTime)
