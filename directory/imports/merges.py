"""Merge review: staff decide an imported record held as a possible duplicate of a listing (``lookalikes``): merge it
into that listing, or keep it as a listing of its own. Either way the source's key points at the listing after, so
the next run updates it rather than holding it again."""

from __future__ import annotations

from sqlalchemy import func, select

from ..core import validation as v
from ..core import writes
from ..core.clock import utcnow
from ..core.db import DbSession
from ..listings import operations
from ..models import Organization, Service
from ..models.imports import ExternalRecord, MergeCandidate


def resolve_merge(session: DbSession, candidate_id: int, decision: str, actor: writes.Actor) -> int:
    """Staff decide a possible duplicate: ``merge`` into the existing listing, or keep ``separate``.

    Returns the id of the listing the record now belongs to. The caller commits the decision (the listing's own
    change is committed by ``operations``).
    """
    candidate = session.get(MergeCandidate, candidate_id)
    if candidate is None:
        raise writes.NotFound(f"There is no merge candidate {candidate_id}.")
    if candidate.state != "open":
        raise v.ValidationFailed({"decision": "This possible duplicate has already been decided."})
    values = dict(candidate.values)
    if decision == "merge":
        service = session.get(Service, candidate.service_id)
        if service is None:  # pragma: no cover
            raise writes.NotFound(f"There is no service {candidate.service_id}.")
        values.pop("organization_id", None)
        target = operations.update(
            session, "service", service.id, values, expected_version=service.version, actor=actor, action="merge import"
        )
        state = "merged"
    elif decision == "separate":
        name = (candidate.organisation or {}).get("name") or values["name"]
        organisation_id = session.scalars(
            select(Organization.id).where(func.lower(Organization.name) == str(name).lower())
        ).first()
        if organisation_id is None:
            organisation_id = operations.create(session, "organization", {"name": name}, actor).id
        target = operations.create(session, "service", {**values, "organization_id": organisation_id}, actor)
        state = "separate"
    else:
        raise v.ValidationFailed({"decision": "Choose merge or separate."})
    link = session.scalars(
        select(ExternalRecord).where(
            ExternalRecord.source_id == candidate.source_id,
            ExternalRecord.entity_type == "service",
            ExternalRecord.external_id == candidate.external_id,
        )
    ).first()
    if link is None:
        session.add(
            ExternalRecord(
                source_id=candidate.source_id,
                entity_type="service",
                external_id=candidate.external_id,
                entity_id=target.id,
            )
        )
    candidate.state, candidate.decided_by, candidate.decided_at = state, actor.label, utcnow()
    return int(target.id)
