"""Running importers: their records go through ``operations`` with provenance, one transaction a run.

A run is all-or-nothing for the source and row-accounted for its records:

- the whole run's writes happen on one database transaction of their own; each record is a
  savepoint inside it (``operations`` commit = release the savepoint; a rejected record rolls back
  to it), so at the end the database holds exactly the accepted records, and a fetch that fails
  part-way (or a crash) leaves the previous state intact;
- the ``ImportRun`` report (counts, every rejected record with its reason, notices) is kept on the
  ordinary session, so a failed run is recorded even though its writes were rolled back;
- records are keyed by (source, external id) in ``ExternalRecord``: a re-run updates in place, and
  a record whose content checksum has not changed is counted unchanged without being loaded;
- a new record that looks like an existing listing (similar name and organisation at the same
  postcode) becomes a ``MergeCandidate`` for staff, never a second listing;
- an empty source changes nothing and is recorded as a failure; nothing is ever archived because
  it is missing from a feed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from rapidfuzz import fuzz
from rapidfuzz.utils import default_process
from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from scrapers import FetchFailed, ParseFailed, ServiceRecord, importer_for
from scrapers.base import Importer, Rejected, RunResult
from scrapers.ical import NO_FUTURE_EVENTS, ICalImporter
from scrapers.oruk import OrukImporter
from scrapers.spreadsheet import SpreadsheetImporter
from scrapers.website import WebsiteChecker

from . import operations
from . import validation as v
from .clock import utcnow
from .db import DbSession
from .models import Location, Organization, Service, TaxonomyTerm, service_at_location
from .models_imports import ExternalRecord, ImportEvidence, ImportRun, ImportSource, MergeCandidate
from .reminders import follow_up_evidence
from .snapshots import _plain, service_snapshot

STUCK_AFTER = timedelta(hours=6)
QUIET_AFTER = timedelta(days=183)
BAD_AFTER_FAILURES = 3
NAME_SIMILARITY = 88
ORGANISATION_SIMILARITY = 80

Progress = Callable[[int], object]


class ImportError_(Exception):
    """A source cannot be set up (unknown kind, bad options)."""


def category_table(session: DbSession, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Term -> category code: every category's code and name (any case), then the source's own table."""
    table: dict[str, str] = {}
    for code, name in session.execute(select(TaxonomyTerm.code, TaxonomyTerm.name)):
        table[code.lower()] = code
        table[name.lower()] = code
    table.update({k.lower(): val for k, val in (extra or {}).items()})
    return table


def ensure_source(
    session: DbSession, *, name: str, kind: str, url: str = "", options: dict[str, Any] | None = None
) -> ImportSource:
    """The source with this name (its kind, address and options brought up to date), or a new one."""
    importer_for(kind)  # a KeyError names the kinds there are
    source = session.scalars(select(ImportSource).where(ImportSource.name == name)).first()
    if source is None:
        source = ImportSource(name=name, kind=kind, url=url, options=dict(options or {}))
        session.add(source)
    else:
        source.kind, source.url = kind, url or source.url
        if options is not None:
            source.options = {**(source.options or {}), **options}
    session.commit()
    return source


def make_importer(session: DbSession, source: ImportSource, config: dict[str, Any]) -> Importer:
    """An importer for ``source`` configured from its options and the app's settings."""
    options = source.options or {}
    common: dict[str, Any] = {
        "allow_private": bool(config.get("IMPORT_ALLOW_PRIVATE", False)),
        "timeout": float(config.get("IMPORT_TIMEOUT", 20)),
        "max_bytes": int(config.get("IMPORT_MAX_MB", 20)) * 1024 * 1024,
    }
    categories = category_table(session, options.get("category_map"))
    if source.kind == "oruk":
        return OrukImporter(categories, **common)
    if source.kind == "spreadsheet":
        return SpreadsheetImporter(options.get("mapping"), categories, **common)
    if source.kind == "ical":
        return ICalImporter(now=utcnow(), weeks=int(config.get("IMPORT_ICAL_WEEKS", 8)), **common)
    raise ImportError_(f"no importer for {source.kind!r}")


def reset_stuck_runs(session: DbSession, *, now: datetime | None = None) -> int:
    """Runs left 'running' for hours (a crash) are marked failed and their sources freed."""
    cutoff = (now or utcnow()) - STUCK_AFTER
    stuck = list(session.scalars(select(ImportRun).where(ImportRun.status == "running", ImportRun.started_at < cutoff)))
    for run in stuck:
        run.status, run.ended_at = "failed", utcnow()
        run.failure = f"The run was still marked running after {STUCK_AFTER} and was reset; nothing it did was kept."
        if run.source.state == "running":
            run.source.state, run.source.last_error = "failed", run.failure
    session.commit()
    return len(stuck)


