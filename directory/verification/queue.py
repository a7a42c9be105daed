"""Which listings staff should check first: where a wrong listing would do most harm.

harm = deprivation reached × staleness × (1 + ln(1 + signpostings in the last year)), where
- deprivation reached is (11 − the most deprived IMD decile among the LSOAs the service is in or covers) / 10,
  so decile 1 counts 1.0 and decile 10 counts 0.1 (0.5 when no deprivation figures are loaded);
- staleness is days since last verified ÷ the stale threshold, capped at 3 (3 when never verified);
- signpostings are the anonymous signposting events for the service.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from ..core.db import DbSession
from ..models import DemandEvent, Location, ServiceArea, service_at_location
from ..models.gaps import Deprivation
from ..models.verification import FollowUp

UNKNOWN_DEPRIVATION = 0.5
MAX_STALENESS = 3.0


@dataclass(frozen=True)
class Priority:
    follow_up: FollowUp
    decile: int | None
    days_since_verified: int | None
    signposted: int
    harm: float

    @property
    def reasons(self) -> str:
        reach = f"reaches IMD decile {self.decile}" if self.decile else "deprivation not known"
        checked = (
            f"verified {self.days_since_verified} days ago"
            if self.days_since_verified is not None
            else "never verified"
        )
        return f"{reach}; {checked}; signposted {self.signposted} times in a year"


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
    """Open follow-ups, most harmful first (ties: the oldest first)."""
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
    stale_days = float(config["STALE_DAYS"])
    rows = []
    for follow_up in follow_ups:
        service = follow_up.service
        decile = deciles.get(service.id)
        deprivation = (11 - decile) / 10 if decile else UNKNOWN_DEPRIVATION
        days = (now - service.last_verified_at).days if service.last_verified_at else None
        staleness = MAX_STALENESS if days is None else min(MAX_STALENESS, max(days, 0) / stale_days)
        count = int(signposted.get(service.id, 0))
        harm = deprivation * staleness * (1 + math.log1p(count))
        rows.append(Priority(follow_up, decile, days, count, round(harm, 4)))
    return sorted(rows, key=lambda p: (-p.harm, p.follow_up.created_at, p.follow_up.id))
