"""Working through every live listing a batch at a time, by keyset on the id, so the daily jobs never hold
every listing in memory."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy import Select, or_, select

from ..core.db import DbSession
from ..models import Organization, Service
from ..models.verification import FollowUp

LIVE_STATUSES = ("active", "paused")


def batch_size(config: Mapping[str, Any], given: int | None = None) -> int:
    """Listings per batch: the argument, else DIRECTORY_JOBS_BATCH_SIZE."""
    size = int(given if given is not None else config.get("JOBS_BATCH_SIZE", 500))
    if size < 1:
        raise ValueError(f"A batch needs at least one listing (got {size}).")
    return size


def id_batches(session: DbSession, query: Select[Any], size: int) -> Iterator[list[int]]:
    """Service ids from ``query`` (which selects Service.id), ``size`` at a time, by keyset on the id.

    Each batch is a fresh query after the last id seen, so nothing holds every listing in memory and rows
    committed while a batch is worked do not shift the next batch (as OFFSET would).
    """
    last = 0
    while True:
        ids = list(session.scalars(query.where(Service.id > last).order_by(Service.id).limit(size)))
        if not ids:
            return
        yield ids
        last = ids[-1]


def live_ids() -> Select[Any]:
    """Ids of live listings (active or paused) of organisations that are not archived."""
    return (
        select(Service.id)
        .join(Organization, Organization.id == Service.organization_id)
        .where(Service.status.in_(LIVE_STATUSES), Organization.archived.is_(False))
    )


# Evidence that takes a listing out of search by itself, without the group or staff saying it closed: a listing it
# took out is still asked, and the group's answer brings it back.
INFERRED = ("no-reply", "funding-ended", "reported-stopped")


def reminded_ids() -> Select[Any]:
    """Ids of the listings the reminders job asks: live ones, and those the evidence alone took out of search (open
    no-reply, funding-ended or link-worker report, and no group's "we have stopped")."""
    open_evidence = select(FollowUp.service_id).where(FollowUp.resolved_at.is_(None))
    return (
        select(Service.id)
        .join(Organization, Organization.id == Service.organization_id)
        .where(
            Organization.archived.is_(False),
            or_(
                Service.status.in_(LIVE_STATUSES),
                (Service.status == "closed")
                & Service.id.in_(open_evidence.where(FollowUp.reason.in_(INFERRED)))
                & Service.id.not_in(open_evidence.where(FollowUp.reason == "group-stopped")),
            ),
        )
    )
