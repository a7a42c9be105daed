"""Signposting sheets: the services chosen for a client, on paper, and the anonymous demand they record."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import segno
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from geo.distance import haversine_km
from geo.postcodes import InvalidPostcode, normalise_postcode

from ..core.clock import utcnow
from ..core.db import DbSession
from ..models import DemandEvent, Service
from .query import SearchError, locate

MAX_BASKET = 12
MAX_NOTE = 600


def basket_services(session: DbSession, ids: Sequence[int]) -> list[Service]:
    """The live services in a basket, in the order they were added."""
    if not ids:
        return []
    found = {
        s.id: s
        for s in session.scalars(
            select(Service).where(Service.id.in_(ids), Service.status.in_(("active", "paused")))
            .options(selectinload(Service.locations), selectinload(Service.schedules),
                     selectinload(Service.organization), selectinload(Service.categories))
        )
    }  # fmt: skip
    return [found[i] for i in ids if i in found]


def qr_code(url: str) -> str:
    """An SVG QR code of a listing's public page, as a data URI (no network, no files)."""
    return str(segno.make(url, error="m").svg_data_uri(scale=3, border=2))


@dataclass(frozen=True)
class ClientPlace:
    """Where the client's postcode put them, for the demand count and the sheet's distances.

    ``lsoa_code`` is counted and ``distances`` printed; the postcode itself is kept by neither. ``note`` says
    why distances are left out when a valid postcode could not be placed: the sheet is still made.
    """

    lsoa_code: str | None = None
    distances: dict[int, float] = field(default_factory=dict)
    note: str = ""


def place_client(session: DbSession, postcode_text: str, services: Sequence[Service]) -> ClientPlace:
    """Place a client's postcode for the sheet. A badly typed postcode raises SearchError (the worker can fix
    it); a valid one that cannot be placed (new, or outside the postcodes loaded) or a district alone never
    stops the sheet: it is made without distances, and the demand is counted without a neighbourhood."""
    if not postcode_text.strip():
        return ClientPlace()
    try:
        pcds = normalise_postcode(postcode_text, allow_outward_only=True)
    except InvalidPostcode as exc:
        raise SearchError("postcode", str(exc)) from None
    if " " not in pcds:
        return ClientPlace(note="Distances are left out: the postcode given was a district, not a full postcode.")
    try:
        origin = locate(session, pcds)
    except SearchError:
        # The note is printed: it names no postcode, since nothing about the client goes on paper unasked.
        return ClientPlace(note="Distances are left out: the postcode given is not in this directory's list of "
                                "postcodes (it may be new, or outside the areas loaded).")  # fmt: skip
    distances: dict[int, float] = {}
    for service in services:
        points = [(loc.latitude, loc.longitude) for loc in service.locations]
        placed = [haversine_km(origin.latitude, origin.longitude, lat, lon) for lat, lon in points
                  if lat is not None and lon is not None]  # fmt: skip
        if placed:
            distances[service.id] = min(placed)
    return ClientPlace(origin.lsoa_code, distances)


def _codes(service: Service) -> list[str | None]:
    return [t.code for t in service.categories] or [None]


def record_signposting(
    session: DbSession, services: Sequence[Service], *, lsoa_code: str | None, team: str, today: date | None = None
) -> int:
    """One anonymous event per service and category on the sheet."""
    day = today or utcnow().date()
    events = [
        DemandEvent(
            kind="signposting",
            category_code=code,
            service_id=service.id,
            lsoa_code=lsoa_code,
            occurred_on=day,
            team=team,
        )  # fmt: skip
        for service in services
        for code in _codes(service)
    ]
    session.add_all(events)
    return len(events)
