"""The services gap figures count: live (running) services whose listing is fresh or due for review, each
at its places and in its categories; and the ones nearest a point.

Provision, the map's service markers, the services an authority holds, funding risk and an area's
nearby services all read them from here, so they agree on what a live service is.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, cast

import numpy as np
import pandas as pd
from sqlalchemy import select

from geo.crs import to_bng

from ..core.clock import utcnow
from ..core.db import DbSession
from ..models import Location, Organization, Service, TaxonomyTerm, service_at_location, service_taxonomy
from .frames import query_frame

LIVE_SERVICE_COLUMNS = ["service_id", "name", "organisation", "category", "latitude", "longitude", "funded_until",
                        "freshness"]  # fmt: skip


def live_services(
    session: DbSession,
    config: Mapping[str, Any],
    now: datetime | None = None,
    *,
    category: str | None = None,
    bbox: tuple[float, float, float, float] | None = None,
) -> pd.DataFrame:
    """Every live (running) service whose listing is fresh or due for review, one row per location x category.

    Columns ``service_id``, ``name``, ``organisation``, ``category``, ``latitude``, ``longitude`` (missing for a
    service without a located place), ``funded_until``, ``freshness`` ("fresh" or "due"). ``category`` keeps
    one category; ``bbox`` (south, north, west, east in degrees) keeps only places inside it, and so only
    located services.
    """
    now = now or utcnow()
    # Fresh or due (listings/freshness.py): verified fewer whole days ago than the stale (and unverified) threshold.
    cutoff = now - timedelta(days=min(int(config["STALE_DAYS"]), int(config["UNVERIFIED_DAYS"])))
    in_category = (
        select(service_taxonomy.c.service_id)
        .join(TaxonomyTerm, TaxonomyTerm.id == service_taxonomy.c.taxonomy_term_id)
        .where(TaxonomyTerm.code == category)
    )
    query = (
        select(Service.id, Service.name, Organization.name, Service.last_verified_at, Service.funded_until)
        .join(Organization, Organization.id == Service.organization_id)
        .where(Service.status == "active", Service.last_verified_at > cutoff)
    )
    if category is not None:
        query = query.where(Service.id.in_(in_category))
    services = query_frame(session, query, ["service_id", "name", "organisation", "verified", "funded_until"])
    if services.empty:
        return pd.DataFrame(columns=LIVE_SERVICE_COLUMNS)
    age_days = (pd.Timestamp(now) - pd.to_datetime(services["verified"])).dt.days
    services["freshness"] = np.where(age_days >= int(config["FRESH_DAYS"]), "due", "fresh")
    terms = select(service_taxonomy.c.service_id, TaxonomyTerm.code).join(
        TaxonomyTerm, TaxonomyTerm.id == service_taxonomy.c.taxonomy_term_id
    )
    if category is not None:
        terms = terms.where(TaxonomyTerm.code == category)
    categories = query_frame(session, terms, ["service_id", "category"])
    located = (
        select(service_at_location.c.service_id, Location.latitude, Location.longitude)
        .join(Location, Location.id == service_at_location.c.location_id)
        .where(Location.latitude.is_not(None), Location.longitude.is_not(None))
    )
    if bbox is not None:
        south, north, west, east = bbox
        located = located.where(Location.latitude.between(south, north), Location.longitude.between(west, east))
        if category is not None:
            located = located.where(service_at_location.c.service_id.in_(in_category))
    places = query_frame(session, located, ["service_id", "latitude", "longitude"])
    rows = categories.merge(services, on="service_id")
    rows = rows.merge(places, on="service_id", how="inner" if bbox is not None else "left")
    return rows[LIVE_SERVICE_COLUMNS].reset_index(drop=True)


def services_near(
    session: DbSession, config: Mapping[str, Any], x: float, y: float, *, limit: int = 20, category: str | None = None
) -> list[dict[str, Any]]:
    """Live, fresh located services nearest a point (British National Grid), with their distance in metres."""
    services = live_services(session, config).dropna(subset=["latitude", "longitude"])
    if category:
        services = services[services["category"] == category]
    if services.empty:
        return []
    sx, sy = to_bng(services["longitude"].to_numpy(float), services["latitude"].to_numpy(float))
    services = services.assign(distance_m=np.hypot(sx - x, sy - y))
    services = services.sort_values("distance_m").drop_duplicates(["service_id", "category"])
    grouped = services.groupby("service_id", sort=False).agg(
        name=("name", "first"), organisation=("organisation", "first"), distance_m=("distance_m", "min"),
        categories=("category", lambda c: sorted(set(c))),
    )  # fmt: skip
    grouped = grouped.sort_values("distance_m").head(limit)
    records = cast(list[dict[str, Any]], grouped.to_dict("records"))
    return [{"service_id": int(i), **row} for i, row in zip(grouped.index, records, strict=True)]
