"""How often groups are asked, and how current the waits shown are.

A group is asked again when the chance its listing closed since its last answer (or staff's last check) reaches
``REMINDER_ROUND_LIKELIHOOD`` at the measured closure rate, and at most ``REMINDER_REPEAT_DAYS`` after it, each round
asking for its current wait in one click; "due for review" and "stale" still follow ``FRESH_DAYS`` and
``STALE_DAYS``, so the reminder rounds never wait longer than they used to.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from ..core.db import DbSession
from ..models import Organization, Service, WaitingTimeReport
from .batches import LIVE_STATUSES
from .likelihood import closure_likelihoods

# A group that has just answered is not asked again within this many days, however often listings close.
ROUND_MIN_DAYS = 14


def round_days(config: Mapping[str, Any], yearly_close: float) -> int:
    """Days after a check that the next round's first reminder goes: when the chance that the listing closed since
    then reaches REMINDER_ROUND_LIKELIHOOD at the measured yearly closure rate, but never later than
    REMINDER_REPEAT_DAYS nor sooner than ``ROUND_MIN_DAYS``. Where listings close more often, groups are asked
    more often, so a closure between rounds waits about as long to be found as the setting says."""
    repeat = int(config["REMINDER_REPEAT_DAYS"])
    share = float(config["REMINDER_ROUND_LIKELIHOOD"]) / 100
    if not 0 < share < 1 or not 0 < yearly_close < 1:
        return repeat
    days = math.log(1 - share) / math.log(1 - yearly_close) * 365
    return max(min(repeat, math.floor(days)), min(ROUND_MIN_DAYS, repeat))


def reminder_due_days(config: Mapping[str, Any], offsets: list[int], yearly_close: float | None = None) -> int:
    """Days after a check that the reminder schedule's 'due' falls: the first reminder goes ``round_days`` (at most
    REMINDER_REPEAT_DAYS) after the check, or at FRESH_DAYS less the first offset if that is sooner."""
    first = offsets[0] if offsets else 0
    repeat = int(config["REMINDER_REPEAT_DAYS"]) if yearly_close is None else round_days(config, yearly_close)
    return min(int(config["FRESH_DAYS"]), repeat + first)


def keep_asking_due(
    config: Mapping[str, Any],
    steps_done: bool,
    sent: Sequence[Any],
    phone_queued: bool,
    now: datetime,
    sooner: timedelta | None = None,  # the gap instead of REMINDER_KEEP_ASKING_DAYS
) -> bool:
    """After the reminder steps and the phone queue, ask again every REMINDER_KEEP_ASKING_DAYS (0: never), or every
    ``sooner`` (while the evidence doubts the listing, or once it took it out of search), until the group answers or
    staff check: an answer settles the evidence, and each silence makes a closure likelier."""
    days = int(config.get("REMINDER_KEEP_ASKING_DAYS", 0))
    gap = sooner or timedelta(days=days)
    return bool(days and steps_done and sent and phone_queued and now >= sent[-1].sent_at + gap)


def sooner(
    session: DbSession, ids: Sequence[int], config: Mapping[str, Any], *, now: datetime,
    yearly_close: float | None = None,
) -> set[int]:  # fmt: skip
    """The listings among ``ids`` whose evidence makes a closure at least REMINDER_SOONER_LIKELIHOOD percent likely:
    their reminders come every REMINDER_SOONER_DAYS instead of a week apart. Silence is evidence only when asked,
    so asking a doubted listing more often settles it sooner either way; one already checked is never doubted."""
    threshold = int(config["REMINDER_SOONER_LIKELIHOOD"]) / 100
    if not ids or threshold > 1:
        return set()
    likely = closure_likelihoods(session, ids, now=now, yearly_close=yearly_close)
    return {i for i, closure in likely.items() if closure.probability >= threshold}


@dataclass(frozen=True)
class WaitShare:
    live: int
    current: int  # live listings whose newest wait is within WAIT_CURRENT_DAYS
    days: int

    @property
    def percent(self) -> int:
        return round(100 * self.current / self.live) if self.live else 0


def current_wait_share(session: DbSession, config: Mapping[str, Any], *, now: datetime) -> WaitShare:
    """The share of live (running, shown) listings with a wait dated within WAIT_CURRENT_DAYS: one count query."""
    days = int(config["WAIT_CURRENT_DAYS"])
    live = (
        select(Service.id)
        .join(Organization, Organization.id == Service.organization_id)
        .where(Service.status.in_(LIVE_STATUSES), Organization.archived.is_(False))
    )
    total = session.scalar(select(func.count()).select_from(live.subquery())) or 0
    recent = session.scalar(
        select(func.count(func.distinct(WaitingTimeReport.service_id))).where(
            WaitingTimeReport.service_id.in_(live), WaitingTimeReport.reported_at >= now - timedelta(days=days)
        )
    )
    return WaitShare(live=int(total), current=int(recent or 0), days=days)
