"""Writing one import run's records: a chunk at a time, through the write path, every row accounted.

``imports.run_source`` hands a run's records (and the rows its parser rejected) to a
:class:`RecordWriter` on the run's own session, inside the run's one transaction. The writer takes
them a chunk at a time, so memory stays flat however long the run. For each chunk:

1. one query reads the source's keys (``ExternalRecord``) for the chunk's ids. A record whose
   content checksum is unchanged is counted and left alone; an id met twice in a run is rejected;
2. a changed record updates its listing through ``operations.update`` (optimistic locking, a
   revision), in a savepoint of its own; a refused change is rolled back and named;
3. a new record is cleaned by the write path's own cleaners and rules (``bulk_write.clean_service``);
   a bad one is named and skipped. One that looks like a listing from elsewhere (similar name and
   organisation at the same postcode; one query a chunk) is held for staff as a ``MergeCandidate``;
4. the chunk's accepted new records are written together by ``bulk_write`` in one savepoint: their
   organisations (found by the source's id for them, else by name, else made), services, places,
   revisions, index entries and waits. If the database refuses the batch, the savepoint is rolled
   back and the records written again one at a time, so the one it refused is named and the others
   are kept;
5. the chunk's keys are written, the rejects are reported in payload order, and the session is
   emptied.

A fault that is not a bad record (an exception other than a refusal) propagates, and
``imports.run_source`` rolls the whole run back.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from rapidfuzz import fuzz
from rapidfuzz.utils import default_process
from sqlalchemy import exists, func, insert, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, selectinload

from scrapers import ServiceRecord
from scrapers.base import Rejected, RunResult
from scrapers.ical import NO_FUTURE_EVENTS

from ..core import validation as v
from ..core import writes
from ..core.clock import utcnow
from ..listings import bulk_write, operations, rules
from ..listings.snapshots import _plain, service_snapshot
from ..models import Location, Organization, Service, TaxonomyTerm, service_at_location
from ..models.imports import ExternalRecord, ImportEvidence, ImportRun, ImportSource, MergeCandidate
from ..verification.reminders import follow_up_evidence

CHUNK_SIZE = 500
MAX_NOTICES = 1000  # a report keeps this many notes; the rest are counted
NEARBY_POSTCODES = 2_000  # postcodes whose listings a run remembers for spotting lookalikes (bounded memory)
NAME_SIMILARITY = 88
ORGANISATION_SIMILARITY = 80

Key = tuple[str, str]  # (entity type, the source's id for it)
Link = tuple[int | None, int, str]  # (external_record row id or None when new, entity id, checksum)


class NotBound(Exception):
    """A calendar source names no listing that exists."""


@dataclass
class _New:
    """A new record that passed the write path's checks, waiting for its chunk to be written."""

    position: int
    record: ServiceRecord
    values: dict[str, Any]  # what the write path was given (kept for a merge candidate)
    cleaned: dict[str, Any]
    checksum: str
    wait: tuple[int, datetime | None] | None


@dataclass
class _Written:
    """What writing some new records did; applied to the run only once its savepoint is kept."""

    created: list[tuple[_New, int]] = field(default_factory=list)
    organisations: dict[str, int] = field(default_factory=dict)  # the source's organisation id -> ours
    rejected: list[tuple[_New, str]] = field(default_factory=list)