def quiet_sources(session: DbSession, *, now: datetime | None = None) -> list[ImportSource]:
    """Sources whose listings have not changed for six months (or never have)."""
    cutoff = (now or utcnow()) - QUIET_AFTER
    return [
        s
        for s in session.scalars(select(ImportSource).order_by(ImportSource.name))
        if s.last_run_at is not None and (s.last_changed_at or s.created_at) < cutoff
    ]


def run_source(
    session: DbSession,
    source: ImportSource,
    config: dict[str, Any],
    *,
    started_by: str = "",
    payloads: Iterable[bytes] | None = None,
    importer: Importer | None = None,
    force: bool = False,
    all_or_nothing: bool = False,
    progress: Progress | None = None,
) -> ImportRun:
    """Run one source (fetching it, unless ``payloads`` are given) and return the kept report."""
    reset_stuck_runs(session)
    run = ImportRun(source_id=source.id, started_by=started_by, started_at=utcnow())
    session.add(run)
    source.state = "running"
    session.commit()
    result = RunResult()
    checksum = ""
    try:
        importer = importer or make_importer(session, source, config)
        stream = payloads if payloads is not None else importer.fetch(source.url)
        if source.kind in ("spreadsheet", "ical"):
            # One payload: read it first, so an unchanged file is skipped before anything is parsed.
            stream = list(stream)
            checksum = _digest(stream)
            if checksum == source.last_checksum and not force:
                result.skipped = True
        if not result.skipped:
            checksum = _write(session, source, run, importer, stream, result, all_or_nothing, progress)
    except (FetchFailed, ParseFailed, ImportError_) as exc:
        result.failure = str(exc)
    _finish(session, source, run, result, checksum)
    return run


def _digest(payloads: list[bytes]) -> str:
    hasher = hashlib.sha256()
    for payload in payloads:
        hasher.update(payload)
    return hasher.hexdigest()


def _write(
    session: DbSession,
    source: ImportSource,
    run: ImportRun,
    importer: Importer,
    stream: Iterable[bytes],
    result: RunResult,
    all_or_nothing: bool,
    progress: Progress | None,
) -> str:
    """Parse and write every payload inside one transaction; commit it only if the run succeeds."""
    hasher = hashlib.sha256()
    engine = session.get_bind()
    assert isinstance(engine, Engine), "imports open their own connection on the app's engine"
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            # pysqlite starts transactions lazily; begin one explicitly (taking the write lock now) so
            # the savepoints below nest inside it instead of committing on their own.
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.begin()
        # Nothing else writes while the run holds the write lock, so objects need not be reloaded after
        # each record's savepoint is released.
        writer = Session(
            bind=connection, join_transaction_mode="create_savepoint", autoflush=False, expire_on_commit=False
        )
        keep = False
        try:
            applier = _Applier(writer, source, run, result)
            seen = 0
            for payload in stream:
                hasher.update(payload)
                parsed = importer.parse(payload)
                result.rejected.extend(parsed.rejected)
                result.notices.extend(parsed.notices)
                for record in parsed.records:
                    applier.apply(record)
                    seen += 1
                    if progress:
                        progress(1)
                for _ in parsed.rejected:
                    if progress:
                        progress(1)
            if isinstance(importer, ICalImporter):
                applier.calendar_evidence(result)
            elif result.seen == 0:
                raise ParseFailed("the source returned no listings; nothing was changed (an empty feed never archives)")
            applier.save_links()
            applier.note_missing()
            if all_or_nothing and result.rejected:
                result.notices.append("All or nothing was asked for and some records were rejected: nothing was kept.")
                result.created = result.updated = result.held = 0
            else:
                keep = True
        finally:
            writer.close()
            if keep:
                connection.commit()
            else:
                connection.rollback()
    return hasher.hexdigest()


