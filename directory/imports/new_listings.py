"""Writing a chunk's new records as listings, together, through ``bulk_write``: their organisations (found by the
source's id for them, else by name, else made once per name), services, places, revisions, index entries and waits.

Nothing here commits or catches a refusal: the record writer runs :func:`write_new` in a savepoint of its own and,
if the database refuses the batch, runs it again one record at a time to name the one refused.

An import writes its new listings hidden (archived, as are the organisations it makes) and publishes them all at
once at the end (``publish``). A hidden organisation is not found by name, so the ones this run made are passed in
(``made``) and a later chunk reuses them rather than making another of the same name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select

from scrapers import ServiceRecord

from ..core import validation as v
from ..core import writes
from ..core.db import DbSession
from ..listings import bulk_write
from ..models import Organization
from .record_values import organisation_name, organisation_values, refusal
from .salvage import salvage
from .source_keys import Key, Link


@dataclass
class NewRecord:
    """A new record that passed the write path's checks, waiting for its chunk to be written."""

    position: int
    record: ServiceRecord
    values: dict[str, Any]  # what the write path was given (kept for a merge candidate)
    cleaned: dict[str, Any]
    checksum: str
    wait: tuple[int, datetime | None] | None


@dataclass
class Written:
    """What writing some new records did; applied to the run only once its savepoint is kept."""

    created: list[tuple[NewRecord, int]] = field(default_factory=list)
    organisations: dict[str, int] = field(default_factory=dict)  # the source's organisation id -> ours
    rejected: list[tuple[NewRecord, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # organisations' fields left out or cut (``salvage``)
    made: dict[str, int] = field(default_factory=dict)  # organisations made here, by name in lower case


def write_new(
    session: DbSession,
    items: list[NewRecord],
    links: dict[Key, Link],
    actor: writes.Actor,
    *,
    salvaging: bool = False,
    hidden: bool = False,
    made: dict[str, int] | None = None,
) -> Written:
    """Write ``items`` as new listings (an item whose organisation cannot be made is rejected, not written). With
    ``salvaging`` an organisation's bad optional fields are left out with a note instead (``salvage``); with
    ``hidden`` the listings and organisations are written out of sight, and ``made`` names the organisations the
    run made hidden before."""
    written = Written()
    organisation_of = _organisations(session, items, links, written, actor, salvaging, hidden, made or {})
    accepted = [item for item in items if item.position in organisation_of]
    service_ids = bulk_write.create_services(
        session,
        [{**item.cleaned, "organization_id": organisation_of[item.position]} for item in accepted],
        actor,
        hidden=hidden,
    )
    waits = [(i, item.wait[0], item.wait[1]) for i, item in zip(service_ids, accepted, strict=True) if item.wait]
    bulk_write.add_waiting_times(session, waits, source="import", actor=actor)
    written.created = list(zip(accepted, service_ids, strict=True))
    return written


def _organisations(
    session: DbSession,
    items: list[NewRecord],
    links: dict[Key, Link],
    written: Written,
    actor: writes.Actor,
    salvaging: bool,
    hidden: bool,
    made_before: dict[str, int],
) -> dict[int, int]:
    """Each item's organisation: by the source's id for it, else by name, else made (once per name)."""
    found: dict[int, int] = {}
    unresolved: list[NewRecord] = []
    for item in items:
        org = item.record.organisation
        link = links.get(("organization", org.external_id)) if org is not None and org.external_id else None
        if link is not None:
            found[item.position] = link[1]
        else:
            unresolved.append(item)
    names = {organisation_name(item.record) for item in unresolved}
    by_name = _organisations_named(session, names)
    to_make: dict[str, list[NewRecord]] = {}
    for item in unresolved:
        name = organisation_name(item.record)
        if name.lower() in by_name:
            found[item.position] = by_name[name.lower()]
        elif name.lower() in made_before:
            found[item.position] = made_before[name.lower()]
        else:
            to_make.setdefault(name.lower(), []).append(item)
    makes: list[tuple[dict[str, Any], list[NewRecord]]] = []
    for group in to_make.values():
        errors: dict[int, str] = {}
        values: dict[str, Any] | None = None
        for item in group:
            try:
                given = organisation_values(item.record)
                if salvaging:
                    _, values = salvage(bulk_write.clean_organisation, given, f"{item.record.where}'s organisation",
                                        written.notes.append)  # fmt: skip
                else:
                    values = bulk_write.clean_organisation(given)
                break
            except v.ValidationFailed as exc:
                errors[item.position] = refusal(exc)
        if values is None:
            written.rejected += [(item, errors[item.position]) for item in group]
        else:
            makes.append((values, group))
    made = bulk_write.create_organisations(session, [values for values, _ in makes], actor, hidden=hidden)
    for organisation_id, (_, group) in zip(made, makes, strict=True):
        found.update({item.position: organisation_id for item in group})
        written.made[organisation_name(group[0].record).lower()] = organisation_id
    for item in items:
        org = item.record.organisation
        if item.position in found and org is not None and org.external_id:
            written.organisations[org.external_id] = found[item.position]
    return found


def _organisations_named(session: DbSession, names: set[str]) -> dict[str, int]:
    """Live organisations by name, any case (the oldest when two share a name)."""
    found: dict[str, int] = {}
    for piece in bulk_write.in_pieces(sorted(names)):
        lowered = sorted({name.lower() for name in piece})
        query = (
            select(Organization.id, Organization.name)
            # SQLite's lower() folds ASCII only: the exact names find the rest.
            .where(or_(func.lower(Organization.name).in_(lowered), Organization.name.in_(piece)))
            .where(~Organization.archived)
            .order_by(Organization.id)
        )
        for organisation_id, name in session.execute(query):
            found.setdefault(str(name).lower(), int(organisation_id))
    return found