class RecordWriter:
    """Writes one run's records on the run's own session (see the module docstring)."""

    def __init__(
        self, session: Session, source: ImportSource, run: ImportRun, result: RunResult, *, chunk_size: int = CHUNK_SIZE
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
        self.nearby: OrderedDict[str, list[tuple[int, str, str, str, str]]] = OrderedDict()
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
        links, met = self._links(records)
        checksums = {position: record.checksum() for position, record in records}
        changed = [
            link[1]
            for position, record in records
            if (link := links.get(("service", record.external_id))) is not None and link[2] != checksums[position]
        ]
        loaded = self._preload(changed)  # held here so the identity map keeps them for the updates below
        new: list[_New] = []
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
            self._reject(position, where, _failure(exc))
        except SQLAlchemyError as exc:
            self.session.rollback()
            self._reject(position, where, f"the database refused it: {type(exc).__name__}")

    def _links(self, records: list[tuple[int, ServiceRecord]]) -> tuple[dict[Key, Link], set[str]]:
        """The source's keys for the chunk's services and organisations, in one query a few hundred; and the ids
        of the chunk's services already met in this run."""
        ids = {record.external_id for _, record in records}
        ids |= {r.organisation.external_id for _, r in records if r.organisation and r.organisation.external_id}
        found: dict[Key, Link] = {}
        met: set[str] = set()
        for piece in bulk_write.in_pieces(sorted(ids)):
            query = select(
                ExternalRecord.id,
                ExternalRecord.entity_type,
                ExternalRecord.external_id,
                ExternalRecord.entity_id,
                ExternalRecord.checksum,
                ExternalRecord.last_run_id,
            ).where(
                # All three key columns, so the lookup uses the key's index rather than every key of the source.
                ExternalRecord.source_id == self.source_id,
                ExternalRecord.entity_type.in_(("service", "organization")),
                ExternalRecord.external_id.in_(piece),
            )
            for row, kind, external, entity, checksum, run_id in self.session.execute(query):
                found[(kind, external)] = (row, entity, checksum)
                if kind == "service" and run_id == self.run_id:
                    met.add(external)
        return found, met

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

    # -- a changed record ------------------------------------------------------------------------
    def _update(self, record: ServiceRecord, link: Link, checksum: str) -> None:
        values = _values(record, self.source, self.known, self.note)
        wait = _wait(record)  # checked before anything is written
        service = self.session.get(Service, link[1])
        if service is None:  # pragma: no cover - listings are archived, never deleted
            raise ValueError(f"the listing {link[1]} it was imported as has gone")
        cleaned = v.clean_fields(values, rules.SERVICE_SPEC, partial=True)
        changes = _compare(values, cleaned, service_snapshot(service))
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
    def _check(self, position: int, record: ServiceRecord, checksum: str, new: list[_New]) -> None:
        values = _values(record, self.source, self.known, self.note)
        wait = _wait(record)
        cleaned = bulk_write.clean_service(self.session, values, self.known)
        new.append(_New(position, record, values, cleaned, checksum, wait))

    def _hold_lookalikes(self, new: list[_New]) -> list[_New]:
        """Hold for staff each new record that looks like a listing from elsewhere; return the others."""
        postcodes = {loc["postcode"] for item in new for loc in item.cleaned.get("locations", []) if loc["postcode"]}
        if not postcodes:
            return new
        self._read_nearby(postcodes)
        kept = []
        for item in new:
            similar = self._similar(item, self.nearby)
            if similar is None:
                kept.append(item)
            else:
                self._guarded(item.position, item.record.where, partial(self._hold, item, similar))
        return kept

    def _read_nearby(self, postcodes: set[str]) -> None:
        """Live listings at postcodes not met before in this run, that are not this source's own.

        Read once a postcode (one query for a chunk's new postcodes), so the listings this run makes
        are never read back; the oldest postcodes are forgotten past ``NEARBY_POSTCODES`` (read again,
        the run's own listings are left out by their keys).
        """
        for code in postcodes & self.nearby.keys():
            self.nearby.move_to_end(code)
        unread = sorted(postcodes - self.nearby.keys())
        own = exists().where(
            ExternalRecord.source_id == self.source_id,
            ExternalRecord.entity_type == "service",
            ExternalRecord.entity_id == Service.id,
        )
        for piece in bulk_write.in_pieces(unread):
            self.nearby.update({code: [] for code in piece})
            rows = self.session.execute(
                select(Service.id, Service.name, Organization.name, Location.postcode)
                .join(Organization, Organization.id == Service.organization_id)
                .join(service_at_location, service_at_location.c.service_id == Service.id)
                .join(Location, Location.id == service_at_location.c.location_id)
                .where(Location.postcode.in_(piece), Service.status != "archived", ~own)
                .distinct()
            )
            for i, name, organisation, postcode in rows:
                self.nearby[str(postcode)].append((i, _loose(name), _loose(organisation), name, organisation))
        while len(self.nearby) > NEARBY_POSTCODES:
            self.nearby.popitem(last=False)

    def _similar(
        self, item: _New, nearby: dict[str, list[tuple[int, str, str, str, str]]]
    ) -> tuple[int, int, str] | None:
        organisation = item.record.organisation.name if item.record.organisation else item.record.name
        name, organisation = _loose(item.values["name"]), _loose(organisation)
        best: tuple[int, int, str] | None = None
        for code in {loc["postcode"] for loc in item.cleaned.get("locations", []) if loc["postcode"]}:
            for service_id, loose_name, loose_org, shown_name, shown_org in nearby.get(code, []):
                name_score = int(fuzz.token_sort_ratio(name, loose_name))
                org_score = int(fuzz.token_sort_ratio(organisation, loose_org))
                if name_score >= NAME_SIMILARITY and org_score >= ORGANISATION_SIMILARITY:
                    score = (name_score + org_score) // 2
                    if best is None or score > best[1]:
                        reason = (
                            f"name {name_score}% like {shown_name!r}, organisation {org_score}% like "
                            f"{shown_org!r}, same postcode"
                        )
                        best = (service_id, score, reason)
        return best

    def _hold(self, item: _New, similar: tuple[int, int, str]) -> None:
        service_id, score, reason = similar
        record = item.record
        existing = self.session.scalars(
            select(MergeCandidate).where(
                MergeCandidate.source_id == self.source_id,
                MergeCandidate.external_id == record.external_id,
                MergeCandidate.state == "open",
            )
        ).first()
        organisation = {"name": record.organisation.name} if record.organisation else {"name": record.name}
        if existing is None:
            existing = MergeCandidate(source_id=self.source_id, external_id=record.external_id, service_id=service_id)
            self.session.add(existing)
        existing.values = {k: _plain(x) for k, x in item.values.items()}
        existing.organisation, existing.run_id = organisation, self.run_id
        existing.service_id, existing.score, existing.reason = service_id, score, reason[:255]
        self.session.commit()
        self.result.held += 1
        self.note(f"{record.where}: held for staff as a possible duplicate of listing {service_id}")

    def _create(self, items: list[_New], links: dict[Key, Link]) -> None:
        """Write new records together; if the database refuses, write them one at a time to name the one."""
        try:
            written = self._write_new(items, links)
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
        for item, service_id in written.created:
            self.keys[("service", item.record.external_id)] = (None, service_id, item.checksum)
        for external_id, organisation_id in written.organisations.items():
            row = links.get(("organization", external_id), (None, 0, ""))[0]
            self.keys[("organization", external_id)] = (row, organisation_id, "")
        self.result.created += len(written.created)

    def _write_new(self, items: list[_New], links: dict[Key, Link]) -> _Written:
        written = _Written()
        organisation_of = self._organisations(items, links, written)
        accepted = [item for item in items if item.position in organisation_of]
        service_ids = bulk_write.create_services(
            self.session,
            [{**item.cleaned, "organization_id": organisation_of[item.position]} for item in accepted],
            self.actor,
        )
        waits = [(i, item.wait[0], item.wait[1]) for i, item in zip(service_ids, accepted, strict=True) if item.wait]
        bulk_write.add_waiting_times(self.session, waits, source="import", actor=self.actor)
        written.created = list(zip(accepted, service_ids, strict=True))
        return written

    def _organisations(self, items: list[_New], links: dict[Key, Link], written: _Written) -> dict[int, int]:
        """Each item's organisation: by the source's id for it, else by name, else made (once per name)."""
        found: dict[int, int] = {}
        unresolved: list[_New] = []
        for item in items:
            org = item.record.organisation
            link = links.get(("organization", org.external_id)) if org is not None and org.external_id else None
            if link is not None:
                found[item.position] = link[1]
            else:
                unresolved.append(item)
        names = {_organisation_name(item.record) for item in unresolved}
        by_name = self._organisations_named(names)
        to_make: dict[str, list[_New]] = {}
        for item in unresolved:
            name = _organisation_name(item.record)
            if name.lower() in by_name:
                found[item.position] = by_name[name.lower()]
            else:
                to_make.setdefault(name.lower(), []).append(item)
        makes: list[tuple[dict[str, Any], list[_New]]] = []
        for group in to_make.values():
            errors: dict[int, str] = {}
            values: dict[str, Any] | None = None
            for item in group:
                try:
                    values = bulk_write.clean_organisation(_organisation_values(item.record))
                    break
                except v.ValidationFailed as exc:
                    errors[item.position] = _failure(exc)
            if values is None:
                written.rejected += [(item, errors[item.position]) for item in group]
            else:
                makes.append((values, group))
        made = bulk_write.create_organisations(self.session, [values for values, _ in makes], self.actor)
        for organisation_id, (_, group) in zip(made, makes, strict=True):
            found.update({item.position: organisation_id for item in group})
        for item in items:
            org = item.record.organisation
            if item.position in found and org is not None and org.external_id:
                written.organisations[org.external_id] = found[item.position]
        return found

    def _organisations_named(self, names: set[str]) -> dict[str, int]:
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
            for organisation_id, name in self.session.execute(query):
                found.setdefault(str(name).lower(), int(organisation_id))
        return found

    # -- calendars -------------------------------------------------------------------------------
    def _bound_service(self) -> Service:
        service_id = int((self.source.options or {}).get("service_id") or 0)
        service = self.session.get(Service, service_id)
        if service is None:
            raise NotBound(f"the calendar source is not bound to a listing (service {service_id} not found)")
        return service

    def _apply_calendar(self, record: ServiceRecord) -> None:
        service = self._bound_service()
        values = _values(record, self.source, self.known, self.note)
        values = {"schedules": values.get("schedules", [])}
        cleaned = v.clean_fields(values, rules.SERVICE_SPEC, partial=True)
        if _compare(values, cleaned, service_snapshot(service)):
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
            self.session.commit()
            follow_up_evidence(
                self.session, service_id, "no-future-events", detail, reported_by=f"import: {self.source.name}"
            )

    # -- keys ------------------------------------------------------------------------------------
    def _save_keys(self) -> None:
        """Write the chunk's keys in two statements: new ones inserted, known ones brought up to date."""
        if not self.keys:
            return
        now = utcnow()
        new, seen = [], []
        for (kind, external_id), (row, entity_id, checksum) in self.keys.items():
            values = {"entity_id": entity_id, "checksum": checksum, "fetched_at": now, "last_run_id": self.run_id}
            if row is None:
                new.append({"source_id": self.source_id, "entity_type": kind, "external_id": external_id, **values})
            else:
                seen.append({"id": row, **values})
        if new:
            self.session.execute(insert(ExternalRecord), new)
        if seen:
            self.session.execute(update(ExternalRecord), seen)
        self.session.commit()
        self.keys.clear()

    def note_missing(self) -> None:
        """Listings this source gave before but not this time are named, never archived."""
        if self.result.seen == 0:
            return
        count = self.session.scalar(
            select(func.count())
            .select_from(ExternalRecord)
            .where(
                ExternalRecord.source_id == self.source_id,
                ExternalRecord.entity_type == "service",
                (ExternalRecord.last_run_id != self.run_id) | ExternalRecord.last_run_id.is_(None),
            )
        )
        if count:
            self.result.notices.append(
                f"{count} listings this source gave before were not in this run; they were left as they are."
            )


def _values(
    record: ServiceRecord, source: ImportSource, known: set[str], note: Callable[[str], None]
) -> dict[str, Any]:
    """The write path's values for a record: only what the source says, in the snapshot's shapes."""
    values: dict[str, Any] = {"name": record.name}
    simple = (
        "description", "url", "email", "phone", "status", "minimum_age", "maximum_age", "gender",
        "eligibility_conditions", "is_free", "cost_description", "referral_form_url", "capacity",
        "funding_status", "funder", "funded_until",
    )  # fmt: skip
    for name in simple:
        value = getattr(record, name)
        if value is not None:
            values[name] = value
    for name in ("referral_routes", "languages", "accessibility", "delivery_modes", "service_areas"):
        value = getattr(record, name)
        if value is not None:
            values[name] = list(value)
    if record.categories is not None:
        unknown = [c for c in record.categories if c not in known]
        if unknown:
            note(f"{record.where}: categories not in this directory, left off: {', '.join(unknown)}")
        values["categories"] = [c for c in record.categories if c in known]
    if record.unmapped_terms:
        note(f"{record.where}: taxonomy terms with no category: {', '.join(record.unmapped_terms)}")
    if record.locations is not None:
        values["locations"] = [
            {"name": loc.name, "address_1": loc.address_1, "city": loc.city, "postcode": loc.postcode}
            for loc in record.locations
        ]
    if record.schedules is not None:
        values["schedules"] = [
            {
                "byday": s.byday,
                "opens_at": s.opens_at,
                "closes_at": s.closes_at,
                "by_appointment": s.by_appointment,
                "description": s.description,
            }
            for s in record.schedules
        ]
    if record.contacts is not None:
        values["contacts"] = [
            {"name": c.name, "title": c.title, "phone": c.phone, "email": c.email} for c in record.contacts
        ]
    if record.assured_date:
        values["last_verified_at"] = record.assured_date.rstrip("Z")[:19]
        values["verified_how"] = "import"
        values["verified_by"] = f"import: {source.name}"[:255]
    return values


def _wait(record: ServiceRecord) -> tuple[int, datetime | None] | None:
    if record.waiting_weeks is None:
        return None
    reported = v.a_datetime(record.waiting_reported_at) if record.waiting_reported_at else None
    return rules.clean_wait(record.waiting_weeks), reported


def _organisation_name(record: ServiceRecord) -> str:
    return record.organisation.name if record.organisation is not None else record.name


def _organisation_values(record: ServiceRecord) -> dict[str, Any]:
    org = record.organisation
    values: dict[str, Any] = {"name": _organisation_name(record)}
    if org is not None:
        fields = ("description", "website", "email", "phone", "charity_number", "sector")
        values.update({k: getattr(org, k) for k in fields if getattr(org, k) not in (None, "")})
    return values


def _loose(name: str) -> str:
    """A name for fuzzy comparison: "&" is "and", case and punctuation do not count."""
    return str(default_process(name.replace("&", " and ")))


def _failure(exc: Exception) -> str:
    if isinstance(exc, v.ValidationFailed):
        return "; ".join(f"{field}: {message}" for field, message in exc.errors.items())
    return str(exc)


def _compare(values: dict[str, Any], cleaned: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for name, value in cleaned.items():
        plain = [_plain(x) for x in value] if isinstance(value, list) else _plain(value)
        if name in ("categories", "service_areas", "languages"):
            same = sorted(plain or []) == sorted(before.get(name) or [])
        else:
            same = plain == before.get(name)
        if not same:
            changes[name] = values[name]
    return changes