def _finish(session: DbSession, source: ImportSource, run: ImportRun, result: RunResult, checksum: str) -> None:
    now = utcnow()
    session.rollback()  # the bookkeeping session saw nothing of the import's own transaction
    run = session.get(ImportRun, run.id) or run
    source = session.get(ImportSource, source.id) or source
    run.ended_at = now
    run.created, run.updated, run.unchanged, run.held = result.created, result.updated, result.unchanged, result.held
    run.rejected = [{"where": r.where, "reason": r.reason} for r in result.rejected]
    run.rejected_count = len(result.rejected)
    run.notices = result.notices[:1000]
    run.checksum = checksum
    source.last_run_at = now
    if result.failure:
        run.status, run.failure = "failed", result.failure
        run.created = run.updated = run.held = 0
        previous = list(
            session.scalars(
                select(ImportRun.status)
                .where(ImportRun.source_id == source.id, ImportRun.id != run.id)
                .order_by(ImportRun.id.desc())
                .limit(BAD_AFTER_FAILURES - 1)
            )
        )
        repeated = len(previous) == BAD_AFTER_FAILURES - 1 and all(s == "failed" for s in previous)
        refused = "only http and https" in result.failure or "private or internal" in result.failure
        source.state = "bad-source" if repeated or refused else "failed"
        source.last_error = result.failure
    else:
        run.status = "skipped" if result.skipped else "succeeded"
        source.state, source.last_error = "idle", ""
        if checksum:
            source.last_checksum = checksum
        if result.created or result.updated:
            source.last_changed_at = now
    session.commit()


def _values(record: ServiceRecord, source: ImportSource, known: set[str], notices: list[str]) -> dict[str, Any]:
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
            notices.append(f"{record.where}: categories not in this directory, left off: {', '.join(unknown)}")
        values["categories"] = [c for c in record.categories if c in known]
    if record.unmapped_terms:
        notices.append(f"{record.where}: taxonomy terms with no category: {', '.join(record.unmapped_terms)}")
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


