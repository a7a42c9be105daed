"""Models for: Gap flags and the community-development backlog (issue 5).

A ``GapFlag`` is one link worker's "I couldn't find X for a client near here": it keeps the LSOA
(and, when the lookup knows it, the MSOA) the client's postcode or map point fell in, never the
postcode or the point. Flags of one category in one neighbourhood gather into a ``BacklogItem``,
which community development workers move through a workflow. Every change to an item, and every
comment, is a ``BacklogEvent``: the full history, append only. Nothing here is ever deleted.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.clock import utcnow
from ..core.db import db
from .base import allowed

URGENCIES = {"low": "Low", "medium": "Medium", "high": "High"}
STATUSES = {
    "new": "New",
    "triaged": "Triaged",
    "in-progress": "In progress",
    "resolved": "Resolved",
    "declined": "Declined",
    "merged": "Merged into another item",
}
OPEN_STATUSES = ("new", "triaged", "in-progress")
POPULATION_GROUPS = {
    "everyone": "Anyone (no particular group)",
    "carers": "Carers",
    "young-people": "Young people",
    "older-people": "Older people",
    "lgbtq": "LGBTQ+ people",
    "women": "Women",
    "men": "Men",
    "disabled-people": "Disabled people",
    "learning-disability": "People with a learning disability",
    "long-term-condition": "People with a long-term condition",
    "mental-health": "People with mental ill health",
    "ethnic-minority": "A minority ethnic or faith community",
    "language": "Speakers of a language other than English",
    "veterans": "Veterans",
    "families": "Parents and families",
    "other": "Another group (say which in the description)",
}
EVENT_KINDS = ("created", "flag-joined", "status", "assigned", "comment", "merged", "split", "resolved-by")


class LsoaMsoa(db.Model):  # type: ignore[name-defined,misc]
    """The MSOA each LSOA lies in, loaded from an official postcode file (``backlog load-msoa``)."""

    __tablename__ = "lsoa_msoa"

    lsoa_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    msoa_code: Mapped[str] = mapped_column(String(16), index=True)


class BacklogItem(db.Model):  # type: ignore[name-defined,misc]
    """A gap in provision: one category in one neighbourhood, with the flags that evidence it."""

    __tablename__ = "backlog_item"
    __table_args__ = (allowed("status", STATUSES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    category_code: Mapped[str] = mapped_column(String(64), index=True)
    # The neighbourhood new flags are matched on: an MSOA code, or an LSOA code when its MSOA is unknown.
    area_code: Mapped[str] = mapped_column(String(16), index=True)
    status: Mapped[str] = mapped_column(String(16), default="new", index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    resolved_service_id: Mapped[int | None] = mapped_column(ForeignKey("service.id"))
    decline_reason: Mapped[str] = mapped_column(Text, default="")
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("backlog_item.id"))
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)

    flags: Mapped[list[GapFlag]] = relationship(back_populates="item", order_by="GapFlag.flagged_at")
    events: Mapped[list[BacklogEvent]] = relationship(
        order_by="BacklogEvent.id", foreign_keys="BacklogEvent.item_id", viewonly=True
    )
    assignee = relationship("User", foreign_keys=[assignee_id])
    resolved_service = relationship("Service", foreign_keys=[resolved_service_id])

    __mapper_args__ = {"version_id_col": version}


class GapFlag(db.Model):  # type: ignore[name-defined,misc]
    """One worker's flag of a gap. The client's postcode is turned into an LSOA and then discarded."""

    __tablename__ = "gap_flag"
    __table_args__ = (allowed("urgency", URGENCIES), allowed("population_group", POPULATION_GROUPS))

    id: Mapped[int] = mapped_column(primary_key=True)
    category_code: Mapped[str] = mapped_column(String(64), index=True)
    lsoa_code: Mapped[str] = mapped_column(String(16), index=True)
    msoa_code: Mapped[str | None] = mapped_column(String(16), index=True)
    lad_code: Mapped[str | None] = mapped_column(String(16), index=True)
    # Set when the worker gave only a postcode district ("FY1"): the flag is for the whole district. Its LSOA is
    # then the one at the district's middle, used to join the backlog, never counted as that LSOA's own flag.
    district: Mapped[str | None] = mapped_column(String(8))
    population_group: Mapped[str] = mapped_column(String(32), default="everyone")
    description: Mapped[str] = mapped_column(Text, default="")
    urgency: Mapped[str] = mapped_column(String(8), default="medium")
    # Where it was raised from: "search", "listing" (with the listing's id), "map" or "form".
    raised_from: Mapped[str] = mapped_column(String(16), default="form")
    service_id: Mapped[int | None] = mapped_column(ForeignKey("service.id"))
    flagged_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    team: Mapped[str] = mapped_column(String(255), default="")
    # The worker saw the guard's warning and confirmed the text holds no personal data.
    pii_confirmed: Mapped[bool] = mapped_column(default=False)
    flagged_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("backlog_item.id"), index=True)

    item: Mapped[BacklogItem] = relationship(back_populates="flags")
    flagged_by = relationship("User", foreign_keys=[flagged_by_id])

    @property
    def area_code(self) -> str:
        return self.msoa_code or self.lsoa_code


class BacklogEvent(db.Model):  # type: ignore[name-defined,misc]
    """One entry in an item's history: a status change, an assignment, a merge or split, a comment."""

    __tablename__ = "backlog_event"
    __table_args__ = (allowed("kind", EVENT_KINDS),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("backlog_item.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(255))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    other_item_id: Mapped[int | None] = mapped_column(ForeignKey("backlog_item.id"))
    flag_id: Mapped[int | None] = mapped_column(ForeignKey("gap_flag.id"))
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
