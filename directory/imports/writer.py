"""Writing one import run's records: a chunk at a time, through the write path, every row accounted.

``running.run_source`` hands a run's records (and the rows its parser rejected) to a :class:`RecordWriter` on the
run's own session, inside the run's one transaction. The writer takes them a chunk at a time, so memory stays flat
however long the run. For each chunk:

1. one query reads the source's keys (``source_keys``) for the chunk's ids. A record whose content checksum is
   unchanged is counted and left alone; an id met twice in a run is rejected;
2. a changed record updates its listing through ``operations.update`` (optimistic locking, a revision), in a
   savepoint of its own; a refused change is rolled back and named;
3. a new record is cleaned by the write path's own cleaners and rules (``bulk_write.clean_service``); a bad one is
   named and skipped. One that looks like a listing from elsewhere (``lookalikes``: similar name and organisation at
   the same postcode; one query a chunk) is held for staff as a ``MergeCandidate``;
4. the chunk's accepted new records are written together (``new_listings``) in one savepoint. If the database
   refuses the batch, the savepoint is rolled back and the records written again one at a time, so the one it
   refused is named and the others are kept;
5. the chunk's keys are written, the rejects are reported in payload order, and the session is emptied.

The writer's session is joined to the run's transaction in savepoint mode, so the commits here are not commits to
the database: each ``session.commit()`` releases a savepoint, keeping a record's, a batch's or a chunk's work inside
the run's transaction, and each rollback drops only that work. Nothing is kept until the run commits its own
transaction. A fault that is not a bad record (an exception other than a refusal) propagates, and
``running.run_source`` rolls the whole run back.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, selectinload

from scrapers import ServiceRecord
from scrapers.base import Rejected, RunResult
from scrapers.ical import NO_FUTURE_EVENTS

from ..core import validation as v
from ..core import writes
from ..core.clock import utcnow
from ..listings import bulk_write, operations, rules
from ..listings.snapshots import service_snapshot
from ..models import Service, TaxonomyTerm
from ..models.imports import ImportEvidence, ImportRun, ImportSource
from ..verification.follow_ups import follow_up_evidence
from . import lookalikes, removals, source_keys
from .new_listings import NewRecord, write_new
from .record_values import changed_fields, refusal, same_places, service_values, wait_of
from .salvage import salvage
from .source_keys import Key, Link

CHUNK_SIZE = 500
MAX_NOTICES = 1000  # a report keeps this many notes; the rest are counted


class NotBound(Exception):
    """A calendar source names no listing that exists."""


class RecordWriter:
    """Writes one run's records on the run's own session (see the module docstring)."""

    def __init__(
        self,
        session: Session,
        source: ImportSource,
        run: ImportRun,
        result: RunResult,
        *,
        chunk_size: int = CHUNK_SIZE,
        grace_days: int = 28,
    ) -> None:
        self.session = session
        self.source = source
        self.source_id = source.id
        self.run_id = run.id
        self.result = result
        self.chunk_size = max(1, chunk_size)
        self.actor = writes.Actor(label=f"import: {source.name}"[:255], source="import")
        self.known = set(session.scalars(select(TaxonomyTerm.code)))
        # Ids met in this run whose record was not kept (rejected or held), to name a repeat; a kept record's key
        # says itself that it was met in this run. So what is kept per row is only what a report names anyway.
        self.refused_ids: set[str] = set()
        # Ids the source still lists though their record was rejected before writing (a failed detail page, a
        # bad record): not "removed from the source".
        self.published: set[str] = set()
        self.grace_days = grace_days
        self.nearby = lookalikes.Nearby(source.id)
        self.pending: list[ServiceRecord | Rejected] = []
        self.keys: dict[Key, Link] = {}
        self.rejects: list[tuple[int, Rejected]] = []
        self.dropped_notices = 0
        self.position = 0

    # -- taking records --------------------------------------------------------------------------
    def add(self, item: ServiceRecord | Rejected) -> None:
        """Take a record (or a row the parser rejected, to report in its place); write a full chunk."""
        self.pending.append(item)
        if len(self.pending) >= self.chunk_size:
            self.flush()

    def note(self, text: str) -> None:
        if len(self.result.notices) < MAX_NOTICES - 1:
            self.result.notices.append(text)
        else:
            self.dropped_notices += 1

    def finish(self) -> None:
        """Write what is left; say how many notes were not kept."""
        self.flush()
        if self.dropped_notices:
            self.result.notices.append(f"... and {self.dropped_notices} more notes like these, not kept.")
            self.dropped_notices = 0

    def _reject(self, position: int, where: str, reason: str) -> None:
        self.rejects.append((position, Rejected(where, reason)))

    # -- one chunk -------------------------------------------------------------------------------
    def flush(self) -> None:
        items, self.pending = self.pending, []
        if not items:
            return
        start = self.position
        self.position += len(items)
        records = [(start + i, item) for i, item in enumerate(items) if isinstance(item, ServiceRecord)]
        for i, item in enumerate(items):
            if isinstance(item, Rejected):
                self.rejects.append((start + i, item))
                if item.external_id:
                    self.published.add(item.external_id)
        if self.source.kind == "ical":
            for position, record in records:
                if self._repeated(position, record, record.external_id in self.refused_ids):
                    continue
                self.refused_ids.add(record.external_id)  # a calendar has a record or two: remember them all
                self._guarded(position, record.where, partial(self._apply_calendar, record))
        else:
            self._write_chunk(records)
        self._save_keys()
        self.result.rejected.extend(reject for _, reject in sorted(self.rejects, key=lambda pair: pair[0]))
        self.rejects.clear()
        self.session.expunge_all()  # the chunk's listings are written: nothing of them is kept in memory

    def _repeated(self, position: int, record: ServiceRecord, repeated: bool) -> bool:
        if repeated:
            self._reject(position, record.where, f"the id {record.external_id!r} appears twice")
        return repeated

    def _write_chunk(self, records: list[tuple[int, ServiceRecord]]) -> None:
        links, met = source_keys.read_links(self.session, self.source_id, self.run_id, records)
        checksums = {position: record.checksum() for position, record in records}
        changed = [
            link[1]
            for position, record in records
            if (link := links.get(("service", record.external_id))) is not None and link[2] != checksums[position]
        ]
        loaded = self._preload(changed)  # held here so the identity map keeps them for the updates below
        new: list[NewRecord] = []
        ids: set[str] = set()
        for position, record in records:
            external_id = record.external_id
            if self._repeated(
                position, record, external_id in ids or external_id in met or external_id in self.refused_ids
            ):
                continue
            ids.add(external_id)
            link = links.get(("service", external_id))
            if link is not None and link[2] == checksums[position]:
                self.result.unchanged += 1
                self.keys[("service", record.external_id)] = (link[0], link[1], link[2])
            elif link is not None:
                self._guarded(position, record.where, partial(self._update, record, link, checksums[position]))
            else:
                self._guarded(position, record.where, partial(self._check, position, record, checksums[position], new))
        del loaded
        new = self._hold_lookalikes(new)
        if new:
            self._create(new, links)
        self.refused_ids |= ids - {external_id for kind, external_id in self.keys if kind == "service"}

    def _guarded(self, position: int, where: str, work: Callable[[], None]) -> None:
        """Do one record's work in its own savepoint; a refusal is rolled back and named, never raised."""
        try:
            work()
        except (v.ValidationFailed, writes.NotPermitted, writes.StaleEdit, ValueError) as exc:
            self.session.rollback()
            self._reject(position, where, refusal(exc))
        except SQLAlchemyError as exc:
            self.session.rollback()
            self._reject(position, where, f"the database refused it: {type(exc).__name__}")
        else:
            self.session.commit()  # releases this record's savepoint, so a later refusal cannot undo it

    def _preload(self, service_ids: list[int]) -> list[Service]:
        if not service_ids:
            return []
        query = (
            select(Service)
            .where(Service.id.in_(service_ids))
            .options(
                selectinload(Service.organization), selectinload(Service.categories),
                selectinload(Service.locations), selectinload(Service.service_areas),
                selectinload(Service.schedules), selectinload(Service.contacts), selectinload(Service.waiting_times),
            )
        )  # fmt: skip
        return list(self.session.scalars(query))

    def _clean(
        self, clean: Callable[[dict[str, Any]], dict[str, Any]], record: ServiceRecord
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The record's values and what ``clean`` makes of them. A feed's bad optional fields are left out with a
        note (``salvage``); a spreadsheet's row is refused whole, so the person uploading it can fix the row."""
        values = service_values(record, self.source, self.known, self.note)
        if self.source.kind == "oruk":
            return salvage(clean, values, record.where, self.note)
        return values, clean(values)

    # -- a changed record ------------------------------------------------------------------------
    def _update(self, record: ServiceRecord, link: Link, checksum: str) -> None:
        wait = wait_of(record)  # checked before anything is written
        service = self.session.get(Service, link[1])
        if service is None:  # pragma: no cover - listings are archived, never deleted
            raise ValueError(f"the listing {link[1]} it was imported as has gone")
        clean = partial(v.clean_fields, spec=rules.SERVICE_SPEC, partial=True)
        values, cleaned = self._clean(clean, record)
        changes = changed_fields(values, cleaned, service_snapshot(service))
        if "locations" in changes and same_places(cleaned["locations"], service.locations):
            del changes["locations"]
        if changes:
            operations.update(
                self.session, "service", service.id, changes, expected_version=service.version, actor=self.actor
            )
            self.result.updated += 1
        else:
            self.result.unchanged += 1
        if wait is not None:
            self._waiting(service, *wait)
        self.keys[("service", record.external_id)] = (link[0], service.id, checksum)

    def _waiting(self, service: Service, weeks: int, reported: datetime | None) -> None:
        latest = service.latest_wait
        if latest is not None and latest.weeks == weeks and (reported is None or latest.reported_at >= reported):
            return
        operations.report_waiting_time(
            self.session, service.id, weeks, source="import", actor=self.actor, reported_at=reported
        )

    # -- a new record ----------------------------------------------------------------------------
    def _check(self, position: int, record: ServiceRecord, checksum: str, new: list[NewRecord]) -> None:
        wait = wait_of(record)
        clean = partial(bulk_write.clean_service, self.session, known_categories=self.known)
        values, cleaned = self._clean(clean, record)
        new.append(NewRecord(position, record, values, cleaned, checksum, wait))

    def _hold_lookalikes(self, new: list[NewRecord]) -> list[NewRecord]:
        """Hold for staff each new record that looks like a listing from elsewhere; return the others."""
        postcodes = {loc["postcode"] for item in new for loc in item.cleaned.get("locations", []) if loc["postcode"]}
        if not postcodes:
            return new
        self.nearby.read(self.session, postcodes)
        kept = []
        for item in new:
            similar = self.nearby.similar(item)
            if similar is None:
                kept.append(item)
            else:
                self._guarded(item.position, item.record.where, partial(self._hold, item, similar))
        return kept

    def _hold(self, item: NewRecord, similar: lookalikes.Similar) -> None:
        lookalikes.hold(self.session, self.source_id, self.run_id, item, similar)
        self.session.commit()
        self.result.held += 1
        self.note(f"{item.record.where}: held for staff as a possible duplicate of listing {similar[0]}")

    def _create(self, items: list[NewRecord], links: dict[Key, Link]) -> None:
        """Write new records together; if the database refuses, write them one at a time to name the one."""
        try:
            written = write_new(self.session, items, links, self.actor, salvaging=self.source.kind == "oruk")
            self.session.commit()
        except SQLAlchemyError as exc:
            self.session.rollback()
            if len(items) == 1:
                self._reject(items[0].position, items[0].record.where, f"the database refused it: {type(exc).__name__}")
                return
            for item in items:
                self._create([item], links)
            return
        for item, reason in written.rejected:
            self._reject(item.position, item.record.where, reason)
        for text in written.notes:
            self.note(text)
        for item, service_id in written.created:
            self.keys[("service", item.record.external_id)] = (None, service_id, item.checksum)
        for external_id, organisation_id in written.organisations.items():
            row = links.get(("organization", external_id), (None, 0, ""))[0]
            self.keys[("organization", external_id)] = (row, organisation_id, "")
        self.result.created += len(written.created)

    # -- calendars -------------------------------------------------------------------------------
    def _bound_service(self) -> Service:
        service_id = int((self.source.options or {}).get("service_id") or 0)
        service = self.session.get(Service, service_id)
        if service is None:
            raise NotBound(f"the calendar source is not bound to a listing (service {service_id} not found)")
        return service

    def _apply_calendar(self, record: ServiceRecord) -> None:
        service = self._bound_service()
        values = service_values(record, self.source, self.known, self.note)
        values = {"schedules": values.get("schedules", [])}
        cleaned = v.clean_fields(values, rules.SERVICE_SPEC, partial=True)
        if changed_fields(values, cleaned, service_snapshot(service)):
            operations.update(
                self.session, "service", service.id, values, expected_version=service.version, actor=self.actor
            )
            self.result.updated += 1
        else:
            self.result.unchanged += 1

    def calendar_evidence(self) -> None:
        """iCal: sessions update the bound listing; no future sessions is evidence, not a change."""
        service_id = self._bound_service().id
        detail = next((n for n in self.result.notices if n.startswith(NO_FUTURE_EVENTS)), None)
        if detail is not None:
            self.session.add(
                ImportEvidence(service_id=service_id, source_id=self.source_id, kind="no-future-events", detail=detail)
            )
            follow_up_evidence(
                self.session, service_id, "no-future-events", detail, reported_by=f"import: {self.source.name}"
            )
            self.session.commit()

    # -- keys ------------------------------------------------------------------------------------
    def _save_keys(self) -> None:
        """Write the chunk's keys in two statements: new ones inserted, known ones brought up to date."""
        if not self.keys:
            return
        source_keys.save_links(self.session, self.source_id, self.run_id, self.keys)
        self.session.commit()
        self.keys.clear()

    def note_missing(self) -> None:
        """Listings this source gave before but not this time: counted, named, flagged, archived after the grace
        period (``removals``)."""
        if self.result.seen == 0:
            return
        removals.account_removed(
            self.session, self.source, self.run_id, self.result, self.published | self.refused_ids,
            grace_days=self.grace_days, actor=self.actor, now=utcnow(), note=self.note,
        )  # fmt: skip
