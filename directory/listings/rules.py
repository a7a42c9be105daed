"""What a listing may hold: the fields of services and organisations, how each is cleaned, their defaults, the
rules that span fields, and the fields only staff may set."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..core import validation as v
from ..core import vocab
from ..core.db import DbSession
from ..models import Organization, Service, TaxonomyTerm
from .referral_forms import STORED_NAME

SERVICE_SPEC: dict[str, v.Cleaner] = {
    "organization_id": lambda x: int(x) if str(x).isdigit() else v.refuse("Choose an organisation."),
    "name": v.text(255, required=True),
    "description": v.text(10_000),
    "url": v.url,
    "email": v.email,
    "phone": v.phone,
    "status": v.one_of(vocab.SERVICE_STATUSES),
    "paused_until": v.a_date,
    "minimum_age": v.age,
    "maximum_age": v.age,
    "gender": v.one_of(vocab.GENDERS),
    "eligibility_conditions": v.text(2_000),
    "is_free": v.boolean,
    "cost_description": v.text(2_000),
    "referral_routes": v.some_of(vocab.REFERRAL_ROUTES),
    "referral_form_url": v.url,
    "referral_form_file": lambda x: None if v._blank(x) else _stored_form(x),
    "languages": v.words,
    "accessibility": v.some_of(vocab.ACCESSIBILITY),
    "delivery_modes": v.some_of(vocab.DELIVERY_MODES),
    "capacity": v.one_of(vocab.CAPACITY),
    "funding_status": v.one_of(vocab.FUNDING_STATUSES),
    "funder": v.text(255),
    "funded_until": v.a_date,
    "funding_notes": v.text(5_000),
    "internal_notes": v.text(5_000),
    "last_verified_at": v.a_datetime,
    "verified_by": v.text(255),
    "verified_how": lambda x: "" if v._blank(x) else v.one_of(vocab.VERIFICATION_METHODS)(x),
    "categories": lambda x: sorted(set(v.words(x))),
    "service_areas": v.lad_codes,
    "locations": v.locations,
    "schedules": v.schedules,
    "contacts": v.contacts,
}
SERVICE_DEFAULTS: dict[str, Any] = {
    "status": "active",
    "gender": "any",
    "capacity": "accepting",
    "funding_status": "unknown",
    "is_free": True,
}

ORGANIZATION_SPEC: dict[str, v.Cleaner] = {
    "name": v.text(255, required=True),
    "description": v.text(10_000),
    "sector": v.one_of(vocab.SECTORS),
    "charity_number": v.optional_text(32),
    "website": v.url,
    "email": v.email,
    "phone": v.phone,
    "archived": v.boolean,
}
ORGANIZATION_DEFAULTS: dict[str, Any] = {"sector": "community", "archived": False}


def _stored_form(value: Any) -> str:
    if not STORED_NAME.match(str(value)):
        raise ValueError(f"{value!r} is not a stored referral form.")
    return str(value)


def clean_wait(weeks: Any) -> int:
    """A reported wait in whole weeks, 0 to 520: what ``operations.report_waiting_time`` and an import accept.

    Raises ``ValidationFailed`` naming ``weeks``.
    """
    try:
        number = int(weeks)
    except (TypeError, ValueError):
        raise v.ValidationFailed({"weeks": f"{weeks!r} is not a whole number of weeks."}) from None
    if not 0 <= number <= 520:
        raise v.ValidationFailed({"weeks": "A wait must be between 0 and 520 weeks."})
    return number


def check_service_rules(session: DbSession, values: dict[str, Any], current: Service | None) -> None:
    """Rules that span fields or need the database; every failure is named."""
    errors: dict[str, str] = {}
    minimum = values.get("minimum_age", current.minimum_age if current else None)
    maximum = values.get("maximum_age", current.maximum_age if current else None)
    if minimum is not None and maximum is not None and minimum > maximum:
        errors["maximum_age"] = "The upper age must not be below the lower age."
    if "organization_id" in values and session.get(Organization, values["organization_id"]) is None:
        errors["organization_id"] = f"There is no organisation {values['organization_id']}."
    if "categories" in values:
        known = set(session.scalars(select(TaxonomyTerm.code).where(TaxonomyTerm.code.in_(values["categories"]))))
        missing = [c for c in values["categories"] if c not in known]
        if missing:
            errors["categories"] = f"Unknown categories: {', '.join(missing)}."
    if values.get("is_free") is False and not values.get(
        "cost_description", current.cost_description if current else ""
    ):
        errors["cost_description"] = "Say what it costs when it is not free."
    if errors:
        raise v.ValidationFailed(errors)


# Fields only staff may set: a group editor neither sees nor changes them.
STAFF_ONLY_FIELDS = frozenset(
    {
        "internal_notes",
        "funding_notes",
        "last_verified_at",
        "verified_by",
        "verified_how",
        "status",
        "paused_until",
        "archived",
    }
)
