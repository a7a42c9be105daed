"""Group self-service: secret links, and a group's own signed-in scope.

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
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from ..core import validation as v
from ..core import writes
from ..core.clock import utcnow
from ..core.db import DbSession
from ..models import Organization, Service
from ..models.groups import GroupToken

SESSION_KEY = "group_access"


class TokenRefused(Exception):
    """A link that cannot be used: unknown, expired, already used or revoked. The text says which."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason

    @property
    def renewable(self) -> bool:
        """A link that once worked (used or expired, not withdrawn) may ask for a new one (``renewals.py``)."""
        return self.reason in ("used", "expired")

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
    session: DbSession, organization_id: int, email_address: Any, *, created_by: str, days: int
) -> tuple[str, GroupToken]:
    """Make an edit link for a contact of one organisation (the caller emails it, then commits)."""
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
    return issue_token(
        session, kind="edit", organization_id=organization_id, email=address, days=days, created_by=created_by
    )


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
    """Spend an edit link (single use) and return the sign-in it gives."""
    now = now or utcnow()
    row = find_token(session, token, "edit", now=now)
    organization = session.get(Organization, row.organization_id)
    if organization is None or organization.archived:
        raise TokenRefused("This organisation's listings are archived. Contact us to restore them.", "archived")
    row.used_at = now
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
    """Withdraw a link (and any sign-in made with it)."""
    row = session.get(GroupToken, token_id)
    if row is None or (organization_id is not None and row.organization_id != organization_id):
        raise writes.NotFound(f"There is no group link {token_id}.")
    if row.revoked_at is None:
        row.revoked_at, row.revoked_by = utcnow(), by[:255]
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