class _Applier:
    """Writes one run's records on the run's own session (see the module docstring)."""

    def __init__(self, session: Session, source: ImportSource, run: ImportRun, result: RunResult) -> None:
        self.session = session
        self.source_id = source.id
        self.source_name = source.name
        self.source = source
        self.run_id = run.id
        self.result = result
        self.actor = operations.Actor(label=f"import: {source.name}"[:255], source="import")
        self.known = set(session.scalars(select(TaxonomyTerm.code)))
        self.organisations: dict[str, int] = {}
        self.seen_ids: set[str] = set()
        self.nearby: dict[str, list[tuple[int, str, str, str, str]]] = {}
        # The source's keys, read once: (entity type, external id) -> (row id, entity id, checksum).
        self.links: dict[tuple[str, str], tuple[int | None, int, str]] = {
            (kind, external): (row, entity, checksum)
            for row, kind, external, entity, checksum in session.execute(
                select(
                    ExternalRecord.id,
                    ExternalRecord.entity_type,
                    ExternalRecord.external_id,
                    ExternalRecord.entity_id,
                    ExternalRecord.checksum,
                ).where(ExternalRecord.source_id == source.id)
            )
        }
        self.touched: set[tuple[str, str]] = set()
        self.own_ids = {entity for (kind, _), (_, entity, _) in self.links.items() if kind == "service"}

    # -- lookups -------------------------------------------------------------------------------
    def _external(self, entity_type: str, external_id: str) -> tuple[int | None, int, str] | None:
        return self.links.get((entity_type, external_id))

    def _link(self, entity_type: str, external_id: str, entity_id: int, checksum: str) -> None:
        """Note the key; the keys are written together at the end of the run (``save_links``).

        Only records that were accepted reach here, so a key never outlives its record's savepoint.
        """
        row = self.links.get((entity_type, external_id), (None, 0, ""))[0]
        self.links[(entity_type, external_id)] = (row, entity_id, checksum)
        if entity_type == "service":
            self.own_ids.add(entity_id)
        self.touched.add((entity_type, external_id))

    def save_links(self) -> None:
        """Write this run's keys in two statements: new ones inserted, seen ones brought up to date."""
        now = utcnow()
        new, seen = [], []
        for key in self.touched:
            row, entity_id, checksum = self.links[key]
            values = {"entity_id": entity_id, "checksum": checksum, "fetched_at": now, "last_run_id": self.run_id}
            if row is None:
                new.append({"source_id": self.source_id, "entity_type": key[0], "external_id": key[1], **values})
            else:
                seen.append({"id": row, **values})
        if new:
            self.session.execute(insert(ExternalRecord), new)
        if seen:
            self.session.execute(update(ExternalRecord), seen)
        self.session.commit()

    def _organisation_id(self, record: ServiceRecord) -> int:
        org = record.organisation
        name = org.name if org is not None else record.name
        key = f"id:{org.external_id}" if org is not None and org.external_id else f"name:{name.lower()}"
        if key in self.organisations:
            return self.organisations[key]
        values: dict[str, Any] = {"name": name}
        if org is not None:
            values.update(
                {k: getattr(org, k) for k in ("description", "website", "email", "phone", "charity_number", "sector")}
            )
            values = {k: val for k, val in values.items() if val not in (None, "")}
        found: int | None = None
        if org is not None and org.external_id:
            link = self._external("organization", org.external_id)
            found = link[1] if link is not None else None
        if found is None:
            found = self.session.scalars(
                select(Organization.id).where(func.lower(Organization.name) == name.lower(), ~Organization.archived)
            ).first()
        if found is None:
            created = operations.create(self.session, "organization", values, self.actor)
            found = int(created.id)
        if org is not None and org.external_id:
            self._link("organization", org.external_id, found, "")
        self.organisations[key] = found
        return found

    def _similar(self, values: dict[str, Any], organisation_name: str) -> tuple[int, int, str] | None:
        postcodes = {loc["postcode"] for loc in values.get("locations", []) if loc.get("postcode")}
        cleaned: set[str] = set()
        for code in postcodes:
            try:
                cleaned.add(v.postcode(code) or "")
            except ValueError:
                continue
        if not cleaned:
            return None
        own = self.own_ids
        best: tuple[int, int, str] | None = None
        name, organisation = _loose(values["name"]), _loose(organisation_name)
        for code in cleaned:
            for service_id, loose_name, loose_org, shown_name, shown_org in self._nearby(code):
                # A source's own records are distinct by its ids: only other listings can be lookalikes.
                if service_id in own:
                    continue
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

    def _nearby(self, postcode: str) -> list[tuple[int, str, str, str, str]]:
        """Live listings at a postcode as they were when the run first met it (read once per postcode)."""
        if postcode not in self.nearby:
            rows = self.session.execute(
                select(Service.id, Service.name, Organization.name)
                .join(Organization, Organization.id == Service.organization_id)
                .join(service_at_location, service_at_location.c.service_id == Service.id)
                .join(Location, Location.id == service_at_location.c.location_id)
                .where(Location.postcode == postcode, Service.status != "archived")
                .distinct()
            )
            self.nearby[postcode] = [(i, _loose(n), _loose(o), n, o) for i, n, o in rows]
        return self.nearby[postcode]

    # -- the work ------------------------------------------------------------------------------
    def apply(self, record: ServiceRecord) -> None:
        """Create, update, hold or reject one record; never raise for a bad record."""
        if record.external_id in self.seen_ids:
            self.result.rejected.append(Rejected(record.where, f"the id {record.external_id!r} appears twice"))
            return
        self.seen_ids.add(record.external_id)
        try:
            self._apply(record)
        except (v.ValidationFailed, operations.NotPermitted, operations.StaleEdit, ValueError) as exc:
            self.session.rollback()
            self.result.rejected.append(Rejected(record.where, _failure(exc)))
        except SQLAlchemyError as exc:
            self.session.rollback()
            self.result.rejected.append(Rejected(record.where, f"the database refused it: {type(exc).__name__}"))

    def _apply(self, record: ServiceRecord) -> None:
        if self.source.kind == "ical":
            self._apply_calendar(record)
            return
        checksum = record.checksum()
        values = _values(record, self.source, self.known, self.result.notices)
        link = self._external("service", record.external_id)
        if link is not None:
            if link[2] == checksum:
                self.result.unchanged += 1
                self._link("service", record.external_id, link[1], checksum)
                return
            service = self.session.get(Service, link[1])
            if service is None:  # pragma: no cover - listings are archived, never deleted
                raise ValueError(f"the listing {link[1]} it was imported as has gone")
            cleaned = v.clean_fields(values, operations.SERVICE_SPEC, partial=True)
            changes = _compare(values, cleaned, service_snapshot(service))
            if changes:
                operations.update(
                    self.session, "service", service.id, changes, expected_version=service.version, actor=self.actor
                )
                self.result.updated += 1
            else:
                self.result.unchanged += 1
            self._waiting(service.id, record)
            self._link("service", record.external_id, service.id, checksum)
            return
        v.clean_fields(values, operations.SERVICE_SPEC, partial=True)  # reject bad rows before anything is made
        organisation_name = record.organisation.name if record.organisation else record.name
        similar = self._similar(values, organisation_name)
        if similar is not None:
            self._hold(record, values, similar)
            return
        values["organization_id"] = self._organisation_id(record)
        service = operations.create(self.session, "service", values, self.actor)
        self.own_ids.add(service.id)
        self.result.created += 1
        self._waiting(service.id, record)
        self._link("service", record.external_id, service.id, checksum)

    def _apply_calendar(self, record: ServiceRecord) -> None:
        service_id = int((self.source.options or {}).get("service_id") or 0)
        service = self.session.get(Service, service_id)
        if service is None:
            raise ImportError_(f"the calendar source is not bound to a listing (service {service_id} not found)")
        values = _values(record, self.source, self.known, self.result.notices)
        values = {"schedules": values.get("schedules", [])}
        cleaned = v.clean_fields(values, operations.SERVICE_SPEC, partial=True)
        if _compare(values, cleaned, service_snapshot(service)):
            operations.update(
                self.session, "service", service.id, values, expected_version=service.version, actor=self.actor
            )
            self.result.updated += 1
        else:
            self.result.unchanged += 1

    def _hold(self, record: ServiceRecord, values: dict[str, Any], similar: tuple[int, int, str]) -> None:
        service_id, score, reason = similar
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
        existing.values = {k: _plain(x) for k, x in values.items()}
        existing.organisation, existing.run_id = organisation, self.run_id
        existing.service_id, existing.score, existing.reason = service_id, score, reason[:255]
        self.session.commit()
        self.result.held += 1
        self.result.notices.append(f"{record.where}: held for staff as a possible duplicate of listing {service_id}")

    def _waiting(self, service_id: int, record: ServiceRecord) -> None:
        if record.waiting_weeks is None:
            return
        service = self.session.get(Service, service_id)
        latest = service.latest_wait if service is not None else None
        reported = v.a_datetime(record.waiting_reported_at) if record.waiting_reported_at else None
        if (
            latest is not None
            and latest.weeks == record.waiting_weeks
            and (reported is None or latest.reported_at >= reported)
        ):
            return
        operations.report_waiting_time(
            self.session, service_id, record.waiting_weeks, source="import", actor=self.actor, reported_at=reported
        )

    def calendar_evidence(self, result: RunResult) -> None:
        """iCal: sessions update the bound listing; no future sessions is evidence, not a change."""
        service_id = int((self.source.options or {}).get("service_id") or 0)
        if self.session.get(Service, service_id) is None:
            raise ImportError_(f"the calendar source is not bound to a listing (service {service_id} not found)")
        if any(n.startswith(NO_FUTURE_EVENTS) for n in result.notices):
            self.session.add(
                ImportEvidence(
                    service_id=service_id,
                    source_id=self.source_id,
                    kind="no-future-events",
                    detail=next(n for n in result.notices if n.startswith(NO_FUTURE_EVENTS)),
                )
            )
            self.session.commit()
            follow_up_evidence(self.session, service_id, "no-future-events",
                               next(n for n in result.notices if n.startswith(NO_FUTURE_EVENTS)),
                               reported_by=f"import: {self.source.name}")  # fmt: skip

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


