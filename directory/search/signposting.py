"""Signposting sheets: the services chosen for a client, on paper, and the anonymous demand they record."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import segno
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..core.clock import utcnow
from ..core.db import DbSession
from ..models import DemandEvent, Service
from .query import locate

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


def client_lsoa(session: DbSession, postcode_text: str) -> str | None:
    """The LSOA of a client's postcode, for the demand count; the postcode itself is not kept."""
    if not postcode_text.strip():
        return None
    origin = locate(session, postcode_text)  # SearchError names a bad or unknown postcode
    return origin.lsoa_code


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
