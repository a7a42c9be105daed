"""Listings as Open Referral UK (HSDS 3.0 profile) JSON, and as flat export rows.

Only public fields go out (never internal or funding notes, who verified, or waiting-time
reporters). Ids are UUIDs that encode our integer ids, so they are stable and reversible:
``{parent:08x}-{kind}-8000-8000-{id:012x}`` (version 8, "custom"). What the standard does not
model (waiting time, capacity, funding status and end date, eligibility by gender, referral routes,
phones in this profile) goes out in the ``x_asset_directory`` extension object; extra properties
are allowed by the published schemas, so conformance holds. See docs/oruk.md.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from scrapers.oruk import CATEGORY_TAXONOMY, EXTENSION, STATUS_OUT

from ..core.validation import AREA_HINTS, url_for_others
from ..models import Location, Organization, Schedule, Service, TaxonomyTerm

# What the API root answers: the ORUK validator reads the profile from ``version`` ("HSDS-UK-3.0"; a feed that
# says nothing is judged as version 1) and the OpenAPI description from ``openapi_url``.
VERSION = "HSDS-UK-3.0"
PROFILE = "https://openreferraluk.org/specifications/3.0/"
OPENAPI = "https://openreferraluk.org/specifications/3.0/openapi.json"
KINDS = {
    "service": "5e71", "organization": "0e9a", "location": "10ca", "service_at_location": "5a10",
    "schedule": "5c4e", "contact": "c0a7", "phone": "9407", "taxonomy_term": "7e12", "taxonomy": "7a40",
    "address": "addd", "service_area": "a4ea", "attribute": "a771", "funding": "f0d1", "cost_option": "c057",
    "language": "1a96", "accessibility": "acce",
}  # fmt: skip
UUID = re.compile(r"^([0-9a-f]{8})-([0-9a-f]{4})-8000-8000-([0-9a-f]{12})$")


def oruk_id(kind: str, number: int, parent: int = 0) -> str:
    """Our integer id as a stable UUID for ``kind`` (see the module docstring)."""
    return f"{parent:08x}-{KINDS[kind]}-8000-8000-{number:012x}"


def parse_id(kind: str, value: str) -> tuple[int, int] | None:
    """(id, parent) from an id made by :func:`oruk_id`, or None if it is not one of ours of that kind."""
    match = UUID.match(value.lower())
    if not match or match.group(2) != KINDS[kind]:
        return None
    return int(match.group(3), 16), int(match.group(1), 16)


def iso(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def organization_json(org: Organization) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": oruk_id("organization", org.id),
        "name": org.name,
        "description": org.description or "",
    }
    if org.email:
        data["email"] = org.email
    if org.website:
        data["website"] = url_for_others(org.website)
    if org.phone:
        data["phones"] = [{"id": oruk_id("phone", org.id, 1), "number": org.phone}]
    if org.charity_number:
        data["organization_identifiers"] = [
            {
                "id": oruk_id("attribute", org.id, 2),
                "organization_id": oruk_id("organization", org.id),
                "identifier_scheme": "GB-CHC",
                "identifier_type": "Charity number",
                "identifier": org.charity_number,
            }
        ]
    data[EXTENSION] = {"sector": org.sector}
    return data


def term_json(term: TaxonomyTerm) -> dict[str, Any]:
    return {
        "id": oruk_id("taxonomy_term", term.id),
        "name": term.name,
        "description": term.description or term.name,
        "taxonomy": CATEGORY_TAXONOMY,
        "taxonomy_id": oruk_id("taxonomy", 1),
        "term": term.code,
        "code": term.code,
    }


def location_json(location: Location) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": oruk_id("location", location.id),
        "location_type": "physical",
        "name": location.name,
    }
    if location.latitude is not None and location.longitude is not None:
        data["latitude"], data["longitude"] = location.latitude, location.longitude
    areas = {name: code for name in AREA_HINTS if (code := getattr(location, name))}
    if areas:  # what a directory without this one's postcode table needs to place it (scrapers.points.area_codes)
        data[EXTENSION] = areas
    if location.accessibility:
        data["accessibility"] = [
            {"id": oruk_id("accessibility", n, location.id), "location_id": oruk_id("location", location.id),
             "description": note}
            for n, note in enumerate(location.accessibility, start=1)
        ]  # fmt: skip
    if location.address_1 or location.city or location.postcode:
        data["addresses"] = [
            {
                "id": oruk_id("address", location.id),
                "location_id": oruk_id("location", location.id),
                "address_1": location.address_1,
                "city": location.city,
                "state_province": "",
                "postal_code": location.postcode or "",
                "country": "GB",
                "address_type": "physical",
            }
        ]
    return data


def basic_service_json(service: Service) -> dict[str, Any]:
    """The one-to-one fields (what /services lists)."""
    data: dict[str, Any] = {
        "id": oruk_id("service", service.id),
        "organization_id": oruk_id("organization", service.organization_id),
        "name": service.name,
        "description": service.description or "",
        "status": STATUS_OUT.get(service.status, "active"),
        "fees": service.cost_description,
        "organization": organization_json(service.organization),
    }
    if service.url:
        data["url"] = url_for_others(service.url)
    if service.email:
        data["email"] = service.email
    if service.eligibility_conditions:
        data["eligibility_description"] = service.eligibility_conditions  # HSDS 3.0 core; extra in this profile
    if service.minimum_age is not None:
        data["minimum_age"] = service.minimum_age
    if service.maximum_age is not None:
        data["maximum_age"] = service.maximum_age
    if service.last_verified_at:
        data["assured_date"] = service.last_verified_at.date().isoformat()
    data["last_modified"] = iso(service.updated_at)
    return data


def _extension(service: Service) -> dict[str, Any]:
    wait = service.latest_wait
    return {
        "is_free": service.is_free,
        "gender": service.gender,
        "eligibility_conditions": service.eligibility_conditions,
        "referral_routes": list(service.referral_routes or []),
        "referral_form_url": url_for_others(service.referral_form_url),
        "languages": list(service.languages or []),
        "accessibility": list(service.accessibility or []),
        "delivery_modes": list(service.delivery_modes or []),
        "capacity": service.capacity,
        "funding_status": service.funding_status,
        "funder": service.funder,
        "funded_until": service.funded_until.isoformat() if service.funded_until else None,
        "waiting_time": {"weeks": wait.weeks, "reported_at": iso(wait.reported_at)} if wait else None,
        "phone": service.phone,
        "verified_at": iso(service.last_verified_at),
    }


def schedule_json(s: Schedule, sid: int) -> dict[str, Any]:
    """A session as an ORUK schedule: the RFC 5545 rule in fields (freq, interval, byday such as 1TU or -1FR)."""
    data: dict[str, Any] = {"id": oruk_id("schedule", s.id, sid), "service_id": oruk_id("service", sid)}
    if s.by_appointment or not (s.byday or s.bymonthday):
        data["notes"] = "By appointment"
    else:
        data.update({"freq": s.freq or "WEEKLY", "interval": s.interval or 1})
        if s.byday:
            data["byday"] = f"{s.week_of_month}{s.byday}" if s.freq == "MONTHLY" and s.week_of_month else s.byday
        if s.bymonthday and s.freq == "MONTHLY":
            data["bymonthday"] = str(s.bymonthday)
    for name in ("dtstart", "valid_from", "valid_to"):
        if (value := getattr(s, name)) is not None:
            data[name] = value.isoformat()
    if s.opens_at:
        data["opens_at"] = s.opens_at.strftime("%H:%M")
    if s.closes_at:
        data["closes_at"] = s.closes_at.strftime("%H:%M")
    data["description"] = s.description
    if s.except_dates:
        data[EXTENSION] = {"except_dates": list(s.except_dates)}
    return data


def service_json(service: Service) -> dict[str, Any]:
    """A fully nested ORUK service with only public fields."""
    sid = service.id
    data = basic_service_json(service)
    data["schedules"] = [schedule_json(s, sid) for s in service.schedules]
    data["service_areas"] = [
        {
            "id": oruk_id("service_area", a.id, sid),
            "service_id": oruk_id("service", sid),
            "name": a.lad_code,
            "extent": a.lad_code,
            "extent_type": "ons-lad-code",
            "uri": f"http://statistics.data.gov.uk/id/statistical-geography/{a.lad_code}",
        }
        for a in service.service_areas
    ]
    data["service_at_locations"] = [
        {
            "id": oruk_id("service_at_location", loc.id, sid),
            "service_id": oruk_id("service", sid),
            "location_id": oruk_id("location", loc.id),
            "location": location_json(loc),
        }
        for loc in sorted(service.locations, key=lambda loc: loc.id)
    ]
    data["languages"] = [
        {"id": oruk_id("language", n, sid), "service_id": oruk_id("service", sid), "name": name}
        for n, name in enumerate(service.languages or [], start=1)
    ]
    data["funding"] = (
        [{"id": oruk_id("funding", sid), "service_id": oruk_id("service", sid), "source": service.funder}]
        if service.funder
        else []
    )
    data["cost_options"] = (
        [{"id": oruk_id("cost_option", sid), "service_id": oruk_id("service", sid), "option": "Free", "amount": 0}]
        if service.is_free
        else []
    )
    data["contacts"] = [
        {
            "id": oruk_id("contact", c.id, sid),
            "service_id": oruk_id("service", sid),
            "name": c.name,
            "title": c.title,
            **({"email": c.email} if c.email else {}),
            **({"phones": [{"id": oruk_id("phone", c.id, sid), "number": c.phone}]} if c.phone else {}),
        }
        for c in service.contacts
    ]
    if service.phone:
        data["phones"] = [{"id": oruk_id("phone", sid), "number": service.phone}]
    data["attributes"] = [
        {
            "id": oruk_id("attribute", term.id, sid),
            "link_id": oruk_id("service", sid),
            "link_type": "service",
            "taxonomy_term_id": oruk_id("taxonomy_term", term.id),
            "taxonomy_term": term_json(term),
        }
        for term in service.categories
    ]
    data[EXTENSION] = _extension(service)
    return data


EXPORT_COLUMNS = (
    "id", "name", "organisation", "status", "description", "url", "email", "phone", "categories", "address",
    "city", "postcode", "latitude", "longitude", "minimum_age", "maximum_age", "cost", "capacity",
    "waiting_weeks", "funding_status", "funded_until", "assured_date", "last_modified",
)  # fmt: skip


def export_row(s: Service) -> dict[str, Any]:
    """One public listing as a flat row of ``EXPORT_COLUMNS`` (its first place, if any, and latest wait)."""
    loc = min(s.locations, key=lambda x: x.id) if s.locations else None
    wait = s.latest_wait
    return (
    {
        "id": oruk_id("service", s.id), "name": s.name, "organisation": s.organization.name,
        "status": STATUS_OUT.get(s.status, "active"), "description": s.description, "url": url_for_others(s.url) or "",
        "email": s.email or "", "phone": s.phone or "",
        "categories": "; ".join(t.code for t in s.categories),
        "address": loc.address_1 if loc else "", "city": loc.city if loc else "",
        "postcode": (loc.postcode or "") if loc else "",
        "latitude": loc.latitude if loc else None, "longitude": loc.longitude if loc else None,
        "minimum_age": s.minimum_age, "maximum_age": s.maximum_age,
        "cost": "Free" if s.is_free else s.cost_description, "capacity": s.capacity,
        "waiting_weeks": wait.weeks if wait else None, "funding_status": s.funding_status,
        "funded_until": s.funded_until.isoformat() if s.funded_until else "",
        "assured_date": s.last_verified_at.date().isoformat() if s.last_verified_at else "",
        "last_modified": iso(s.updated_at),
    }
    )  # fmt: skip
