"""How fresh a listing is, and how old a reported figure is, in words people read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..core.clock import utcnow


@dataclass(frozen=True)
class Freshness:
    state: str  # fresh | due | stale | unverified
    label: str


def age_in_words(then: datetime | None, now: datetime | None = None) -> str:
    if then is None:
        return "never"
    days = ((now or utcnow()) - then).days
    if days < 1:
        return "today"
    if days < 14:
        return f"{days} day{'s' if days != 1 else ''} ago"
    if days < 61:
        return f"{days // 7} weeks ago"
    if days < 730:
        return f"{days // 30} months ago"
    return f"{days // 365} years ago"


def freshness(verified_at: datetime | None, config: Mapping[str, Any], now: datetime | None = None) -> Freshness:
    """Fresh, due for review, stale or unverified, by days since the last verification."""
    if verified_at is None:
        return Freshness("unverified", "Never verified")
    days = ((now or utcnow()) - verified_at).days
    when = age_in_words(verified_at, now)
    if days >= config["UNVERIFIED_DAYS"]:
        return Freshness("unverified", f"Unverified: last checked {when}")
    if days >= config["STALE_DAYS"]:
        return Freshness("stale", f"Stale: last checked {when}")
    if days >= config["FRESH_DAYS"]:
        return Freshness("due", f"Due for review: verified {when}")
    return Freshness("fresh", f"Verified {when}")


def wait_is_current(reported_at: datetime, config: Mapping[str, Any], now: datetime | None = None) -> bool:
    """A wait reported within WAIT_CURRENT_DAYS is current; an older one is shown as 'last known' and counts as
    unknown for sorting and the longest-wait filter."""
    return ((now or utcnow()) - reported_at).days < int(config.get("WAIT_CURRENT_DAYS", 90))
