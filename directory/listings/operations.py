"""The one place that writes listings.

Every change to an organisation or a service is validated, checked against the version the
editor saw (optimistic locking), and kept as a revision with who, when, source and the
before/after snapshots. Views, the CLI, the demo and importers all call these functions; they flush,
and the view, command or job that called them commits (so one request's writes land together or not at all).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from ..core import validation as v
from ..core import vocab
from ..core.clock import utcnow
from ..core.db import DbSession
from ..core.writes import Actor, NotFound, NotPermitted, StaleEdit
from ..models import Organization, Revision, Service, WaitingTimeReport
from . import search_index
from .rules import (
    ORGANIZATION_DEFAULTS,
    ORGANIZATION_SPEC,
    SERVICE_DEFAULTS,
    SERVICE_SPEC,
    STAFF_ONLY_FIELDS,
    check_service_rules,
    clean_wait,
)
from .snapshots import apply_service, organization_snapshot, service_snapshot

Kind = Literal["service", "organization"]


def _load(session: DbSession, kind: Kind, entity_id: int) -> Service | Organization:
    entity: Service | Organization | None = (
        session.get(Service, entity_id) if kind == "service" else session.get(Organization, entity_id)
    )
    if entity is None:
        raise NotFound(f"There is no {kind} with id {entity_id}.")
    return entity


def _owner(entity: Service | Organization) -> int:
    return entity.organization_id if isinstance(entity, Service) else entity.id


def _permit(actor: Actor, entity: Service | Organization | None, values: dict[str, Any]) -> None:
    if actor.organization_id is None:
        return
    changed = sorted(
        name
        for name in STAFF_ONLY_FIELDS & set(values)
        if values[name] != (getattr(entity, name) if entity is not None else SERVICE_DEFAULTS.get(name))
        and not (entity is None and v._blank(values[name]))
    )
    if changed:
        raise NotPermitted(f"Only staff can change: {', '.join(changed)}.")
    owners = {values["organization_id"]} if "organization_id" in values else set()
    if entity is not None:
        owners.add(_owner(entity))
    if owners - {actor.organization_id}:
        raise NotPermitted("You can only change your own organisation's listings.")


def permit_owner(actor: Actor, service: Service) -> None:
    """Refuse a group actor acting on another organisation's listing (NotPermitted)."""
    _permit(actor, service, {})


def _snapshot(entity: Service | Organization) -> dict[str, Any]:
    if isinstance(entity, Service):
        return service_snapshot(entity)
    return organization_snapshot(entity)


def _record(
    session: DbSession,
    entity: Service | Organization,
    *,
    action: str,
    actor: Actor,
    before: dict[str, Any] | None,
) -> Revision:
    revision = Revision(
        entity_type="service" if isinstance(entity, Service) else "organization",
        entity_id=entity.id,
        version=entity.version,
        action=action,
        actor=actor.label,
        source=actor.source,
        created_at=utcnow(),
        before=before,
        after=_snapshot(entity),
    )
    session.add(revision)
    return revision


def _reindex(session: DbSession, entity: Service | Organization) -> None:
    # An organisation's name is indexed with each of its services.
    for service in [entity] if isinstance(entity, Service) else entity.services:
        search_index.refresh(session, service)


def create(session: DbSession, kind: Kind, values: dict[str, Any], actor: Actor) -> Any:
    """Create an organisation or a service from submitted values; returns it, flushed (the caller commits)."""
    spec, defaults = (
        (SERVICE_SPEC, SERVICE_DEFAULTS) if kind == "service" else (ORGANIZATION_SPEC, ORGANIZATION_DEFAULTS)
    )
    cleaned = v.clean_fields({**defaults, **values}, spec, partial=True)
    if kind == "service" and actor.source == "staff" and not cleaned.get("last_verified_at"):
        # Staff entering a listing have just checked it; imports and groups do not count as checks.
        cleaned["last_verified_at"] = utcnow().replace(microsecond=0)
        cleaned.setdefault("verified_by", actor.label)
    if kind == "service":
        if "organization_id" not in cleaned:
            raise v.ValidationFailed({"organization_id": "Choose an organisation."})
        check_service_rules(session, cleaned, None)
    _permit(actor, None, cleaned)
    entity: Service | Organization
    if kind == "service":
        entity = Service()
        apply_service(session, entity, cleaned)
    else:
        entity = Organization(**cleaned)
    session.add(entity)
    session.flush()
    _record(session, entity, action="create", actor=actor, before=None)
    _reindex(session, entity)
    session.flush()
    return entity


def update(
    session: DbSession,
    kind: Kind,
    entity_id: int,
    changes: dict[str, Any],
    *,
    expected_version: int,
    actor: Actor,
    action: str = "update",
) -> Any:
    """Apply changes to a listing seen at ``expected_version``; refuse if it moved on since."""
    entity = _load(session, kind, entity_id)
    _permit(actor, entity, {})
    if entity.version != expected_version:
        raise _stale(kind, entity.version, expected_version)
    spec = SERVICE_SPEC if kind == "service" else ORGANIZATION_SPEC
    cleaned = v.clean_fields(changes, spec, partial=True)
    if isinstance(entity, Service):
        check_service_rules(session, cleaned, entity)
    _permit(actor, entity, cleaned)
    before = _snapshot(entity)
    # One flush per save, so one save moves the version by exactly one.
    with session.no_autoflush:
        if isinstance(entity, Service):
            apply_service(session, entity, cleaned)
        else:
            for name, value in cleaned.items():
                setattr(entity, name, value)
        # Always touch the row, so the version moves even when only related rows changed.
        entity.updated_at = utcnow()
    try:
        session.flush()
    except StaleDataError as exc:
        session.rollback()
        raise StaleEdit("This listing was saved by someone else at the same moment. Reload it and try again.") from exc
    _record(session, entity, action=action, actor=actor, before=before)
    _reindex(session, entity)
    session.flush()
    return entity