def resolve_merge(session: DbSession, candidate_id: int, decision: str, actor: operations.Actor) -> int:
    """Staff decide a possible duplicate: ``merge`` into the existing listing, or keep ``separate``.

    Returns the id of the listing the record now belongs to.
    """
    candidate = session.get(MergeCandidate, candidate_id)
    if candidate is None:
        raise operations.NotFound(f"There is no merge candidate {candidate_id}.")
    if candidate.state != "open":
        raise v.ValidationFailed({"decision": "This possible duplicate has already been decided."})
    values = dict(candidate.values)
    if decision == "merge":
        service = session.get(Service, candidate.service_id)
        if service is None:  # pragma: no cover
            raise operations.NotFound(f"There is no service {candidate.service_id}.")
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
    session.commit()
    return int(target.id)


def check_websites(
    session: DbSession, checker: WebsiteChecker, *, limit: int | None = None, progress: Progress | None = None
) -> list[tuple[int, bool, str]]:
    """Check every live listing's website; a failure is kept as evidence, never a change."""
    query = select(Service.id, Service.url).where(Service.url.is_not(None), Service.status != "archived")
    rows = list(session.execute(query.order_by(Service.id).limit(limit)))
    outcomes = []
    for service_id, url in rows:
        check = checker.check(str(url))
        if not check.ok:
            session.add(ImportEvidence(service_id=service_id, kind="website-failed", detail=check.reason[:2000]))
            session.commit()
            follow_up_evidence(session, service_id, "website-failed", check.reason, reported_by="website check")
        outcomes.append((service_id, check.ok, check.reason))
        if progress:
            progress(1)
    return outcomes


def evidence_for(session: DbSession, service_id: int) -> list[ImportEvidence]:
    """What importers have seen about a listing, newest first."""
    return list(
        session.scalars(
            select(ImportEvidence).where(ImportEvidence.service_id == service_id).order_by(ImportEvidence.id.desc())
        )
    )
