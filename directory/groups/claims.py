"""Groups claim a listing that staff created; staff approve (an edit link for that organisation only is
emailed) or decline with a reason. A claim never changes a listing by itself: on approval the organisation's
contact email, if it had none, is set through ``operations`` as a revision credited to the approver.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from ..core import outbox, writes
from ..core import validation as v
from ..core.clock import utcnow
from ..core.db import DbSession
from ..core.mail import external_url
from ..core.outbox import OutboundMail
from ..core.writes import Actor
from ..listings import operations
from ..models import Organization
from ..models.groups import ListingClaim
from . import links as groups

SPEC: dict[str, v.Cleaner] = {
    "contact_name": v.text(255, required=True),
    "email": lambda x: v.email(x) or v.refuse("An email address is needed: the edit link is sent there."),
    "role": v.text(255, required=True),
    "message": v.text(2_000),
}


class DuplicateClaim(v.ValidationFailed):
    """The same address already has a claim waiting for this organisation."""


def claimable(session: DbSession, organization_id: int) -> Organization:
    """An organisation a group may ask to manage: one that exists and is not archived."""
    organization = session.get(Organization, organization_id)
    if organization is None or organization.archived:
        raise writes.NotFound(f"There is no organisation {organization_id}, or it has been archived.")
    return organization


def submit(session: DbSession, organization_id: int, values: Mapping[str, Any]) -> ListingClaim:
    """Keep a claim from the public form; every problem is named and nothing is written on error."""
    organization = claimable(session, organization_id)
    cleaned = v.clean_fields(dict(values), SPEC, partial=False)
    waiting = session.scalars(
        select(ListingClaim).where(
            ListingClaim.organization_id == organization_id,
            func.lower(ListingClaim.email) == cleaned["email"].lower(),
            ListingClaim.status == "pending",
        )
    ).first()
    if waiting is not None:
        raise DuplicateClaim(
            {
                "email": f"{cleaned['email']} already asked to manage {organization.name}'s listing on "
                f"{waiting.created_at:%-d %B %Y}, and that request is still waiting for the directory team. "
                "You do not need to ask again: we will email you there."
            }
        )
    claim = ListingClaim(organization_id=organization_id, **cleaned, status="pending", created_at=utcnow())
    session.add(claim)
    return claim


def pending(session: DbSession) -> list[ListingClaim]:
    """Claims waiting for staff, oldest first."""
    query = select(ListingClaim).where(ListingClaim.status == "pending").order_by(ListingClaim.created_at)
    return list(session.scalars(query))


def _pending(session: DbSession, claim_id: int) -> ListingClaim:
    claim = session.get(ListingClaim, claim_id)
    if claim is None:
        raise writes.NotFound(f"There is no claim {claim_id}.")
    if claim.status != "pending":
        raise writes.NotPermitted(f"Claim {claim_id} was already {claim.status} by {claim.decided_by}.")
    return claim


@dataclass(frozen=True)
class Approved:
    claim: ListingClaim
    contact_email_set: bool  # the organisation had no email, and now has the claimant's
    email: OutboundMail  # the link, queued: the caller commits, then delivers it


def approve(session: DbSession, claim_id: int, *, staff: Actor, days: int) -> Approved:
    """Queue an email to the claimant with an edit link for this organisation only, record who approved it and
    when, and, if the organisation has no email, set the claimant's through the write path.

    All in the caller's transaction: the email is an outbox row, delivered after the commit, so an approval that
    is not kept sends no link, and one that is kept sends it once.
    """
    claim = _pending(session, claim_id)
    organization = claim.organization
    if organization.archived:
        raise writes.NotPermitted(f"{organization.name} is archived: restore it before approving a claim.")
    token, link = groups.invite(session, organization.id, claim.email, created_by=staff.label, days=days)
    claim.status, claim.decided_at, claim.decided_by = "approved", utcnow(), staff.label[:255]
    claim.token_id = link.id
    session.flush()
    email = outbox.queue(
        session, f"claim-link:{claim.id}", claim.email, f"You can now keep {organization.name}'s listing up to date",
        "invitation", organization=organization, link=external_url("groups.enter", token=token),
        expires=link.expires_at, claim=claim,
    )  # fmt: skip
    if organization.email:
        return Approved(claim=claim, contact_email_set=False, email=email)
    operations.update(
        session, "organization", organization.id, {"email": claim.email}, expected_version=organization.version,
        actor=staff, action=f"claim {claim.id} approved",  # revision.action holds 32 characters
    )  # fmt: skip
    return Approved(claim=claim, contact_email_set=True, email=email)


def decline(session: DbSession, claim_id: int, reason: Any, *, staff: Actor) -> tuple[ListingClaim, OutboundMail]:
    """Decline with a reason, queued to email the claimant (the caller commits, then delivers); the claim is kept."""
    claim = _pending(session, claim_id)
    try:
        cleaned = v.text(2_000, required=True)(reason)
    except ValueError as exc:
        raise v.ValidationFailed({"reason": f"Give the person a reason: {exc}"}) from None
    claim.status, claim.decided_at, claim.decided_by, claim.reason = "declined", utcnow(), staff.label[:255], cleaned
    email = outbox.queue(
        session, f"claim-declined:{claim.id}", claim.email,
        f"Your request to manage {claim.organization.name}'s listing", "claim_declined", claim=claim,
    )  # fmt: skip
    return claim, email
