"""Demand for services, read for the gap figures: anonymous signpostings and searches that found nothing,
gap flags raised by link workers, and backlog items resolved.

``demand_events`` is what the gap score's demand part counts; ``gap_flag_counts`` and
``resolved_counts`` are what the map and table show per LSOA; ``flags_in`` what an area page says.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import func, select

from ..core.db import DbSession
from ..models import BacklogItem, DemandEvent, GapFlag


def _gap_flag_events(session: DbSession) -> pd.DataFrame | None:
    """Gap flags raised by link workers (the backlog), as demand events."""
    # A flag for a whole postcode district is not one neighbourhood's: it stays on the backlog, out of these counts.
    rows = session.execute(
        select(GapFlag.lsoa_code, GapFlag.category_code, GapFlag.flagged_at).where(GapFlag.district.is_(None))
    ).all()
    return pd.DataFrame(rows, columns=["lsoa_code", "category", "occurred_at"]).assign(kind="gap-flag")


def demand_events(session: DbSession) -> pd.DataFrame:
    """Anonymous demand: signpostings, searches that found nothing (counted as gap flags) and gap flags."""
    rows = session.execute(
        select(DemandEvent.lsoa_code, DemandEvent.category_code, DemandEvent.kind, DemandEvent.occurred_on).where(
            DemandEvent.lsoa_code.is_not(None), DemandEvent.category_code.is_not(None)
        )
    ).all()
    frame = pd.DataFrame(rows, columns=["lsoa_code", "category", "kind", "occurred_at"])
    frame["kind"] = frame["kind"].map({"signposting": "signposting", "unmet-need": "gap-flag"})
    flags = _gap_flag_events(session)
    if flags is not None and len(flags):
        frame = pd.concat([frame, flags[frame.columns]], ignore_index=True)
    # Days (demand events) and times (gap flags) together: parse each on its own, not by the first one.
    frame["occurred_at"] = pd.to_datetime(frame["occurred_at"].astype(str), errors="coerce", format="mixed")
    return frame.dropna(subset=["occurred_at", "kind"])


def gap_flag_counts(session: DbSession, category: str | None) -> dict[str, int] | None:
    """Gap flags per LSOA for a category, when the backlog feature's GapFlag model exists; else None."""
    flags = _gap_flag_events(session)
    if flags is None:
        return None
    if category:
        flags = flags[flags["category"] == category]
    return {str(k): int(v) for k, v in flags.groupby("lsoa_code").size().items()}


def resolved_counts(session: DbSession, category: str | None) -> dict[str, int]:
    """Backlog items resolved (a service now meets the need), per LSOA where their flags were raised."""
    query = (
        select(GapFlag.lsoa_code, func.count(func.distinct(BacklogItem.id)))
        .join(BacklogItem, BacklogItem.id == GapFlag.item_id)
        .where(BacklogItem.status == "resolved", GapFlag.district.is_(None))
        .group_by(GapFlag.lsoa_code)
    )
    if category:
        query = query.where(BacklogItem.category_code == category)
    return {str(code): int(count) for code, count in session.execute(query)}


def flags_in(session: DbSession, lsoa_code: str) -> dict[str, int]:
    """Gap flags raised in one LSOA, per category (counted as ``gap_flag_counts`` counts them)."""
    query = (
        select(GapFlag.category_code, func.count())
        .where(GapFlag.lsoa_code == lsoa_code, GapFlag.district.is_(None))
        .group_by(GapFlag.category_code)
    )
    return {str(category): int(count) for category, count in session.execute(query)}
