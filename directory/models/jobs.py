"""Scheduled jobs: the log of every run, and APScheduler's own job store table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Float,
    LargeBinary,
    String,
    Table,
    Text,
    Unicode,
)
from sqlalchemy.orm import Mapped, mapped_column

from ..core.clock import utcnow
from ..core.db import db
from .base import allowed

JOB_OUTCOMES = ("running", "ok", "failed", "skipped", "died")


class JobRun(db.Model):  # type: ignore[name-defined,misc]
    """One run of a scheduled job: when, how it ended, what it counted, and the error if any."""

    __tablename__ = "job_run"
    __table_args__ = (allowed("outcome", JOB_OUTCOMES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(32), index=True)
    trigger: Mapped[str] = mapped_column(String(16), default="scheduler")
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    outcome: Mapped[str] = mapped_column(String(16), default="running")
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    message: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str] = mapped_column(Text, default="")
    worker: Mapped[str] = mapped_column(String(255), default="", server_default="")  # host:pid running it
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime)


class SchedulerLease(db.Model):  # type: ignore[name-defined,misc]
    """Who is the one scheduler process now: held for a short while and renewed; another waits, and takes over
    when a holder stops renewing (it died)."""

    __tablename__ = "scheduler_lease"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder: Mapped[str] = mapped_column(String(255))
    acquired_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)


# APScheduler's SQLAlchemy job store table, described here so migrations create it and the schema test
# knows it. The columns are exactly the ones apscheduler.jobstores.sqlalchemy defines.

scheduler_job = Table(
    "scheduler_job",
    db.metadata,
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)
