"""How likely each listing with open evidence is to have closed, read for many listings in a few queries.

The arithmetic is ``priority.closed_probability``; this module gathers its inputs: the open evidence (kind and
reporter), the reminders unanswered since the last check, and the signs of life since then (waits link workers
heard, signpostings not followed by a closure report). Decay (``decay.py``) sinks and hides by it, and the queue
(``queue.py``) orders by it, so both decide from the same evidence.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select

from ..core.db import DbSession
from ..models import DemandEvent, Revision, Service, WaitingTimeReport
from ..models.groups import GroupToken
from ..models.verification import FollowUp, Reminder
from .batches import LIVE_STATUSES
from .priority import RATES, YEARLY_CLOSE, closed_probability, unanswered_ratio

CLOSURE_REPORTS = ("reported-stopped", "group-stopped")
# How often a running group answers a reminder is measured from the directory's own reminders (a closure's silence
# is only evidence in proportion to it), starting from the "about a third" as if from this many reminders.
ASSUMED_REPLY_RATE = 1 / 3
ASSUMED_WEIGHT = 60
ANSWER_DAYS = 14  # reminders younger than this may still be answered: not counted yet
YEAR = timedelta(days=365)
FEEDBACK_DAYS = 7  # a person sent to a closed group comes back within about a week
RATE_WEIGHT = 20  # each of priority.RATES counts as if from this many outcomes
# How often listings close is measured from the closures the directory found in the last year, starting from the
# issue's "about a fifth a year" as if from this many listing-years watched.
ASSUMED_CLOSE_WEIGHT = 30.0


@dataclass(frozen=True)
class Closure:
    probability: float
    unanswered: int
    waits_heard: int
    signposted: int


def unanswered_counts(session: DbSession, ids: Sequence[int]) -> dict[int, int]:
    """Service id -> reminders sent since it was last checked (an answer re-dates the check, so none answered)."""
    rows = session.execute(
        select(Reminder.service_id, func.count())
        .join(Service, Service.id == Reminder.service_id)
        .where(
            Reminder.service_id.in_(ids), Reminder.status == "sent", Reminder.kind == "freshness",
            or_(Service.last_verified_at.is_(None), Reminder.sent_at > Service.last_verified_at),
        )
        .group_by(Reminder.service_id)
    ).all()  # fmt: skip
    return {int(service_id): int(count) for service_id, count in rows}


def reply_rate(session: DbSession, *, now: datetime) -> float:
    """The share of reminders in the last year that were answered (their "still running" or "we have stopped"
    button pressed), shrunk towards ``ASSUMED_REPLY_RATE`` while there are few. Closed groups' silences are counted
    too, so it slightly understates a running group's rate: silence then weighs a little less, which errs towards
    leaving a listing up."""
    window = (GroupToken.created_by == "reminders", GroupToken.created_at >= now - timedelta(days=365),
              GroupToken.created_at < now - timedelta(days=ANSWER_DAYS))  # fmt: skip
    sent = session.scalar(select(func.count()).where(GroupToken.kind == "confirm", *window)) or 0
    used = (GroupToken.kind.in_(("confirm", "stopped")), GroupToken.used_at.is_not(None))
    answered = session.scalar(select(func.count()).where(*used, *window)) or 0
    return (answered + ASSUMED_REPLY_RATE * ASSUMED_WEIGHT) / (sent + ASSUMED_WEIGHT)


def outcome_rates(session: DbSession, *, now: datetime) -> dict[str, float]:
    """For each kind of evidence in ``priority.RATES``, the share of its follow-ups settled in the last two years
    that ended in a closure, shrunk towards the stated rate while there are few."""
    counts: dict[tuple[str, str], int] = {
        (reason, resolution): int(n)
        for reason, resolution, n in session.execute(
            select(FollowUp.reason, FollowUp.resolution, func.count())
            .where(FollowUp.reason.in_(tuple(RATES)), FollowUp.resolved_at >= now - timedelta(days=730),
                   FollowUp.resolution.in_(("still-running", "paused", "closed")))
            .group_by(FollowUp.reason, FollowUp.resolution)
        )
    }  # fmt: skip
    rates = {}
    for reason, stated in RATES.items():
        settled = sum(n for (r, _), n in counts.items() if r == reason)
        rates[reason] = (counts.get((reason, "closed"), 0) + stated * RATE_WEIGHT) / (settled + RATE_WEIGHT)
    return rates


def closure_rate(session: DbSession, *, now: datetime) -> float:
    """The share of listings that close in a year, measured from the closures found since the directory began
    asking (its first reminder, at most a year back) per listing-year known to have been watched (from then to each
    listing's last check, and half way to each closure found), shrunk towards ``priority.YEARLY_CLOSE`` while it has
    watched few listing-years.

    A closure is found when staff resolve a follow-up as closed, a group says it stopped, or the evidence took the
    listing out of search and nobody has brought it back (the decay's 95%, or its 91 days of silence). It happened
    some time between the listing's last check and then, so a listing checked before the watching began (a backlog
    at switch-on) counts only for the part of that time that was watched: otherwise the first weeks, which find
    the closures of years gone by, would read as a burst of closures.
    """
    began = session.scalar(
        select(func.min(Reminder.sent_at)).where(Reminder.kind == "freshness", Reminder.sent_at >= now - YEAR)
    )
    hazard = -math.log(1 - YEARLY_CLOSE)
    if began is None or now <= began:
        return YEARLY_CLOSE
    found: dict[int, datetime] = {}
    ways: list[Any] = [
        select(FollowUp.service_id, FollowUp.resolved_at).where(FollowUp.resolution == "closed",
                                                                FollowUp.resolved_at >= began),
        select(FollowUp.service_id, FollowUp.created_at).where(FollowUp.reason == "group-stopped",
                                                               FollowUp.created_at >= began),
        select(Revision.entity_id, Revision.created_at)
        .join(Service, Service.id == Revision.entity_id)
        .where(Revision.entity_type == "service", Revision.action.startswith("hidden:"), Revision.created_at >= began,
               Service.status == "closed"),
    ]  # fmt: skip
    for service_id, when in (row for way in ways for row in session.execute(way)):
        found[service_id] = min(when, found.get(service_id, when))
    checked: dict[int, datetime] = {}
    for service_id, cycle, sent_at in session.execute(
        select(Reminder.service_id, Reminder.cycle, Reminder.sent_at).where(
            Reminder.service_id.in_(found), Reminder.kind == "freshness"
        )
    ):
        start = _cycle_start(cycle)
        if start is not None and sent_at <= found[service_id]:
            checked[service_id] = max(start, checked.get(service_id, start))
    closures, watched = 0.0, timedelta()
    for service_id, when in found.items():
        last = checked.get(service_id, began)
        closures += 1.0 if last >= began else (when - began) / (when - last)
        # running from the watching's start to its last check; closed, on average, half way from there to when found
        watched += max(last - began, timedelta()) + (when - max(last, began)) / 2
    checked_day = func.date(Service.last_verified_at)
    for day, count in session.execute(
        select(checked_day, func.count())
        .where(Service.status.in_(LIVE_STATUSES), Service.last_verified_at > began)
        .group_by(checked_day)
    ):  # fmt: skip
        # a listing shown as running is known to have run only until its last check: the time since may hold a
        # closure not found yet, and counting it would read a lag in finding closures as fewer closures
        watched += count * (date.fromisoformat(str(day)[:10]) - began.date())
    measured = (closures + hazard * ASSUMED_CLOSE_WEIGHT) / (watched / YEAR + ASSUMED_CLOSE_WEIGHT)
    return 1 - math.exp(-measured)


def _cycle_start(cycle: str) -> datetime | None:
    """A freshness reminder's cycle is the check it follows (ISO time); a pause's restart check is not."""
    try:
        return datetime.fromisoformat(cycle)
    except ValueError:
        return None


def closure_likelihoods(
    session: DbSession, ids: Sequence[int], *, now: datetime, yearly_close: float | None = None
) -> dict[int, Closure]:
    """Service id -> how likely it has closed, for these listings (open evidence, silence and signs of life),
    from the measured yearly closure rate (``closure_rate``, or the one given)."""
    if not ids:
        return {}
    services = session.execute(
        select(Service.id, Service.last_verified_at, Service.created_at).where(Service.id.in_(ids))
    ).all()
    since = {row.id: row.last_verified_at or row.created_at for row in services}
    checked = {row.id: row.last_verified_at for row in services}
    evidence: dict[int, list[tuple[str, str]]] = defaultdict(list)
    reported: dict[int, datetime] = {}
    for service_id, reason, reporter, created_at in session.execute(
        select(FollowUp.service_id, FollowUp.reason, FollowUp.reported_by, FollowUp.created_at).where(
            FollowUp.service_id.in_(ids), FollowUp.resolved_at.is_(None)
        )
    ):
        evidence[service_id].append((reason, reporter))
        if reason in CLOSURE_REPORTS:
            reported[service_id] = max(created_at, reported.get(service_id, created_at))
    heard: dict[int, int] = defaultdict(int)
    for service_id, reported_at in session.execute(
        select(WaitingTimeReport.service_id, WaitingTimeReport.reported_at).where(
            WaitingTimeReport.service_id.in_(ids), WaitingTimeReport.source == "link-worker"
        )
    ):
        if reported_at > since[service_id]:
            heard[service_id] += 1
    signposted: dict[int, int] = defaultdict(int)
    earliest = min(since.values()).date()
    for signposted_id, occurred_on in session.execute(
        select(DemandEvent.service_id, DemandEvent.occurred_on).where(
            DemandEvent.kind == "signposting", DemandEvent.service_id.in_(ids), DemandEvent.occurred_on >= earliest
        )
    ):
        # A signposting counts once a person sent there has had FEEDBACK_DAYS to come back, with no closure
        # reported after it.
        service_id = int(signposted_id or 0)
        after = max(since[service_id], reported.get(service_id, since[service_id])).date()
        if after < occurred_on <= (now - timedelta(days=FEEDBACK_DAYS)).date():
            signposted[service_id] += 1
    unanswered = unanswered_counts(session, ids)
    ratio = unanswered_ratio(reply_rate(session, now=now))
    rates = outcome_rates(session, now=now)
    yearly = closure_rate(session, now=now) if yearly_close is None else yearly_close
    result = {}
    for service_id, verified in checked.items():
        days = (now - verified).days if verified else None
        count = unanswered.get(service_id, 0)
        probability = closed_probability(
            days, evidence[service_id], count, waits_heard=heard[service_id], signposted=signposted[service_id],
            unanswered_ratio=ratio, rates=rates, yearly_close=yearly,
        )  # fmt: skip
        result[service_id] = Closure(probability, count, heard[service_id], signposted[service_id])
    return result
