"""A source's record in the write path's terms: the listing's values, its organisation's, its wait; which
fields a record changes; and how a refusal is worded in a run's report.

Pure functions of a record (no database): the record writer, new listings and lookalikes share them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from typing import Any

from scrapers import ServiceRecord

from ..core import validation as v
from ..listings import rules
from ..listings.snapshots import _plain
from ..models.imports import ImportSource


def service_values(
    record: ServiceRecord, source: ImportSource, known: set[str], note: Callable[[str], None]
) -> dict[str, Any]:
    """The write path's values for a record: only what the source says, in the snapshot's shapes."""
    values: dict[str, Any] = {"name": record.name}
    simple = (
        "description", "url", "email", "phone", "status", "minimum_age", "maximum_age", "gender",
        "eligibility_conditions", "is_free", "cost_description", "referral_form_url", "capacity",
        "funding_status", "funder", "funded_until",
    )  # fmt: skip
    for name in simple:
        value = getattr(record, name)
        if value is not None:
            values[name] = value
    for name in ("referral_routes", "languages", "accessibility", "delivery_modes", "service_areas"):
        value = getattr(record, name)
        if value is not None:
            values[name] = list(value)
    if record.categories is not None:
        unknown = [c for c in record.categories if c not in known]
        if unknown:
            note(f"{record.where}: categories not in this directory, left off: {', '.join(unknown)}")
        values["categories"] = [c for c in record.categories if c in known]
    if record.unmapped_terms:
        note(f"{record.where}: taxonomy terms with no category: {', '.join(record.unmapped_terms)}")
    if record.locations is not None:
        values["locations"] = [
            {
                "name": loc.name,
                "address_1": loc.address_1,
                "city": loc.city,
                "postcode": loc.postcode,
                "accessibility": list(loc.accessibility),
            }
            | ({"latitude": loc.latitude, "longitude": loc.longitude} if loc.latitude is not None else {})
            | {name: code for name in v.AREA_HINTS if (code := getattr(loc, name))}
            for loc in record.locations
        ]
    if record.schedules is not None:
        values["schedules"] = [{**asdict(s), "except_dates": list(s.except_dates)} for s in record.schedules]
    if record.contacts is not None:
        values["contacts"] = [
            {"name": c.name, "title": c.title, "phone": c.phone, "email": c.email} for c in record.contacts
        ]
    if record.assured_date:
        values["last_verified_at"] = record.assured_date.rstrip("Z")[:19]
        values["verified_how"] = "import"
        values["verified_by"] = f"import: {source.name}"[:255]
    return values


def wait_of(record: ServiceRecord) -> tuple[int, datetime | None] | None:
    """The record's reported wait (weeks, when reported), checked as the write path checks it; None if it gives none."""
    if record.waiting_weeks is None:
        return None
    reported = v.a_datetime(record.waiting_reported_at) if record.waiting_reported_at else None
    return rules.clean_wait(record.waiting_weeks), reported


def organisation_name(record: ServiceRecord) -> str:
    """The name of the record's organisation; a record without one is its own organisation."""
    return record.organisation.name if record.organisation is not None else record.name


def organisation_values(record: ServiceRecord) -> dict[str, Any]:
    """The write path's values for the record's organisation: only what the source says."""
    org = record.organisation
    values: dict[str, Any] = {"name": organisation_name(record)}
    if org is not None:
        fields = ("description", "website", "email", "phone", "charity_number", "sector")
        values.update({k: getattr(org, k) for k in fields if getattr(org, k) not in (None, "")})
    return values


def refusal(exc: Exception) -> str:
    """Why a record was refused, as a run's report names it: every bad field, or the error's own words."""
    if isinstance(exc, v.ValidationFailed):
        return "; ".join(f"{field}: {message}" for field, message in exc.errors.items())
    return str(exc)


def changed_fields(values: dict[str, Any], cleaned: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    """The record's values that differ from the listing's snapshot ``before`` (lists of codes in any order)."""
    changes: dict[str, Any] = {}
    for name, value in cleaned.items():
        plain = [_plain(x) for x in value] if isinstance(value, list) else _plain(value)
        if name in ("categories", "service_areas", "languages"):
            same = sorted(plain or []) == sorted(before.get(name) or [])
        else:
            same = plain == before.get(name)
        if not same:
            changes[name] = values[name]
    return changes


def same_places(cleaned: list[dict[str, Any]], rows: list[Any]) -> bool:
    """Whether a record's cleaned places are the listing's place rows, coordinates included (the listing's
    snapshot leaves them out, so a place whose feed coordinates moved is a change, and one whose did not is not).
    A feed's area codes are hints: they change a place only when it has no areas of its own yet."""
    ordered = sorted(rows, key=lambda row: row.id or 0)
    return len(cleaned) == len(ordered) and all(
        all(
            getattr(row, name) is not None if name in v.AREA_HINTS else getattr(row, name) == value
            for name, value in place.items()
        )
        for place, row in zip(cleaned, ordered, strict=True)
    )
