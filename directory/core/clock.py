"""The one source of 'now', so jobs and tests can freeze time."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Naive UTC: the database stores naive UTC timestamps on both backends."""
    return datetime.now(UTC).replace(tzinfo=None)
