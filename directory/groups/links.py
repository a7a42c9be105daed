"""Group self-service: secret edit links, a group's own signed-in scope, and changes held for review.

A link's token is 32 random bytes (``secrets``), shown once in an email and stored only as its
SHA-256. An edit link is single use: opening it signs the contact in for one organisation (a flag in
the signed session, not an account) for ``GROUP_SESSION_HOURS``; revoking the link ends that
sign-in at the next request. Every write goes through ``operations`` with a group ``Actor`` whose
``organization_id`` confines it to that organisation.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import select

from ..core import validation as v
from ..core import writes
from ..core.clock import utcnow
from ..core.db import DbSession
from ..listings import operations, rules
from ..listings.snapshots import organization_snapshot, service_snapshot
from ..models import Organization, Service
from ..models.groups import GroupToken, PendingChange

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
FIELD_LABELS = {
    "url": "Website", "funded_until": "Funded until", "is_free": "Free", "minimum_age": "Youngest age",
    "maximum_age": "Oldest age", "eligibility_conditions": "Eligibility", "cost_description": "Cost",
    "referral_routes": "How people get in", "referral_form_url": "Referral form", "delivery_modes": "Delivered",
    "service_areas": "Local authorities covered", "schedules": "Sessions", "locations": "Places",
    "funding_status": "Funding", "categories": "Needs it meets", "website": "Website",
    "charity_number": "Charity number",
}  # fmt: skip
SESSION_KEY = "group_access"


class TokenRefused(Exception):
    """A link that cannot be used: unknown, expired, already used or revoked. The text says which."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason

    @property
    def status(self) -> int:
        """410 Gone for a link that once worked, 404 for one that never did."""
        return 410 if self.reason in ("expired", "used", "revoked") else 404


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(
    session: DbSession,
    *,
    kind: str,
    organization_id: int,
    email: str,
    days: int,
    service_id: int | None = None,
    created_by: str = "",
    now: datetime | None = None,
) -> tuple[str, GroupToken]:
    """A new random token of ``kind``; returns the token (to put in a link, never stored) and its row."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    row = GroupToken(
        token_hash=token_hash(token), kind=kind, organization_id=organization_id, service_id=service_id,
        email=email, created_at=now, created_by=created_by[:255], expires_at=now + timedelta(days=days),
    )  # fmt: skip
    session.add(row)
    session.flush()
    return token, row


def invite(
    session: DbSession, organization_id: int, email_address: Any, *, created_by: str, days: int, commit: bool = True
) -> tuple[str, GroupToken]:
    """Make an edit link for a contact of one organisation (the caller emails it); committed unless told not to."""
    errors: dict[str, str] = {}
    try:
        address = v.email(email_address)
    except ValueError as exc:
        errors["email"] = str(exc)
        address = None
    if address is None and "email" not in errors:
        errors["email"] = "Give the group contact's email address."
    organization = session.get(Organization, organization_id)
    if organization is None:
        errors["organisation"] = f"There is no organisation {organization_id}."
    elif organization.archived:
        errors["organisation"] = f"{organization.name} is archived: restore it before inviting its contacts."
    if errors:
        raise v.ValidationFailed(errors)
    assert address is not None
    token, row = issue_token(
        session, kind="edit", organization_id=organization_id, email=address, days=days, created_by=created_by
    )
    if commit:
        session.commit()
    return token, row


def find_token(session: DbSession, token: str, kind: str, *, now: datetime | None = None) -> GroupToken:
    """The live token of this kind, or TokenRefused naming why it cannot be used."""
    now = now or utcnow()
    row = session.scalars(select(GroupToken).where(GroupToken.token_hash == token_hash(token or ""))).first()
    if row is None or row.kind != kind:
        raise TokenRefused(
            "This link is not recognised. Check it was copied whole, or ask us for a new one.", "unknown"
        )
    if row.revoked_at is not None:
        raise TokenRefused("This link has been withdrawn. Ask us for a new one.", "revoked")
    if now >= row.expires_at:
        raise TokenRefused("This link has expired. Ask us for a new one.", "expired")
    if row.used_at is not None and kind != "unsubscribe":
        raise TokenRefused(
            f"This link was already used on {row.used_at:%-d %B %Y at %H:%M}. Each link works once: ask us for a "
            "new one if you need it.",
            "used",
        )
    return row


@dataclass(frozen=True)
class GroupAccess:
    """A group contact signed in by an edit link: one organisation, one email, since when."""

    token_id: int
    organization_id: int
    email: str
    since: datetime

    def as_session(self) -> dict[str, Any]:
        return {
            "token_id": self.token_id,
            "organization_id": self.organization_id,
            "email": self.email,
            "since": self.since.isoformat(timespec="seconds"),
        }

    @property
    def actor(self) -> writes.Actor:
        return writes.Actor(label=f"group: {self.email}", source="group", organization_id=self.organization_id)


def use_edit_link(session: DbSession, token: str, *, now: datetime | None = None) -> GroupAccess:
    """Spend an edit link (single use) and return the sign-in it gives; committed."""
    now = now or utcnow()
    row = find_token(session, token, "edit", now=now)
    organization = session.get(Organization, row.organization_id)
    if organization is None or organization.archived:
        raise TokenRefused("This organisation's listings are archived. Contact us to restore them.", "archived")
    row.used_at = now
    session.commit()
    return GroupAccess(token_id=row.id, organization_id=row.organization_id, email=row.email, since=now)


def check_access(
    session: DbSession, stored: Any, config: Mapping[str, Any], *, now: datetime | None = None
) -> GroupAccess | None:
    """The sign-in kept in the session, if its link is not revoked and it is not too old."""
    if not isinstance(stored, dict):
        return None
    try:
        access = GroupAccess(
            token_id=int(stored["token_id"]), organization_id=int(stored["organization_id"]),
            email=str(stored["email"]), since=datetime.fromisoformat(str(stored["since"])),
        )  # fmt: skip
    except (KeyError, TypeError, ValueError):
        return None
    row = session.get(GroupToken, access.token_id)
    if row is None or row.revoked_at is not None or row.organization_id != access.organization_id:
        return None
    if (now or utcnow()) - access.since > timedelta(hours=int(config["GROUP_SESSION_HOURS"])):
        return None
    organization = session.get(Organization, access.organization_id)
    if organization is None or organization.archived:
        return None
    return access


def revoke(session: DbSession, token_id: int, *, by: str, organization_id: int | None = None) -> GroupToken:
    """Withdraw a link (and any sign-in made with it); committed."""
    row = session.get(GroupToken, token_id)
    if row is None or (organization_id is not None and row.organization_id != organization_id):
        raise writes.NotFound(f"There is no group link {token_id}.")
    if row.revoked_at is None:
        row.revoked_at, row.revoked_by = utcnow(), by[:255]
        session.commit()
    return row


def live_links(session: DbSession, organization_id: int, *, now: datetime | None = None) -> list[GroupToken]:
    """Edit links of an organisation that are not revoked and not expired (used ones included: their sign-ins)."""
    now = now or utcnow()
    return list(
        session.scalars(
            select(GroupToken)
            .where(
                GroupToken.organization_id == organization_id,
                GroupToken.kind == "edit",
                GroupToken.revoked_at.is_(None),
                GroupToken.expires_at > now,
            )
            .order_by(GroupToken.id.desc())
        )
    )


def own_services(session: DbSession, access: GroupAccess) -> list[Service]:
    return list(
        session.scalars(
            select(Service)
            .where(Service.organization_id == access.organization_id, Service.status != "archived")
            .order_by(Service.name)
        )
    )


def own_service(session: DbSession, access: GroupAccess, service_id: int) -> Service:
    """The service, only if it belongs to the signed-in organisation; otherwise it does not exist for them."""
    service = session.get(Service, service_id)
    if service is None or service.organization_id != access.organization_id or service.status == "archived":
        raise writes.NotFound(f"There is no service {service_id} in your organisation's listings.")
    return service


def own_organization(session: DbSession, access: GroupAccess, organization_id: int) -> Organization:
    """The signed-in organisation, only if it is the one asked for; any other id does not exist for them."""
    organization = session.get(Organization, organization_id)
    if organization is None or organization.id != access.organization_id or organization.archived:
        raise writes.NotFound(f"There is no organisation {organization_id} among your listings.")
    return organization


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
                            expected_version=expected_version, config=config)  # fmt: skip


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
) -> Submitted:
    """Publish the changed fields whose group is not held for review (through operations); hold the rest."""
    changed = {name: value for name, value in cleaned.items() if value != current.get(name)}
    held_groups = review_groups(config)
    now_fields = {name: value for name, value in changed.items() if group_of[name] not in held_groups}
    held = {name: value for name, value in changed.items() if group_of[name] in held_groups}
    if held and kind == "service":
        # Cross-field rules (ages, cost) are checked now too, so a group hears about them at once.
        rules.check_service_rules(session, {**now_fields, **held}, record)
    if now_fields:
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
    """Keep held fields as the one pending change of this service (or of the organisation itself); committed."""
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
    session.commit()
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
            label=FIELD_LABELS.get(name, name.replace("_", " ").capitalize()),
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
    session.commit()
    return change


def reject(session: DbSession, change_id: int, *, staff: writes.Actor, message: str) -> PendingChange:
    """Turn a held change down with a message for the group; the listing is untouched."""
    change = _decidable(session, change_id)
    text = v.text(2_000)(message)
    if not text:
        raise v.ValidationFailed({"message": "Say why, so the group can put it right."})
    change.status, change.decided_at, change.decided_by = "rejected", utcnow(), staff.label[:255]
    change.message = text
    session.commit()
    return change
