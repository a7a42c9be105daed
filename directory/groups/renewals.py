"""A new edit link for a group whose link was used or has expired, sent only to a contact the directory lists.

Whoever holds an old link may ask; the new link never goes to an address they give. It goes to the address
the old link was sent to while that address is still listed for the organisation (its own email, a service's
email or a named contact's), otherwise to the organisation's listed email; with neither, the page says to ask
the directory team. A withdrawn link is not renewed: staff withdrew it for a reason. One renewal per
organisation and address per ``GROUP_RENEWAL_MINUTES``, so a leaked old link cannot flood a contact's inbox.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from ..core.clock import utcnow
from ..core.db import DbSession
from ..models import Organization
from ..models.groups import GroupToken
from .links import TokenRefused, issue_token, token_hash

RENEWED_BY = "renewal of link "


class RenewalRefused(Exception):
    """No new link is sent; the text says why and what to do instead."""


def listed_addresses(organization: Organization) -> list[str]:
    """The organisation's email addresses the directory shows: its own, its live services' and their contacts'."""
    found = [organization.email or ""]
    for service in organization.services:
        if service.status != "archived":
            found.append(service.email or "")
            found.extend(contact.email for contact in service.contacts)
    seen: dict[str, str] = {}
    for address in found:
        if address.strip():
            seen.setdefault(address.strip().lower(), address.strip())
    return list(seen.values())


def renew(
    session: DbSession, token: str, *, days: int, gap_minutes: int, now: datetime | None = None
) -> tuple[str, GroupToken]:
    """A new edit link for the old link's organisation, to a listed address (the caller emails it, then commits)."""
    now = now or utcnow()
    old = session.scalars(select(GroupToken).where(GroupToken.token_hash == token_hash(token or ""))).first()
    if old is None:
        raise TokenRefused("This link is not recognised, so we cannot tell which group it was for.", "unknown")
    if old.revoked_at is not None:
        raise RenewalRefused("This link was withdrawn by the directory team. Ask them if you need a new one.")
    organization = session.get_one(Organization, old.organization_id)
    if organization.archived:
        raise RenewalRefused(f"{organization.name} is no longer listed. Ask the directory team if that is wrong.")
    listed = {address.lower(): address for address in listed_addresses(organization)}
    to = listed.get(old.email.lower()) or (organization.email or "").strip()
    if not to:
        raise RenewalRefused(
            f"{organization.name} has no email address in the directory, so we cannot send a link. "
            "Ask the directory team to add one."
        )
    recent = session.scalars(
        select(GroupToken).where(
            GroupToken.organization_id == organization.id, GroupToken.kind == "edit", GroupToken.email == to,
            GroupToken.created_by.startswith(RENEWED_BY), GroupToken.created_at > now - timedelta(minutes=gap_minutes),
        )
    ).first()  # fmt: skip
    if recent is not None:
        raise RenewalRefused(
            f"We emailed a new link to {masked(to)} at {recent.created_at:%H:%M}. Check that inbox (and its spam "
            "folder) before asking again."
        )
    return issue_token(
        session, kind="edit", organization_id=organization.id, email=to, days=days,
        created_by=f"{RENEWED_BY}{old.id}", now=now,
    )  # fmt: skip


def masked(address: str) -> str:
    """Enough of an address for its owner to recognise it, not enough to harvest it: ``s***@example.org``."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"
