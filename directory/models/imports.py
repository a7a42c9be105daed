"""Models for: Importers, sources and run reports (issue 7).

An ``ImportSource`` is somewhere listings come from (an ORUK feed, a spreadsheet, a group's
calendar) with its state and last error, and the run an admin queued for the scheduler, if any.
Each run of it is an ``ImportRun``: counts, every rejected record with its reason, notices, and
when it started and ended; runs are kept.
``ExternalRecord`` keys a source's own id for a record to the listing it became, so a re-run
updates in place. A record that looks like an existing listing becomes a ``MergeCandidate`` for
staff to decide, never a second listing. ``ImportEvidence`` is what importers observe that may mean
a listing has closed (a dead website, a calendar with no future sessions): shown to staff, never
acted on automatically.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.clock import utcnow
from ..core.db import db
from .base import allowed

SOURCE_KINDS = {
    "oruk": "Open Referral UK feed",
    "spreadsheet": "Spreadsheet (CSV or XLSX)",
    "ical": "iCalendar feed of sessions",
}
SOURCE_STATES = {
    "idle": "Idle",
    "queued": "Queued",
    "running": "Running",
    "failed": "Failed last time",
    "bad-source": "Bad source (needs an admin)",
}
SCHEDULES = {"manual": "Only when run by hand", "daily": "Daily", "weekly": "Weekly"}
RUN_STATUSES = {"running": "Running", "succeeded": "Succeeded", "failed": "Failed", "skipped": "Unchanged, skipped"}
MERGE_STATES = {"open": "Waiting for a decision", "merged": "Merged", "separate": "Kept as a new listing"}
EVIDENCE_KINDS = {
    "website-failed": "Website did not answer",
    "no-future-events": "Calendar has no future sessions",
}


class ImportSource(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "import_source"
    __table_args__ = (allowed("kind", SOURCE_KINDS), allowed("state", SOURCE_STATES))

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    url: Mapped[str] = mapped_column(String(1000), default="")
    schedule: Mapped[str] = mapped_column(String(16), default="manual")
    state: Mapped[str] = mapped_column(String(16), default="idle")
    last_error: Mapped[str] = mapped_column(Text, default="")
    last_checksum: Mapped[str] = mapped_column(String(64), default="")
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # mapping, category table, service id
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_run_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_changed_at: Mapped[datetime | None] = mapped_column(DateTime)  # last run that changed a listing
    # A run asked for from the admin pages, waiting for the scheduler process (web workers never run imports).
    queued_at: Mapped[datetime | None] = mapped_column(DateTime)
    queued_by: Mapped[str] = mapped_column(String(255), default="", server_default="")
    queued_options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default="{}")  # upload, force

    runs: Mapped[list[ImportRun]] = relationship(back_populates="source", order_by="ImportRun.id.desc()", viewonly=True)


class ImportRun(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "import_run"
    __table_args__ = (allowed("status", RUN_STATUSES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("import_source.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="running")
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    started_by: Mapped[str] = mapped_column(String(255), default="")
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    held: Mapped[int] = mapped_column(Integer, default=0)
    rejected_count: Mapped[int] = mapped_column(Integer, default=0)
    # Listings the source gave before and not in this run (not among the items seen: they are not in the feed).
    removed: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    rejected: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)  # [{where, reason}]
    notices: Mapped[list[str]] = mapped_column(JSON, default=list)
    failure: Mapped[str] = mapped_column(Text, default="")
    checksum: Mapped[str] = mapped_column(String(64), default="")
    worker: Mapped[str] = mapped_column(String(255), default="", server_default="")  # host:pid running it
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime)

    source: Mapped[ImportSource] = relationship(back_populates="runs")


class ExternalRecord(db.Model):  # type: ignore[name-defined,misc]
    """A source's id for a record -> the listing (service or organisation) it became."""

    __tablename__ = "external_record"
    __table_args__ = (
        UniqueConstraint("source_id", "entity_type", "external_id", name="uq_external_record_key"),
        CheckConstraint("entity_type IN ('service', 'organization')", name="entity_type_allowed"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("import_source.id"), index=True)
    entity_type: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(255))
    entity_id: Mapped[int] = mapped_column(Integer, index=True)
    checksum: Mapped[str] = mapped_column(String(64), default="")
    fetched_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_run_id: Mapped[int | None] = mapped_column(ForeignKey("import_run.id"))


class MergeCandidate(db.Model):  # type: ignore[name-defined,misc]
    """An incoming record that looks like an existing listing: staff merge it or keep it apart."""

    __tablename__ = "merge_candidate"
    __table_args__ = (allowed("state", MERGE_STATES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("import_source.id"), index=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("import_run.id"))
    external_id: Mapped[str] = mapped_column(String(255))
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"), index=True)
    values: Mapped[dict[str, Any]] = mapped_column(JSON)  # what the write path would have been given
    organisation: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    reason: Mapped[str] = mapped_column(String(255), default="")
    score: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(16), default="open", index=True)
    decided_by: Mapped[str] = mapped_column(String(255), default="")
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    source: Mapped[ImportSource] = relationship()


class ImportEvidence(db.Model):  # type: ignore[name-defined,misc]
    """Something an importer saw that may mean a listing has closed; for staff, never acted on."""

    __tablename__ = "import_evidence"
    __table_args__ = (allowed("kind", EVIDENCE_KINDS),)

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"), index=True)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("import_source.id"))
    kind: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(Text, default="")
    observed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
