"""How likely each listing with open evidence is to have closed, read for many listings in a few queries.

The arithmetic is ``priority.closed_probability``; this module gathers its inputs: the open evidence (kind and
reporter), the reminders unanswered since the last check, and the signs of life since then (waits link workers
heard, signpostings not followed by a closure report). Decay (``decay.py``) sinks and hides by it, and the queue
(``queue.py``) orders by it, so both decide from the same evidence.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select

from ..core.db import DbSession
from ..models import DemandEvent, Service, WaitingTimeReport
from ..models.groups import GroupToken
from ..models.verification import FollowUp, Reminder
from .priority import RATES, closed_probability, unanswered_ratio

CLOSURE_REPORTS = ("reported-stopped", "group-stopped")
# How often a running group answers a reminder is measured from the directory's own reminders (a closure's silence
# is only evidence in proportion to it), starting from the "about a third" as if from this many reminders.
ASSUMED_REPLY_RATE = 1 / 3
ASSUMED_WEIGHT = 60
ANSWER_DAYS = 14  # reminders younger than this may still be answered: not counted yet
FEEDBACK_DAYS = 7  # a person sent to a closed group comes back within about a week
RATE_WEIGHT = 20  # each of priority.RATES counts as if from this many outcomes


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


def closure_likelihoods(session: DbSession, ids: Sequence[int], *, now: datetime) -> dict[int, Closure]:
    """Service id -> how likely it has closed, for these listings (open evidence, silence and signs of life)."""
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
    result = {}
    for service_id, verified in checked.items():
        days = (now - verified).days if verified else None
        count = unanswered.get(service_id, 0)
        probability = closed_probability(
            days, evidence[service_id], count, waits_heard=heard[service_id], signposted=signposted[service_id],
            unanswered_ratio=ratio, rates=rates,
        )  # fmt: skip
        result[service_id] = Closure(probability, count, heard[service_id], signposted[service_id])
    return result
