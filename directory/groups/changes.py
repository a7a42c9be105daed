"""A group's changes to its own listings: published at once, or held for staff review by field group
(``DIRECTORY_GROUP_REVIEW_FIELDS``); the review queue's diffs, approval through the write path, and rejection."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import select

from ..core import validation as v
from ..core import writes
from ..core.clock import utcnow
from ..core.db import DbSession
from ..core.labels import field_label
from ..listings import checks, operations, rules
from ..listings.snapshots import organization_snapshot, service_snapshot
from ..models.groups import PendingChange
from .links import GroupAccess, own_organization, own_service

# Which fields belong to which field group; DIRECTORY_GROUP_REVIEW_FIELDS names the groups held for review.
FIELD_GROUPS: dict[str, tuple[str, ...]] = {
    "details": (
        "name", "description", "categories", "minimum_age", "maximum_age", "gender", "eligibility_conditions",
        "is_free", "cost_description", "referral_routes", "referral_form_url", "languages", "accessibility",
        "delivery_modes",
    ),
    "contact": ("url", "email", "phone", "contacts"),
    "sessions": ("schedules", "locations", "service_areas"),
    "capacity": ("capacity",),
    "funding": ("funding_status", "funder", "funded_until"),
}  # fmt: skip
GROUP_OF = {field: group for group, fields in FIELD_GROUPS.items() for field in fields}
# An organisation's own public details, in the same field groups (so one setting rules both); never "archived".
ORGANIZATION_FIELD_GROUPS: dict[str, tuple[str, ...]] = {
    "details": ("name", "description", "sector", "charity_number"),
    "contact": ("website", "email", "phone"),
}
ORGANIZATION_GROUP_OF = {field: group for group, fields in ORGANIZATION_FIELD_GROUPS.items() for field in fields}
# The field groups as a group reads them (the setting's own names, "details" or "sessions", say too little).
GROUP_WORDS = {
    "details": "the name, description and who it is for", "contact": "contact details",
    "sessions": "places and times", "capacity": "whether you are taking people on", "funding": "funding",
}  # fmt: skip


def held_in_words(groups: list[str] | set[str]) -> str:
    """The field groups held for review, as a phrase: "places and times and funding"."""
    words = [GROUP_WORDS.get(group, group) for group in sorted(groups)]
    return ", ".join(words[:-1]) + f" and {words[-1]}" if len(words) > 1 else "".join(words)


def review_groups(config: Mapping[str, Any]) -> set[str]:
    """The field groups held for review, from DIRECTORY_GROUP_REVIEW_FIELDS."""
    raw = str(config.get("GROUP_REVIEW_FIELDS") or "").replace(";", ",")
    names = {part.strip().lower() for part in raw.split(",") if part.strip()}
    if "all" in names:
        return set(FIELD_GROUPS)
    return names & set(FIELD_GROUPS)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


@dataclass
class Submitted:
    published: list[str]
    held: list[str]
    pending_id: int | None


def submit_service_changes(
    session: DbSession,
    access: GroupAccess,
    service_id: int,
    values: dict[str, Any],
    *,
    expected_version: int,
    config: Mapping[str, Any],
) -> Submitted:
    """Publish the changed fields of groups not held for review; hold the rest as one pending change."""
    service = own_service(session, access, service_id)
    _check_submission(values, GROUP_OF, service.version, expected_version, "This listing was")
    cleaned = {name: _plain(value) for name, value in v.clean_fields(values, rules.SERVICE_SPEC, partial=True).items()}
    return _publish_or_hold(session, access, "service", service, service_snapshot(service), cleaned, GROUP_OF,
                            expected_version=expected_version, config=config, checked=True)  # fmt: skip


def _check_submission(
    values: dict[str, Any], group_of: Mapping[str, str], version: int, expected_version: int, what: str
) -> None:
    not_groups = sorted(set(values) - set(group_of))
    if not_groups:
        raise writes.NotPermitted(f"Only staff can change: {', '.join(not_groups)}.")
    if version != expected_version:
        raise writes.StaleEdit(
            f"{what} changed by someone else (now version {version}, you opened version "
            f"{expected_version}). Reload to see their changes, then make yours again."
        )


def _publish_or_hold(
    session: DbSession,
    access: GroupAccess,
    kind: Literal["service", "organization"],
    record: Any,
    current: dict[str, Any],
    cleaned: dict[str, Any],
    group_of: Mapping[str, str],
    *,
    expected_version: int,
    config: Mapping[str, Any],
    checked: bool = False,
) -> Submitted:
    """Publish the changed fields whose group is not held for review (through operations); hold the rest.

    ``checked``: the group saw the whole listing and saved it, which is a check of it (issue 15): the same
    revision re-dates its verification, even when nothing changed."""
    changed = {name: value for name, value in cleaned.items() if value != current.get(name)}
    held_groups = review_groups(config)
    now_fields = {name: value for name, value in changed.items() if group_of[name] not in held_groups}
    held = {name: value for name, value in changed.items() if group_of[name] in held_groups}
    if held and kind == "service":
        # Cross-field rules (ages, cost) are checked now too, so a group hears about them at once.
        rules.check_service_rules(session, {**now_fields, **held}, record)
    if checked:
        record = checks.check(session, record.id, actor=access.actor, at=utcnow(), how="group-edited",
                              action="checked and saved by group" if now_fields else "checked by group",
                              changes=now_fields)  # fmt: skip
    elif now_fields:
        record = operations.update(
            session, kind, record.id, now_fields, expected_version=expected_version, actor=access.actor
        )
    service_id = record.id if kind == "service" else None
    pending_id = _hold(session, access, service_id, current, held, record.version) if held else None
    return Submitted(published=sorted(now_fields), held=sorted(held), pending_id=pending_id)


def _hold(
    session: DbSession,
    access: GroupAccess,
    service_id: int | None,
    current: dict[str, Any],
    held: dict[str, Any],
    base_version: int,
) -> int:
    """Keep held fields as the one pending change of this service (or of the organisation itself)."""
    query = select(PendingChange).where(
        PendingChange.organization_id == access.organization_id, PendingChange.status == "pending"
    )
    query = query.where(
        PendingChange.service_id.is_(None) if service_id is None else PendingChange.service_id == service_id
    )
    pending = session.scalars(query).first()
    if pending is None:
        pending = PendingChange(
            service_id=service_id, organization_id=access.organization_id, before={}, changes={},
            submitted_by=access.actor.label, email=access.email, base_version=base_version,
        )  # fmt: skip
        session.add(pending)
    # A later submission adds to (and overrides) the one still waiting, so staff review one diff.
    pending.before = {**{k: current.get(k) for k in held}, **(pending.before or {})}
    pending.changes = {**(pending.changes or {}), **held}
    pending.submitted_by, pending.email = access.actor.label, access.email
    pending.submitted_at = utcnow()
    pending.base_version = base_version
    session.flush()
    return int(pending.id)


def submit_organization_changes(
    session: DbSession,
    access: GroupAccess,
    organization_id: int,
    values: dict[str, Any],
    *,
    expected_version: int,
    config: Mapping[str, Any],
) -> Submitted:
    """A group changes its organisation's public details: published at once or held, by field group."""
    organization = own_organization(session, access, organization_id)
    _check_submission(values, ORGANIZATION_GROUP_OF, organization.version, expected_version,
                      "Your organisation's details were")  # fmt: skip
    cleaned = v.clean_fields(values, rules.ORGANIZATION_SPEC, partial=True)
    return _publish_or_hold(session, access, "organization", organization, organization_snapshot(organization),
                            cleaned, ORGANIZATION_GROUP_OF, expected_version=expected_version,
                            config=config)  # fmt: skip


