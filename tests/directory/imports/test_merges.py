"""directory.imports.merges: a record held as a possible duplicate, then merged by staff."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from directory.core.writes import Actor
from directory.imports.merges import resolve_merge
from directory.imports.running import run_source
from directory.imports.sources import ensure_source
from directory.models import Service
from directory.models.imports import MergeCandidate
from tests.directory.imports.test_running import services_count, unique

STAFF = Actor(label="staff: merger@example.org", source="staff")


def test_a_lookalike_listing_is_held_for_staff_then_merged(
    session: Any, config: Any, make_organization: Callable[..., Any], make_service: Callable[..., Any]
) -> None:
    tag = unique("Theta")
    organisation = make_organization(name=f"{tag} Crafters")
    existing = make_service(
        name=f"{tag} Knit & Natter",
        organization_id=organisation.id,
        locations=[{"name": "Library", "address_1": "", "city": "", "postcode": "FY1 1PX"}],
    )
    sheet = f"Name,Organisation,Postcode,Description\n{tag} knit and natter,{tag} crafters,fy11px,Weekly knitting\n"
    source = ensure_source(session, name=unique("theta sheet"), kind="spreadsheet")
    count = services_count(session)
    run = run_source(session, source, config, payloads=[sheet.encode()])
    assert (run.created, run.held) == (0, 1) and services_count(session) == count
    candidate = session.scalars(select(MergeCandidate).where(MergeCandidate.source_id == source.id)).one()
    assert candidate.service_id == existing.id and "same postcode" in candidate.reason
    assert resolve_merge(session, candidate.id, "merge", STAFF) == existing.id
    session.commit()
    assert session.get(Service, existing.id).description == "Weekly knitting"
    assert session.get(MergeCandidate, candidate.id).state == "merged"
    # The source's record is now keyed to the listing: a re-run updates it, never duplicates it.
    again = run_source(session, source, config, payloads=[sheet.replace("Weekly", "Friendly weekly").encode()])
    assert (again.created, again.held, again.updated) == (0, 0, 1)
    assert services_count(session) == count
