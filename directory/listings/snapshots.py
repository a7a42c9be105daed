"""Listings as plain JSON-ready dicts (what a revision keeps) and back onto models."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import select

from ..core.db import DbSession
from ..models import Contact, Location, Organization, Postcode, Schedule, Service, ServiceArea, TaxonomyTerm
from .postcodes import own_point

SERVICE_SCALARS = (
    "organization_id", "name", "description", "url", "email", "phone", "status", "paused_until",
    "minimum_age", "maximum_age", "gender", "eligibility_conditions", "is_free",
    "cost_description", "referral_routes", "referral_form_url", "referral_form_file", "languages", "accessibility",
    "delivery_modes", "capacity", "funding_status", "funder", "funded_until", "funding_notes",
    "internal_notes", "last_verified_at", "verified_by", "verified_how",
)  # fmt: skip
ORGANIZATION_SCALARS = (
    "name", "description", "sector", "charity_number", "website", "email", "phone", "archived",
)  # fmt: skip


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, list):
        return list(value)
    return value


def service_snapshot(service: Service) -> dict[str, Any]:
    snapshot = {name: _plain(getattr(service, name)) for name in SERVICE_SCALARS}
    snapshot["categories"] = sorted(term.code for term in service.categories)
    snapshot["service_areas"] = [area.lad_code for area in service.service_areas]
    snapshot["locations"] = [
        {
            "name": loc.name,
            "address_1": loc.address_1,
            "city": loc.city,
            "postcode": loc.postcode,
            "accessibility": list(loc.accessibility or []),
        }
        for loc in sorted(service.locations, key=lambda loc: loc.id or 0)
    ]
    snapshot["schedules"] = [schedule_plain(s) for s in service.schedules]
    snapshot["contacts"] = [
        {"name": c.name, "title": c.title, "phone": c.phone, "email": c.email} for c in service.contacts
    ]
    return snapshot


def schedule_plain(s: Schedule) -> dict[str, Any]:
    """A session as the snapshot (and validation) keeps it: times HH:MM, dates ISO."""
    return {
        "byday": s.byday,
        "opens_at": s.opens_at.strftime("%H:%M") if s.opens_at else None,
        "closes_at": s.closes_at.strftime("%H:%M") if s.closes_at else None,
        "by_appointment": s.by_appointment,
        "description": s.description,
        "freq": s.freq or "WEEKLY",
        "interval": s.interval or 1,
        "week_of_month": s.week_of_month,
        "bymonthday": s.bymonthday,
        "dtstart": _plain(s.dtstart),
        "valid_from": _plain(s.valid_from),
        "valid_to": _plain(s.valid_to),
        "except_dates": list(s.except_dates or []),
    }


def schedule_columns(cleaned: dict[str, Any]) -> dict[str, Any]:
    """A cleaned session as Schedule columns; a snapshot from before monthly rules has weekly defaults."""

    def day(name: str) -> date | None:
        return date.fromisoformat(cleaned[name]) if cleaned.get(name) else None

    def hour(name: str) -> time | None:
        return time.fromisoformat(cleaned[name]) if cleaned.get(name) else None

    return {
        "byday": cleaned.get("byday"),
        "opens_at": hour("opens_at"),
        "closes_at": hour("closes_at"),
        "by_appointment": bool(cleaned.get("by_appointment")),
        "description": cleaned.get("description") or "",
        "freq": cleaned.get("freq") or "WEEKLY",
        "interval": cleaned.get("interval") or 1,
        "week_of_month": cleaned.get("week_of_month"),
        "bymonthday": cleaned.get("bymonthday"),
        "dtstart": day("dtstart"),
        "valid_from": day("valid_from"),
        "valid_to": day("valid_to"),
        "except_dates": list(cleaned.get("except_dates") or []),
    }


def organization_snapshot(organization: Organization) -> dict[str, Any]:
    return {name: _plain(getattr(organization, name)) for name in ORGANIZATION_SCALARS}


Places = dict[tuple[Any, Any, Any], Location]


def apply_service(session: DbSession, service: Service, values: dict[str, Any], places: Places | None = None) -> None:
    """Set cleaned values on a service, replacing its related rows where given. ``places``: the places made or
    found so far by a batch of saves flushed together (``bulk_update.update_many``), so a place two of them give
    is one place, as it is when each save is flushed before the next."""
    for name in SERVICE_SCALARS:
        if name in values:
            setattr(service, name, values[name])
    if "categories" in values:
        codes = values["categories"]
        terms = session.scalars(select(TaxonomyTerm).where(TaxonomyTerm.code.in_(codes))).all()
        service.categories = sorted(terms, key=lambda t: t.name)
    if "service_areas" in values:
        service.service_areas = [ServiceArea(lad_code=code) for code in values["service_areas"]]
    if "schedules" in values:
        service.schedules = [Schedule(**schedule_columns(s)) for s in values["schedules"]]
    if "contacts" in values:
        service.contacts = [Contact(**c) for c in values["contacts"]]
    if "locations" in values:
        service.locations = [find_or_make_location(session, loc, places) for loc in values["locations"]]


def find_or_make_location(session: DbSession, fields: dict[str, Any], places: Places | None = None) -> Location:
    """Reuse a location with the same name, address and postcode; else place a new one. A place's own coordinates
    (a feed's) are kept, on a reused place too; else it is placed from its postcode (``postcodes.own_point``)."""
    key = (fields["name"], fields["address_1"], fields["postcode"])
    existing = (places or {}).get(key) or session.scalars(
        select(Location).where(
            Location.name == fields["name"],
            Location.address_1 == fields["address_1"],
            Location.postcode == fields["postcode"],
        )
    ).first()
    own = fields.get("latitude") is not None
    if existing is not None and (
        not own or (existing.latitude, existing.longitude) == (fields["latitude"], fields["longitude"])
    ):
        # A place's accessibility belongs to the place: the newest word on it stands for every service there.
        if "accessibility" in fields and list(existing.accessibility or []) != fields["accessibility"]:
            existing.accessibility = list(fields["accessibility"])
        if existing.lad_code is None and fields.get("lad_code"):
            existing.lsoa_code, existing.lad_code = fields.get("lsoa_code"), fields["lad_code"]
        return _kept(places, key, existing)
    from_postcode = None
    if fields["postcode"]:
        found = session.get(Postcode, fields["postcode"].replace(" ", ""))
        if found is not None:
            from_postcode = {"latitude": found.latitude, "longitude": found.longitude,
                             "lsoa_code": found.lsoa_code, "lad_code": found.lad_code}  # fmt: skip
    location = existing or Location(**fields)
    for name, value in own_point(session, fields, from_postcode).items():
        setattr(location, name, value)
    session.add(location)
    return _kept(places, key, location)


def _kept(places: Places | None, key: tuple[Any, Any, Any], location: Location) -> Location:
    if places is not None:
        places[key] = location
    return location