def _stale(kind: Kind, now: int, opened: int) -> StaleEdit:
    return StaleEdit(
        f"This {'service' if kind == 'service' else 'organisation'} was changed by someone "
        f"else (now version {now}, you opened version {opened}). "
        "Reload it to see their changes, then make yours again."
    )


def check_save(
    session: DbSession, service: Service, changes: dict[str, Any], *, expected_version: int, actor: Actor
) -> dict[str, Any]:
    """A save to ``service`` checked as ``update`` checks it (who may make it, the version it was made to, its
    values, the rules), writing nothing; its cleaned values. Raises the refusal. For ``bulk_update``."""
    _permit(actor, service, {})
    if service.version != expected_version:
        raise _stale("service", service.version, expected_version)
    cleaned = v.clean_fields(changes, SERVICE_SPEC, partial=True)
    check_service_rules(session, cleaned, service)
    _permit(actor, service, cleaned)
    return cleaned


def stale(now: int, opened: int) -> StaleEdit:
    """The refusal of a save made to version ``opened`` of a service now at version ``now``, as ``update`` words it."""
    return _stale("service", now, opened)


def archive(session: DbSession, kind: Kind, entity_id: int, *, expected_version: int, actor: Actor) -> Any:
    """Archive instead of delete: hidden from search and the public, restorable with history."""
    entity = _load(session, kind, entity_id)
    if isinstance(entity, Organization):
        for service in list(entity.services):
            if service.status != "archived":
                archive(session, "service", service.id, expected_version=service.version, actor=actor)
        return update(
            session,
            kind,
            entity_id,
            {"archived": True},
            expected_version=expected_version,
            actor=actor,
            action="archive",
        )
    return update(
        session,
        kind,
        entity_id,
        {"status": "archived"},
        expected_version=expected_version,
        actor=actor,
        action="archive",
    )


def unarchive(session: DbSession, kind: Kind, entity_id: int, *, expected_version: int, actor: Actor) -> Any:
    """Bring an archived listing back with the status it had before it was archived."""
    entity = _load(session, kind, entity_id)
    if isinstance(entity, Organization):
        return update(
            session,
            kind,
            entity_id,
            {"archived": False},
            expected_version=expected_version,
            actor=actor,
            action="unarchive",
        )
    last_archive = session.scalars(
        select(Revision)
        .where(
            Revision.entity_type == "service",
            Revision.entity_id == entity_id,
            Revision.action == "archive",
        )
        .order_by(Revision.id.desc())
    ).first()
    previous = (last_archive.before or {}).get("status") if last_archive else None
    status = previous if previous in vocab.SERVICE_STATUSES and previous != "archived" else "paused"
    return update(
        session,
        kind,
        entity_id,
        {"status": status},
        expected_version=expected_version,
        actor=actor,
        action="unarchive",
    )


def restore_revision(session: DbSession, revision_id: int, *, expected_version: int, actor: Actor) -> Any:
    """Put a listing back as it was after ``revision_id``; this is itself a new revision."""
    revision = session.get(Revision, revision_id)
    if revision is None:
        raise NotFound(f"There is no revision {revision_id}.")
    kind: Kind = "service" if revision.entity_type == "service" else "organization"
    return update(
        session, kind, revision.entity_id, dict(revision.after),
        expected_version=expected_version, actor=actor, action=f"restore of revision {revision.id}",
    )  # fmt: skip


def confirm_verified(
    session: DbSession, service_id: int, *, actor: Actor, at: datetime, how: str = "group-confirmed"
) -> Service:
    """Record that a listing was checked and is correct: only the three verification fields change.

    Groups may do this for their own listings (through a confirmation link), though they may not set
    verification fields in an ordinary edit.
    """
    service = _load(session, "service", service_id)
    assert isinstance(service, Service)
    _permit(actor, service, {})
    if how not in vocab.VERIFICATION_METHODS:
        raise v.ValidationFailed({"verified_how": f"{how!r} is not one of: {', '.join(vocab.VERIFICATION_METHODS)}."})
    trusted = Actor(label=actor.label, source=actor.source)  # ownership checked above; these fields are the point
    result: Service = update(
        session, "service", service_id,
        {"last_verified_at": at.replace(microsecond=0), "verified_by": actor.label[:255], "verified_how": how},
        expected_version=service.version, actor=trusted,
        action="confirmed by group" if actor.source == "group" else "verified",
    )  # fmt: skip
    return result


def history(session: DbSession, kind: Kind, entity_id: int) -> list[Revision]:
    """Every revision of a listing, newest first."""
    return list(
        session.scalars(
            select(Revision)
            .where(Revision.entity_type == kind, Revision.entity_id == entity_id)
            .order_by(Revision.id.desc())
        )
    )


def report_waiting_time(
    session: DbSession,
    service_id: int,
    weeks: Any,
    *,
    source: str,
    actor: Actor,
    reported_at: datetime | None = None,
) -> WaitingTimeReport:
    """Add a waiting-time report; earlier ones stay as history and the newest is shown."""
    service = _load(session, "service", service_id)
    _permit(actor, service, {})
    number = clean_wait(weeks)
    if source not in vocab.WAIT_SOURCES:
        raise v.ValidationFailed({"source": f"{source!r} is not one of: {', '.join(vocab.WAIT_SOURCES)}."})
    report = WaitingTimeReport(
        service_id=service_id,
        weeks=number,
        reported_at=reported_at or utcnow(),
        reported_by=actor.label,
        source=source,
    )
    session.add(report)
    session.flush()
    return report
