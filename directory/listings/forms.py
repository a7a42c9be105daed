"""Turning submitted HTML forms into the plain values the domain operations take."""

from __future__ import annotations

from typing import Any

from werkzeug.datastructures import MultiDict

from .rules import STAFF_ONLY_FIELDS

SERVICE_TEXT_FIELDS = (
    "name", "description", "url", "email", "phone", "status", "minimum_age", "maximum_age",
    "gender", "eligibility_conditions", "cost_description", "referral_form_url", "capacity",
    "funding_status", "funder", "funded_until", "funding_notes", "internal_notes",
    "last_verified_at", "verified_by", "verified_how", "organization_id",
)  # fmt: skip
SERVICE_LIST_FIELDS = ("referral_routes", "accessibility", "delivery_modes", "categories")
ORGANIZATION_FIELDS = ("name", "description", "sector", "charity_number", "website", "email", "phone")

ROWS = {
    "locations": ("name", "address_1", "city", "postcode", "accessibility"),
    "schedules": (
        "byday",
        "opens_at",
        "closes_at",
        "by_appointment",
        "description",
        "week_of_month",
        "bymonthday",
        "interval",
        "dtstart",
        "valid_from",
        "valid_to",
        "except_dates",
    ),
    "contacts": ("name", "title", "phone", "email"),
}


def _rows(form: MultiDict[str, str], prefix: str, names: tuple[str, ...]) -> list[dict[str, Any]]:
    rows = []
    index = 0
    while f"{prefix}-{index}-{names[0]}" in form or f"{prefix}-{index}-{names[1]}" in form:
        row = {name: form.get(f"{prefix}-{index}-{name}", "") for name in names}
        if any(str(value).strip() for value in row.values()):
            rows.append(row)
        index += 1
    return rows


def service_changes(form: MultiDict[str, str], *, staff: bool) -> dict[str, Any]:
    """Every field the service form shows; a group editor's form has no staff-only fields."""
    changes: dict[str, Any] = {name: form.get(name, "") for name in SERVICE_TEXT_FIELDS}
    changes["is_free"] = form.get("is_free") == "yes"
    for name in SERVICE_LIST_FIELDS:
        changes[name] = form.getlist(name)
    changes["languages"] = form.get("languages", "")
    changes["service_areas"] = form.get("service_areas", "")
    for prefix, names in ROWS.items():
        changes[prefix] = _rows(form, prefix, names)
    if not staff:
        for name in STAFF_ONLY_FIELDS | {"organization_id"}:
            changes.pop(name, None)
    return changes


def organization_changes(form: MultiDict[str, str]) -> dict[str, Any]:
    return {name: form.get(name, "") for name in ORGANIZATION_FIELDS}


def expected_version(form: MultiDict[str, str]) -> int:
    value = form.get("version", "")
    return int(value) if value.isdigit() else -1
