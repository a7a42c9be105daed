"""Groups ask to be listed from a public form, or (signed in by an edit link) ask to add a service to their own
organisation; staff approve (creating the listing) or decline with a reason."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from ..core import outbox, writes
from ..core import validation as v
from ..core.clock import utcnow
from ..core.db import DbSession
from ..core.outbox import OutboundMail
from ..core.writes import Actor
from ..listings import operations
from ..models import Organization, TaxonomyTerm
from ..models.groups import ListingRequest
from .links import GroupAccess, own_organization

SPEC: dict[str, v.Cleaner] = {
    "organization_name": v.text(255, required=True),
    "contact_name": v.text(255),
    "email": lambda x: v.email(x) or v.refuse("An email address is needed, so we can reply."),
    "phone": lambda x: v.phone(x) or "",
    "service_name": v.text(255, required=True),
    "description": v.text(5_000),
    "categories": v.words,
    "address": v.text(255),
    "postcode": v.postcode,
    "when": v.text(255),
}


def submit(session: DbSession, values: Mapping[str, Any]) -> ListingRequest:
    """Keep a request from the public form; every problem is named and nothing is written on error."""
    cleaned = v.clean_fields(dict(values), SPEC, partial=False)
    _refuse_unknown_categories(session, cleaned["categories"])
    request = ListingRequest(**cleaned, status="waiting", created_at=utcnow())
    session.add(request)
    return request


# A signed-in group is not asked who it is: the organisation and the reply address come from its sign-in.
GROUP_FIELDS = ("service_name", "description", "categories", "when", "address", "postcode", "contact_name", "phone")


def submit_for_group(
    session: DbSession, access: GroupAccess, organization_id: int, values: Mapping[str, Any]
) -> ListingRequest:
    """Keep a signed-in group's request to add a service to its own organisation (NotFound for any other)."""
    organization = own_organization(session, access, organization_id)
    cleaned = v.clean_fields(dict(values), {name: SPEC[name] for name in GROUP_FIELDS}, partial=False)
    _refuse_unknown_categories(session, cleaned["categories"])
    request = ListingRequest(
        **cleaned, organization_id=organization.id, organization_name=organization.name, email=access.email,
        status="waiting", created_at=utcnow(),
    )  # fmt: skip
    session.add(request)
    return request


def _refuse_unknown_categories(session: DbSession, codes: list[str]) -> None:
    known = set(session.scalars(select(TaxonomyTerm.code).where(TaxonomyTerm.code.in_(codes))))
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise v.ValidationFailed({"categories": f"Unknown categories: {', '.join(unknown)}."})


def of_organization(session: DbSession, organization_id: int) -> list[ListingRequest]:
    """A group's own requests to add a service that are still waiting or were declined, newest first (approved
    ones are listings by then)."""
    return list(session.scalars(
        select(ListingRequest)
        .where(ListingRequest.organization_id == organization_id, ListingRequest.status != "approved")
        .order_by(ListingRequest.created_at.desc(), ListingRequest.id.desc())
    ))  # fmt: skip


def waiting(session: DbSession) -> list[ListingRequest]:
    return list(session.scalars(select(ListingRequest).where(ListingRequest.status == "waiting")
                                .order_by(ListingRequest.created_at)))  # fmt: skip


def _waiting(session: DbSession, request_id: int) -> ListingRequest:
    request = session.get(ListingRequest, request_id)
    if request is None:
        raise writes.NotFound(f"There is no listing request {request_id}.")
    if request.status != "waiting":
        raise writes.NotPermitted(f"Request {request_id} was already {request.status} by {request.decided_by}.")
    return request


def approve(session: DbSession, request_id: int, *, staff: Actor) -> ListingRequest:
    """Create the service (and, for a public request, its organisation) through the one write path, credited
    to the group. A signed-in group's request adds the service to its own organisation, never another."""
    request = _waiting(session, request_id)
    group = Actor(label=f"group: {request.email} (approved by {staff.label})"[:255], source="group")
    # The details are the group's own, as of when it sent them, and staff have read them: that is a check,
    # dated when the group sent it, so the listing is in search at once (staff are told "on the directory now").
    sent = (request.created_at or utcnow()).replace(microsecond=0)
    checked: dict[str, Any] = {"last_verified_at": sent, "verified_by": staff.label[:255]}
    if request.organization_id is not None:
        organization = session.get(Organization, request.organization_id)
        if organization is None or organization.archived:
            raise writes.NotPermitted(
                f"{request.organization_name} is archived: restore it before adding {request.service_name} to it."
            )
        checked["verified_how"] = "group-edited"  # sent by a contact signed in by its edit link
    else:
        checked["verified_how"] = "group-requested"
        organization = operations.create(
            session, "organization",
            {"name": request.organization_name, "email": request.email, "phone": request.phone or None},
            group,
        )  # fmt: skip
    service = operations.create(
        session, "service",
        {"organization_id": organization.id, "name": request.service_name, "description": request.description,
         "categories": request.categories, "email": request.email, "phone": request.phone or None,
         "locations": [{"name": "", "address_1": request.address, "postcode": request.postcode}]
         if request.postcode or request.address else [],
         "schedules": [{"by_appointment": True, "description": request.when[:255]}] if request.when else [],
         "contacts": [{"name": request.contact_name, "email": request.email, "phone": request.phone}], **checked},
        group,
    )  # fmt: skip
    request.status, request.decided_at, request.decided_by = "approved", utcnow(), staff.label
    request.service_id = service.id
    return request


def decline(session: DbSession, request_id: int, reason: str, *, staff: Actor) -> tuple[ListingRequest, OutboundMail]:
    """Decline with a reason the group is told by email; the request is kept. The email is queued in the
    outbox in this transaction (the caller commits, then delivers it), so a decline that is not kept sends nothing."""
    request = _waiting(session, request_id)
    try:
        cleaned = v.text(2_000, required=True)(reason)
    except ValueError as exc:
        raise v.ValidationFailed({"reason": f"Give the group a reason: {exc}"}) from None
    request.status, request.decided_at, request.decided_by, request.reason = "rejected", utcnow(), staff.label, cleaned
    email = outbox.queue(
        session, f"listing-declined:{request.id}", request.email, "Your request to be listed", "listing_declined",
        request=request,
    )  # fmt: skip
    return request, email
