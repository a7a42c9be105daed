"""Which listings staff should check first: where a wrong listing would do most harm.

expected harm = P(wrong, weighed) × use × deprivation reached, where
- P(wrong) is how likely the listing is wrong as it is shown now, from the kind, number and age of the evidence
  (``priority.py``): for a listing shown as running, that it closed (``likelihood.py``) in full, plus
  ``DETAIL_HARM`` (a quarter) of the further chance that only a detail changed; for one the evidence already sank
  or took out of search, that it is running after all (1 − P(closed)), so a call goes where it would change what
  link workers see;
- use is 1 + ln(1 + signpostings in the last year) (searches are not recorded per listing, signpostings are);
- deprivation reached is (11 − the most deprived IMD decile among the LSOAs the service is in or covers) / 10,
  so decile 1 counts 1.0 and decile 10 counts 0.1 (0.5 when no deprivation figures are loaded);
- a listing shown as running that cannot be emailed counts double (``UNREACHABLE``): only a call settles it.

One row per listing: all its open evidence together, the oldest follow-up standing for it (resolving it settles
the rest, since staff checked the whole listing).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from ..core.db import DbSession
from ..models import DemandEvent, Location, ServiceArea, service_at_location
from ..models.gaps import Deprivation
from ..models.verification import FollowUp
from .likelihood import closure_likelihoods, outcome_rates, reply_rate, unanswered_counts
from .priority import questions, unanswered_ratio, wrong_probability

UNKNOWN_DEPRIVATION = 0.5
# A person sent to a closed group has lost a trip and their trust; a changed detail (a new phone number, a moved
# session) mostly costs a second call. So for a listing shown as running, a closure weighs in full and the rest of
# the chance it is wrong at this share: calls go first where a closure is likeliest.
DETAIL_HARM = 0.25
# A listing that cannot be emailed is settled only by a call (reminders settle the others sooner or later), so a call
# to it is worth this much more than one to an equally doubtful listing that can still answer by email.
UNREACHABLE = 2.0


def reasons_of(evidence: Sequence[FollowUp]) -> set[str]:
    return {f.reason for f in evidence}


@dataclass(frozen=True)
class Priority:
    follow_up: FollowUp
    decile: int | None
    days_since_verified: int | None
    signposted: int
    harm: float
    probability: float = 0.0
    evidence: tuple[str, ...] = ()
    questions: tuple[str, ...] = ()
    why: tuple[str, ...] = ()
    out_of_sight: bool = False  # sunk or out of default results by the evidence: wrong if it is running after all

    @property
    def reasons(self) -> str:
        reach = f"reaches IMD decile {self.decile}" if self.decile else "deprivation not known"
        return (
            f"{round(100 * self.probability)}% likely "
            f"{'running after all, though sunk or out of search' if self.out_of_sight else 'wrong'} "
            f"({'; '.join(self.why)}); {reach}; "
            f"signposted {self.signposted} times in a year"
        )


def _deciles(session: DbSession, ids: Sequence[int]) -> dict[int, int]:
    """Service id -> the most deprived decile among its locations' LSOAs and its service areas."""
    placed = session.execute(
        select(service_at_location.c.service_id, func.min(Deprivation.imd_decile))
        .join(Location, Location.id == service_at_location.c.location_id)
        .join(Deprivation, Deprivation.lsoa_code == Location.lsoa_code)
        .where(service_at_location.c.service_id.in_(ids))
        .group_by(service_at_location.c.service_id)
    ).all()
    covered = session.execute(
        select(ServiceArea.service_id, func.min(Deprivation.imd_decile))
        .join(Deprivation, Deprivation.lad_code == ServiceArea.lad_code)
        .where(ServiceArea.service_id.in_(ids))
        .group_by(ServiceArea.service_id)
    ).all()
    deciles: dict[int, int] = {}
    for service_id, decile in [*placed, *covered]:
        if decile is not None:
            deciles[service_id] = min(decile, deciles.get(service_id, 10))
    return deciles


def prioritised(
    session: DbSession, follow_ups: Sequence[FollowUp], config: Mapping[str, Any], *, now: datetime
) -> list[Priority]:
    """Listings with open follow-ups, most expected harm first (ties: the oldest evidence first)."""
    ids = sorted({f.service_id for f in follow_ups})
    deciles = _deciles(session, ids)
    since = (now - timedelta(days=365)).date()
    signposted = dict(
        session.execute(
            select(DemandEvent.service_id, func.count())
            .where(DemandEvent.kind == "signposting", DemandEvent.service_id.in_(ids), DemandEvent.occurred_on >= since)
            .group_by(DemandEvent.service_id)
        ).all()
    )  # fmt: skip
    by_listing: dict[int, list[FollowUp]] = defaultdict(list)
    for follow_up in sorted(follow_ups, key=lambda f: (f.created_at, f.id)):
        by_listing[follow_up.service_id].append(follow_up)
    unanswered = unanswered_counts(session, ids)
    closure = closure_likelihoods(session, ids, now=now)
    ratio, rates = unanswered_ratio(reply_rate(session, now=now)), outcome_rates(session, now=now)
    rows = []
    for service_id, evidence in by_listing.items():
        service = evidence[0].service
        decile = deciles.get(service_id)
        deprivation = (11 - decile) / 10 if decile else UNKNOWN_DEPRIVATION
        days = (now - service.last_verified_at).days if service.last_verified_at else None
        silences = unanswered.get(service_id, 0)
        likely = wrong_probability(days, [(f.reason, f.reported_by) for f in evidence], silences, ratio, rates)
        probability = likely.probability
        hidden = service.status == "closed" or any(f.sunk_at or f.reason == "reported-stopped" for f in evidence)
        if hidden:
            probability = 1 - closure[service_id].probability  # hidden or sunk: wrong if it is running
            weighed = probability
        else:
            closed = min(closure[service_id].probability, probability)
            weighed = closed + DETAIL_HARM * (probability - closed)
        count = int(signposted.get(service_id, 0))
        harm = weighed * (1 + math.log1p(count)) * deprivation
        if "no-email" in reasons_of(evidence) and not hidden:
            harm *= UNREACHABLE  # no reminder will settle it: only a call can
        reasons = tuple(dict.fromkeys(f.reason for f in evidence))
        rows.append(Priority(evidence[0], decile, days, count, round(harm, 4), probability, reasons,
                             tuple(questions(reasons)), tuple(likely.why), hidden))  # fmt: skip
    return sorted(rows, key=lambda p: (-p.harm, p.follow_up.created_at, p.follow_up.id))
