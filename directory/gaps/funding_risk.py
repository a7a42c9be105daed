"""Funding risk: live services whose funding ends soon, with the deprivation of the LSOAs they reach, so the
services whose loss would leave the most deprived areas without help are seen first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, cast

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree
from sqlalchemy import select

from geo.crs import to_bng

from ..core.clock import utcnow
from ..core.db import DbSession
from ..models import Deprivation, Lsoa, ServiceArea
from .editions import page_edition
from .live_services import live_services


@dataclass
class FundingRisk:
    service_id: int
    name: str
    organisation: str
    funded_until: date
    days_left: int
    areas: int
    most_deprived: int  # areas in IMD deciles 1-2
    worst_decile: int | None
    mean_decile: float | None
    categories: list[str]


def funding_risk(
    session: DbSession, config: Mapping[str, Any], *, days: int, today: date | None = None
) -> list[FundingRisk]:
    """Live services whose funding ends within ``days``, with the deprivation of the LSOAs in their reach.

    An LSOA is in reach when its centre is within ``GAP_RADIUS_M`` of one of the service's places, or
    it lies in a local authority the service covers as a whole.
    """
    today = today or utcnow().date()
    until = today + timedelta(days=days)
    services = live_services(session, config)
    services = services[services["funded_until"].notna()]
    services = services[(services["funded_until"] >= today) & (services["funded_until"] <= until)]
    if services.empty:
        return []
    edition = page_edition(session)
    lsoas = pd.DataFrame(
        session.execute(
            select(Lsoa.code, Lsoa.lad_code, Lsoa.x, Lsoa.y, Deprivation.imd_decile)
            .outerjoin(Deprivation, (Deprivation.lsoa_code == Lsoa.code) & (Deprivation.edition == Lsoa.edition))
            .where(Lsoa.edition == edition)
        ).all(),
        columns=["code", "lad_code", "x", "y", "decile"],
    )
    tree = cKDTree(lsoas[["x", "y"]].to_numpy(float)) if len(lsoas) else None
    area_lads: dict[int, set[str]] = {}
    for area_service, lad in session.execute(select(ServiceArea.service_id, ServiceArea.lad_code)):
        area_lads.setdefault(area_service, set()).add(lad)
    radius = float(config["GAP_RADIUS_M"])
    out = []
    for group_key, group in services.groupby("service_id"):
        service_id = int(cast(int, group_key))
        reach: set[int] = set()
        located = group.dropna(subset=["latitude", "longitude"]).drop_duplicates(["latitude", "longitude"])
        if tree is not None and len(located):
            x, y = to_bng(located["longitude"].to_numpy(float), located["latitude"].to_numpy(float))
            for hits in tree.query_ball_point(np.column_stack([x, y]), r=radius):
                reach.update(hits)
        lads = area_lads.get(service_id, set())
        if lads and len(lsoas):
            reach.update(np.flatnonzero(lsoas["lad_code"].isin(lads).to_numpy()).tolist())
        reached = pd.to_numeric(lsoas["decile"], errors="coerce").to_numpy(dtype=float)[sorted(reach)]
        deciles = reached[~np.isnan(reached)]
        first = group.iloc[0]
        funded_until = cast(date, first["funded_until"])
        out.append(
            FundingRisk(
                service_id=service_id, name=str(first["name"]), organisation=str(first["organisation"]),
                funded_until=funded_until, days_left=(funded_until - today).days, areas=len(reach),
                most_deprived=int((deciles <= 2).sum()), worst_decile=int(deciles.min()) if len(deciles) else None,
                mean_decile=round(float(deciles.mean()), 1) if len(deciles) else None,
                categories=sorted(set(group["category"])),
            )
        )  # fmt: skip
    return sorted(out, key=lambda r: (-r.most_deprived, r.days_left, r.name))
