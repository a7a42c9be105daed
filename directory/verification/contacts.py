"""Who a listing's reminders go to, and the addresses that asked not to be emailed (staff phone instead)."""

from __future__ import annotations

from sqlalchemy import select

from ..core.clock import utcnow
from ..core.db import DbSession
from ..models import Service
from ..models.verification import ContactOptOut


def contact_email(service: Service) -> str | None:
    """Who reminders go to: the first named contact with an email, else the service's, else the organisation's."""
    return first_address([c.email for c in service.contacts], service.email, service.organization.email)


def first_address(contacts: list[str | None], service_email: str | None, organization_email: str | None) -> str | None:
    return next((address for address in contacts if address), None) or service_email or organization_email or None


def normal_address(address: str) -> str:
    return address.strip().lower()


def opted_out(session: DbSession, address: str) -> bool:
    return (
        session.scalars(select(ContactOptOut).where(ContactOptOut.email == normal_address(address))).first() is not None
    )


def opt_out(session: DbSession, address: str) -> ContactOptOut:
    """Stop emailing this address (staff phone instead); safe to repeat."""
    existing = session.scalars(select(ContactOptOut).where(ContactOptOut.email == normal_address(address))).first()
    if existing is not None:
        return existing
    row = ContactOptOut(email=normal_address(address), created_at=utcnow())
    session.add(row)
    session.flush()
    return row
