"""A run's new listings written out of sight, then published all at once, or taken back if the run fails.

A big import must not hold the database's write lock (SQLite has only one) for its whole write, or every staff save
meanwhile waits SQLite's busy timeout and fails with "database is locked". So ``running`` writes a run a chunk at a
time, each chunk a short transaction of its own, committed so that other saves get in between. Users still see a
run whole or not at all:

- new listings are written **hidden**: archived (as are the organisations the run makes), which search, the public
  pages and the API leave out, and keyed to the run (``ExternalRecord.last_run_id``). Their revisions already hold
  them as they will be published;
- changes to listings already public, records held as possible duplicates, and the keys of records met again are
  worked out chunk by chunk but only **deferred** (:class:`Deferred`, a staging file), not written;
- one short last transaction **publishes** the run: the deferred changes through the write path, the keys, the
  hidden listings shown with their own status (:func:`publish`), and the listings the source stopped giving;
- a run that fails, or that was asked to keep nothing when a row is rejected, **takes back** what its chunks wrote
  (:func:`take_back`): its hidden listings were never public, so they are removed with their categories, sessions,
  places, organisations, revisions, index entries and keys, and the database is as it was.
"""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, exists, func, select

from ..core.db import DbSession
from ..core.writes import Actor
from ..listings import bulk_write, operations, search_index
from ..models import Location, Organization, Revision, Service, service_at_location
from ..models.imports import ExternalRecord
from . import staging


class Deferred(staging.Staged):
    """Work a run has worked out but keeps back for its publishing transaction, in a staging file (memory flat)."""

    def __init__(self) -> None:
        super().__init__(tempfile.SpooledTemporaryFile(max_size=staging.IN_MEMORY), 0)  # noqa: SIM115 - closed

    def add(self, item: Any) -> None:
        self._file.seek(0, 2)
        pickle.dump(item, self._file, protocol=pickle.HIGHEST_PROTOCOL)
        self.count += 1


def publish(
    session: DbSession, services: dict[str, list[int]], organisations: list[int], actor: Actor
) -> list[tuple[str, int]]:
    """Show a run's hidden listings (by the status each is published with) and organisations; the caller commits.

    Each is shown as the write path would show it: its version moves on (so a form opened on the hidden listing is
    refused as stale, not saved over it) and a revision ("publish": hidden before, shown after) says who and when.
    One that staff changed since the run wrote it (its version moved on) is left as they saved it, never overwritten;
    those are returned ("listing" or "organisation", id). A few statements a piece (``bulk_write.show``): the
    listings are not loaded.
    """
    left: list[tuple[str, int]] = []
    for status, ids in services.items():
        for piece in bulk_write.in_pieces(ids):
            shown = bulk_write.show(session, "service", piece, {"status": status}, actor)
            left += [("listing", i) for i in sorted(set(piece) - shown)]
    for piece in bulk_write.in_pieces(organisations):
        shown = bulk_write.show(session, "organization", piece, {"archived": False}, actor)
        left += [("organisation", i) for i in sorted(set(piece) - shown)]
    return left


def report_wait(session: DbSession, service_id: int, weeks: int, reported: datetime | None, *, actor: Actor) -> None:
    """A record's wait (from ``record_values.wait_of``) for its listing, unless the listing's latest says the same."""
    service = session.get(Service, service_id)
    if service is None:  # pragma: no cover - listings are archived, never deleted
        raise ValueError(f"the listing {service_id} it was imported as has gone")
    latest = service.latest_wait
    if latest is not None and latest.weeks == weeks and (reported is None or latest.reported_at >= reported):
        return
    operations.report_waiting_time(session, service.id, weeks, source="import", actor=actor, reported_at=reported)


def take_back(session: DbSession, source_id: int, run_id: int, *, new_places_from: int | None = None,
              commit: Callable[[], None] | None = None) -> int:  # fmt: skip
    """Remove what run ``run_id`` of source ``source_id`` wrote and never published; the number of listings.

    What the run wrote is found from the database (its keys), so this works for a run whose process died too. Places
    with ids above ``new_places_from`` that nothing else uses are the run's own and go too (without it they are left:
    a place on its own is shown nowhere). ``commit`` is called after each piece, so the removal holds the write lock
    briefly at a time.
    """
    done = commit or (lambda: None)
    keyed = (ExternalRecord.source_id == source_id) & (ExternalRecord.last_run_id == run_id)
    hidden = list(
        session.scalars(
            select(Service.id)
            .join(ExternalRecord, ExternalRecord.entity_id == Service.id)
            .where(keyed, ExternalRecord.entity_type == "service", Service.status == "archived", Service.version == 1)
            .order_by(Service.id)
        )
    )
    organisations: set[int] = set()
    places: set[int] = set()
    for piece in bulk_write.in_pieces(hidden):
        organisations |= set(session.scalars(select(Service.organization_id).where(Service.id.in_(piece))))
        if new_places_from is not None:
            places |= set(
                session.scalars(
                    select(service_at_location.c.location_id).where(
                        service_at_location.c.service_id.in_(piece),
                        service_at_location.c.location_id > new_places_from,
                    )
                )
            )
        search_index.forget(session, list(piece))
        session.execute(delete(Revision).where(Revision.entity_type == "service", Revision.entity_id.in_(piece)))
        # Categories, sessions, contacts, areas, waits and links to places go with them (ON DELETE CASCADE).
        session.execute(delete(Service).where(Service.id.in_(piece)), execution_options={"synchronize_session": False})
        done()
    # The run's own organisations: made hidden (archived, never changed since) and now with no listing at all.
    unused = ~exists().where(Service.organization_id == Organization.id)
    made = [
        i
        for piece in bulk_write.in_pieces(sorted(organisations))
        for i in session.scalars(
            select(Organization.id).where(
                Organization.id.in_(piece), Organization.archived, Organization.version == 1, unused
            )
        )
    ]
    for piece in bulk_write.in_pieces(made):
        session.execute(delete(Revision).where(Revision.entity_type == "organization", Revision.entity_id.in_(piece)))
        session.execute(
            delete(Organization).where(Organization.id.in_(piece)), execution_options={"synchronize_session": False}
        )
    unlinked = ~exists().where(service_at_location.c.location_id == Location.id)
    for piece in bulk_write.in_pieces(sorted(places)):
        session.execute(
            delete(Location).where(Location.id.in_(piece), unlinked), execution_options={"synchronize_session": False}
        )
    session.execute(delete(ExternalRecord).where(keyed), execution_options={"synchronize_session": False})
    done()
    return len(hidden)


def last_place(session: DbSession) -> int:
    """The highest place id now: places above it made by a run that is taken back are the run's own."""
    return int(session.scalar(select(func.max(Location.id))) or 0)