def pending_changes(
    session: DbSession, *, service_id: int | None = None, organization_id: int | None = None
) -> list[PendingChange]:
    """Changes waiting for review, oldest first: all, one service's, or one organisation's (its services' too)."""
    query = select(PendingChange).where(PendingChange.status == "pending").order_by(PendingChange.submitted_at)
    if service_id is not None:
        query = query.where(PendingChange.service_id == service_id)
    if organization_id is not None:
        query = query.where(PendingChange.organization_id == organization_id)
    return list(session.scalars(query))


@dataclass(frozen=True)
class DiffRow:
    field: str
    label: str
    before: Any  # when the group submitted
    now: Any  # the listing today
    proposed: Any


def diff(change: PendingChange) -> list[DiffRow]:
    """Each held field: as it was when the group wrote, as it is now, and what the group proposes."""
    current = (
        organization_snapshot(change.organization) if change.service_id is None else service_snapshot(change.service)
    )
    return [
        DiffRow(
            field=name,
            label=field_label(name),
            before=(change.before or {}).get(name),
            now=current.get(name),
            proposed=value,
        )
        for name, value in sorted(change.changes.items())
    ]


def _decidable(session: DbSession, change_id: int) -> PendingChange:
    change = session.get(PendingChange, change_id)
    if change is None:
        raise writes.NotFound(f"There is no pending change {change_id}.")
    if change.status != "pending":
        raise writes.NotPermitted(f"Change {change_id} was already {change.status} by {change.decided_by}.")
    return change


def approve(session: DbSession, change_id: int, *, staff: writes.Actor, expected_version: int) -> PendingChange:
    """Apply a held change through the write path; the revision names the group and the approver."""
    change = _decidable(session, change_id)
    actor = writes.Actor(label=f"{change.submitted_by} (approved by {staff.label})"[:255], source="group")
    kind: operations.Kind = "organization" if change.service_id is None else "service"
    operations.update(
        session, kind, change.organization_id if change.service_id is None else change.service_id,
        dict(change.changes), expected_version=expected_version, actor=actor,
        action=f"approve group change {change.id}",
    )  # fmt: skip
    change.status, change.decided_at, change.decided_by = "approved", utcnow(), staff.label[:255]
    return change


def reject(session: DbSession, change_id: int, *, staff: writes.Actor, message: str) -> PendingChange:
    """Turn a held change down with a message for the group; the listing is untouched."""
    change = _decidable(session, change_id)
    text = v.text(2_000)(message)
    if not text:
        raise v.ValidationFailed({"message": "Say why, so the group can put it right."})
    change.status, change.decided_at, change.decided_by = "rejected", utcnow(), staff.label[:255]
    change.message = text
    return change
