"""Writing one import run's records: a chunk at a time, through the write path, every row accounted.

``running.run_source`` hands a run's records (and the rows its parser rejected) to a :class:`RecordWriter` on the
run's own session. The writer takes them a chunk at a time, so memory stays flat however long the run, and writes
each chunk in a short transaction of its own (``batch``), so other saves get in between chunks. Users see the run
whole or not at all (``publish``): new listings are written hidden, and changes to public listings are worked out
but deferred to the run's last, publishing transaction (:meth:`RecordWriter.publish`). For each chunk:

1. one query reads the source's keys (``source_keys``) for the chunk's ids. A record whose content checksum is
   unchanged is counted and left alone; an id met twice in a run is rejected;
2. a changed record's changes are worked out against its listing and deferred; at publishing they go through
   the write path a chunk together (``bulk_update``: checked as it is worked out, then optimistic locking, a revision
   each, a few statements a chunk); a refused change (a bad value, a listing staff saved since) is named;
3. a new record is cleaned by the write path's own cleaners and rules (``bulk_write.clean_service``); a bad one is
   named and skipped. One that looks like a listing from elsewhere (``lookalikes``: similar name and organisation at
   the same postcode; one query a chunk) is held for staff as a ``MergeCandidate`` (written at publishing);
4. the chunk's accepted new records are written together, hidden (``new_listings``), in one savepoint. If the database
   refuses the batch, the savepoint is rolled back and the records written again one at a time, so the one it
   refused is named and the others are kept;
5. the keys of the chunk's new listings are written (those of records met again wait for publishing), the rejects
   are reported in payload order, and the session is emptied.

The writer's session is joined to the chunk's (or the publishing) transaction in savepoint mode, so the commits here
are not commits to the database: each ``session.commit()`` releases a savepoint, keeping a record's or a batch's work
inside the chunk's transaction, and each rollback drops only that work. A fault that is not a bad record (an
exception other than a refusal) propagates, and ``running.run_source`` takes the run back (``publish.take_back``).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from functools import partial
from itertools import islice
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from scrapers import ServiceRecord
from scrapers.base import Rejected, RunResult
from scrapers.ical import NO_FUTURE_EVENTS

from ..core import validation as v
from ..core import writes
from ..core.clock import utcnow
from ..listings import bulk_update, bulk_write, operations, rules, vectors
from ..listings.snapshots import service_snapshot
from ..models import Service, TaxonomyTerm
from ..models.imports import ImportEvidence, ImportRun, ImportSource
from ..verification.follow_ups import follow_up_evidence
from . import lookalikes, publish, removals, source_keys
from .new_listings import NewRecord, write_new
from .record_values import changed_fields, refusal, same_places, service_values, wait_of
from .salvage import salvage
from .source_keys import Key, Link

CHUNK_SIZE = 250  # records a chunk: one short transaction each (about 0.1-0.3 s of SQLite's write lock)
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
        batch: Callable[[], AbstractContextManager[object]] = nullcontext,
    ) -> None:
        self.session = session
        self.batch = batch  # a chunk's own transaction
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
        # Kept for the publishing transaction: work on public listings (a staging file), the keys of records met
        # again, the hidden listings by the status each is published with, and the organisations made hidden.
        self.deferred = publish.Deferred()
        self.later_keys: dict[Key, Link] = {}
        self.hidden: dict[str, list[int]] = {}
        self.made: dict[str, int] = {}
        self.calendar: list[tuple[int, ServiceRecord]] = []

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
        if self.pending:
            with self.batch():
                self._flush()

    def _flush(self) -> None:
        items, self.pending = self.pending, []
        start = self.position
        self.position += len(items)
        records = [(start + i, item) for i, item in enumerate(items) if isinstance(item, ServiceRecord)]
        for i, item in enumerate(items):
            if isinstance(item, Rejected):
                self.rejects.append((start + i, item))
                if item.external_id:
                    self.published.add(item.external_id)
        if self.source.kind == "ical":
            self.calendar += records  # a record or two, changing a public listing: applied at publishing
        else:
            self._write_chunk(records)
        self._save_keys()
        self._report_rejects()
        self.session.expunge_all()  # the chunk's listings are written: nothing of them is kept in memory

    def _report_rejects(self) -> None:
        self.result.rejected.extend(reject for _, reject in sorted(self.rejects, key=lambda pair: pair[0]))
        self.rejects.clear()

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
        loaded = bulk_update.load_many(self.session, changed)  # held, so the identity map keeps them for the updates
        new: list[NewRecord] = []
        ids: set[str] = set()
        for position, record in records:
            external_id = record.external_id
            again = ("service", external_id) in self.later_keys or external_id in self.refused_ids
            if self._repeated(position, record, external_id in ids or external_id in met or again):
                continue
            ids.add(external_id)
            link = links.get(("service", external_id))
            if link is not None and link[2] == checksums[position]:
                self.result.unchanged += 1
                self.later_keys[("service", record.external_id)] = (link[0], link[1], link[2])
            elif link is not None:
                self._guarded(
                    position, record.where, partial(self._update, position, record, link, checksums[position])
                )
            else:
                self._guarded(position, record.where, partial(self._check, position, record, checksums[position], new))
        del loaded
        new = self._hold_lookalikes(new)
        if new:
            self._create(new, links)
        self.refused_ids |= {
            i for i in ids if ("service", i) not in self.keys and ("service", i) not in self.later_keys
        }

    def _guarded(self, position: int, where: str, work: Callable[[], None]) -> bool:
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
            return True
        return False

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
    def _update(self, position: int, record: ServiceRecord, link: Link, checksum: str) -> None:
        """Work out a changed record's changes to its listing, and defer them to the publishing transaction."""
        wait = wait_of(record)  # checked before anything is written
        service = self.session.get(Service, link[1])
        if service is None:  # pragma: no cover - listings are archived, never deleted
            raise ValueError(f"the listing {link[1]} it was imported as has gone")
        clean = partial(v.clean_fields, spec=rules.SERVICE_SPEC, partial=True)
        values, cleaned = self._clean(clean, record)
        changes = changed_fields(values, cleaned, service_snapshot(service))
        if "locations" in changes and same_places(cleaned["locations"], service.locations):
            del changes["locations"]
        # Checked now as the write path checks it (a refusal is named now), and a change of plain fields worked out
        # while its listing is at hand, so that publishing need not load it (``bulk_update``).
        ready = bulk_update.prepare(self.session, service, changes, expected_version=service.version,
                                    actor=self.actor) if changes else None  # fmt: skip
        if changes:
            self.result.updated += 1  # counted now, so the run's figures add up before it is published
        else:
            self.result.unchanged += 1
        if changes or wait is not None:
            work = (position, record.where, record.external_id, service.id, service.version, changes, wait, link)
            self.deferred.add(("change", *work, ready))
        self.later_keys[("service", record.external_id)] = (link[0], service.id, checksum)

    def _apply_change(self, service_id: int, version: int, changes: dict[str, Any], wait: Any) -> None:
        if changes:
            operations.update(self.session, "service", service_id, changes, expected_version=version, actor=self.actor)
        if wait is not None:
            publish.report_wait(self.session, service_id, *wait, actor=self.actor)

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
                self.deferred.add(("hold", item, similar))  # staff's queue changes only when the run is published
                self.result.held += 1
                self.note(f"{item.record.where}: held for staff as a possible duplicate of listing {similar[0]}")
        return kept

    def _hold(self, item: NewRecord, similar: lookalikes.Similar) -> None:
        lookalikes.hold(self.session, self.source_id, self.run_id, item, similar)

    def _create(self, items: list[NewRecord], links: dict[Key, Link]) -> None:
        """Write new records together; if the database refuses, write them one at a time to name the one."""
        try:
            written = write_new(
                self.session,
                items,
                links,
                self.actor,
                salvaging=self.source.kind == "oruk",
                hidden=True,
                made=self.made,
            )
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
        self.made.update(written.made)
        for item, service_id in written.created:
            self.keys[("service", item.record.external_id)] = (None, service_id, item.checksum)
            self.hidden.setdefault(str(item.cleaned.get("status") or "active"), []).append(service_id)
        for external_id, organisation_id in written.organisations.items():
            row = links.get(("organization", external_id), (None, 0, ""))[0]
            # A new key is written now (the run is known by it); a known one is brought up to date at publishing.
            (self.keys if row is None else self.later_keys)[("organization", external_id)] = (row, organisation_id, "")
        self.result.created += len(written.created)

    # -- publishing --------------------------------------------------------------------------------
    def publish(self) -> None:
        """In the run's last transaction: apply the deferred work, write the keys of records met again, and show
        the hidden listings. A refused change is named, and its listing keeps its old key (tried again next run)."""
        # Vectors are made by the search-vectors job after the run, outside this transaction.
        with vectors.left_to_fill(self.session):
            self._apply_deferred()
            for position, record in self.calendar:
                if self._repeated(position, record, record.external_id in self.refused_ids):
                    continue
                self.refused_ids.add(record.external_id)  # a calendar has a record or two: remember them all
                self._guarded(position, record.where, partial(self._apply_calendar, record))
        self._report_rejects()
        self.keys, self.later_keys = self.later_keys, {}
        self._save_keys()
        for kind, entity_id in publish.publish(self.session, self.hidden, sorted(set(self.made.values())), self.actor):
            self.note(f"The {kind} {entity_id} was changed by staff while this run was written: left as they saved it.")
        self.session.commit()
        self.session.expunge_all()

    def _apply_deferred(self) -> None:
        entries = iter(self.deferred)
        while group := list(islice(entries, self.chunk_size)):
            # Loaded together (those not prepared, or with a wait), so each finds its listing in the session.
            loaded = bulk_update.load_many(
                self.session, [e[4] for e in group if e[0] == "change" and (e[9] is None or e[7] is not None)]
            )
            for _, item, similar in (entry for entry in group if entry[0] == "hold"):
                if not self._guarded(item.position, item.record.where, partial(self._hold, item, similar)):
                    self.result.held -= 1  # rejected instead, and named
            self._apply_changes([entry[1:] for entry in group if entry[0] == "change"])
            del loaded
            self.session.expunge_all()

    def _apply_changes(self, group: list[tuple[Any, ...]]) -> None:
        """A group's changes through the write path together (``bulk_update``: a few statements, not a few each),
        in one savepoint; a refused one is named. If the database refuses the group, it is rolled back and applied
        one at a time, so the one it refused is named and the others are kept."""
        ready = [entry for entry in group if entry[8] is not None]
        saves = [bulk_update.Change(e[3], e[4], e[5]) for e in group if e[5] and e[8] is None]
        try:
            refused = {ready[i][3]: exc for i, exc in bulk_update.apply(
                self.session, [e[8] for e in ready], actor=self.actor).items()}  # fmt: skip
            refused |= {saves[i].service_id: exc for i, exc in bulk_update.update_many(
                self.session, saves, actor=self.actor).items()}  # fmt: skip
            for entry in group:
                if entry[6] is not None and entry[3] not in refused:
                    publish.report_wait(self.session, entry[3], *entry[6], actor=self.actor)
            self.session.commit()
        except (SQLAlchemyError, v.ValidationFailed, ValueError, writes.StaleEdit):
            self.session.rollback()
            for position, where, external_id, service_id, version, changes, wait, link, _ in group:
                if not self._guarded(position, where, partial(self._apply_change, service_id, version, changes, wait)):
                    self._refused_change(external_id, changes, link)
            return
        for position, where, external_id, service_id, _, changes, _, link, _ in group:
            if service_id in refused:
                self._reject(position, where, refusal(refused[service_id]))
                self._refused_change(external_id, changes, link)

    def _refused_change(self, external_id: str, changes: dict[str, Any], link: Link) -> None:
        """A change rejected instead (and named): counted so, and its listing keeps its old key (tried next run)."""
        self.result.updated -= 1 if changes else 0
        self.result.unchanged -= 0 if changes else 1
        self.later_keys[("service", external_id)] = link
        self.published.add(external_id)

    def close(self) -> None:
        self.deferred.close()

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
