"""What a search needs from the verification evidence, read in one small query: which live listings carry a
warning and sink (a link worker reported them closed; or the evidence against them, reminders unanswered or
funding ended, makes a closure likelier than not: ``verification/decay.py`` marks those follow-ups sunk each day),
and from when a waiting time counts as current.

Listings taken out of default results by evidence are already closed (``verification/evidence.py``), so the
search's status filter leaves them out; this module only sinks and labels.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from ..core.db import DbSession
from ..models.verification import FollowUp

REPORTED = "Reported closed by a link worker: staff are checking"
NOT_ANSWERING = "Not answering our reminders: staff will phone"
FUNDING_QUIET = "Funding ended and not answering: staff will phone"


def warnings(session: DbSession, config: Mapping[str, Any], now: datetime) -> dict[int, str]:
    """Service id -> the warning shown with it, for listings that sink below the rest until staff check them.

    Reads the open follow-ups (a short list: staff's queue), never every listing.
    """
    marks: dict[int, str] = {}
    rows = session.execute(
        select(FollowUp.service_id, FollowUp.reason, FollowUp.sunk_at).where(
            FollowUp.resolved_at.is_(None), FollowUp.reason.in_(("reported-stopped", "no-reply", "funding-ended"))
        )
    ).all()
    for service_id, reason, sunk_at in sorted(rows, key=lambda r: r.reason != "reported-stopped"):
        if reason == "reported-stopped":
            marks[service_id] = REPORTED
        elif sunk_at is not None:
            marks.setdefault(service_id, NOT_ANSWERING if reason == "no-reply" else FUNDING_QUIET)
    return marks


def current_wait_since(config: Mapping[str, Any], now: datetime) -> datetime:
    """Waits reported before this count as unknown for sorting and the longest-wait filter."""
    return now - timedelta(days=int(config.get("WAIT_CURRENT_DAYS", 90)))
