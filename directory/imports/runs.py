"""Running importers: their records go through the write path with provenance, one transaction a run.

A run is all-or-nothing for the source and row-accounted for its records:

- the whole run's writes happen on one database transaction of their own, written a chunk of
  records at a time by ``import_writer`` (new listings in bulk through ``bulk_write``, changed ones
  through ``operations``, each chunk or record in a savepoint), so at the end the database holds
  exactly the accepted records, and a fetch that fails part-way (or a crash) leaves the previous
  state intact;
- the ``ImportRun`` report (counts, every rejected record with its reason, notices) is kept on the
  ordinary session, so a failed run is recorded even though its writes were rolled back;
- records are keyed by (source, external id) in ``ExternalRecord``: a re-run updates in place, and
  a record whose content checksum has not changed is counted unchanged without being loaded;
- a new record that looks like an existing listing (similar name and organisation at the same
  postcode) becomes a ``MergeCandidate`` for staff, never a second listing;
- an empty source changes nothing and is recorded as a failure; nothing is ever archived because
  it is missing from a feed.

Web workers never run imports: "Run now" and a confirmed upload only queue a source
(:func:`queue_source`); the scheduler process runs queued sources one at a time (:func:`run_queued`).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, func, select, update
from sqlalchemy.orm import Session

from scrapers import FetchFailed, ParseFailed, ServiceRecord, importer_for
from scrapers.base import Importer, Rejected, RunResult
from scrapers.ical import ICalImporter
from scrapers.oruk import OrukImporter
from scrapers.spreadsheet import SpreadsheetImporter
from scrapers.website import WebsiteChecker

from ..core import validation as v
from ..core import writes
from ..core.clock import utcnow
from ..core.db import DbSession
from ..listings import operations
from ..models import Organization, Service, TaxonomyTerm
from ..models.imports import ExternalRecord, ImportEvidence, ImportRun, ImportSource, MergeCandidate
from ..verification.follow_ups import follow_up_evidence
from .writer import CHUNK_SIZE, NotBound, RecordWriter

STUCK_AFTER = timedelta(hours=6)
QUIET_AFTER = timedelta(days=183)
BAD_AFTER_FAILURES = 3

Progress = Callable[[int], object]
logger = logging.getLogger(__name__)


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
    chunk_size: int = CHUNK_SIZE,
) -> ImportRun:
    """Run one source (fetching it, unless ``payloads`` are given) and return the kept report.

    A fault that is not the source's (a bug in a parser or the write path) is recorded as the run's
    failure like a dead source is, after the run's transaction has been rolled back. Runs in one
    process take turns (``RUN_LOCK``).
    """
    with RUN_LOCK:
        return _run(
            session, source, config, started_by, payloads, importer, force, all_or_nothing, progress, chunk_size
        )


def _run(
    session: DbSession,
    source: ImportSource,
    config: dict[str, Any],
    started_by: str,
    payloads: Iterable[bytes] | None,
    importer: Importer | None,
    force: bool,
    all_or_nothing: bool,
    progress: Progress | None,
    chunk_size: int,
) -> ImportRun:
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
            checksum = _write(session, source, run, importer, stream, result, all_or_nothing, progress, chunk_size)
    except (FetchFailed, ParseFailed, ImportError_, NotBound) as exc:
        result.failure = str(exc)
    except Exception as exc:  # a crash: the run's own transaction is already rolled back; keep the report
        logger.exception("Import run %s of %r stopped on an unexpected error", run.id, source.name)
        result.failure = f"the import stopped on an unexpected error, nothing was changed ({type(exc).__name__}: {exc})"
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
    chunk_size: int,
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
        # Each commit on this session releases a savepoint of the run's transaction; the writer empties it
        # after every chunk, so objects are never kept (or reloaded) across chunks.
        writes = Session(
            bind=connection, join_transaction_mode="create_savepoint", autoflush=False, expire_on_commit=False
        )
        keep = False
        try:
            writer = RecordWriter(writes, source, run, result, chunk_size=chunk_size)
            for payload in stream:
                hasher.update(payload)
                for item in importer.stream(payload):  # one record at a time: a payload's records are not all kept
                    if isinstance(item, ServiceRecord | Rejected):
                        writer.add(item)
                        if progress:
                            progress(1)
                    else:
                        writer.note(item)
            writer.finish()
            if isinstance(importer, ICalImporter):
                writer.calendar_evidence()
            elif result.seen == 0:
                raise ParseFailed("the source returned no listings; nothing was changed (an empty feed never archives)")
            writer.note_missing()
            if all_or_nothing and result.rejected:
                result.notices.append("All or nothing was asked for and some records were rejected: nothing was kept.")
                result.created = result.updated = result.held = 0
            else:
                keep = True
        finally:
            writes.close()
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


# -- the queue: web workers ask, the scheduler process runs ---------------------------------------

QUEUE_STATES = ("queued", "running")
UPLOAD = re.compile(r"^[0-9a-f]{32}$")  # the token an uploaded spreadsheet is stored under
# One import at a time in a process: each holds its transaction to the end (SQLite's write lock too).
RUN_LOCK = threading.Lock()


def uploads_folder(instance_path: str | Path) -> Path:
    """Where uploaded spreadsheets wait to be imported, and running imports write their progress."""
    folder = Path(instance_path) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def queue_source(
    session: DbSession, source_id: int, *, requested_by: str, options: dict[str, Any] | None = None
) -> bool:
    """Ask the scheduler process to run a source soon; False, changing nothing, if it is queued or running.

    ``options`` are for that run only: ``upload`` (the token of a stored spreadsheet), ``force`` and
    ``all_or_nothing``. The check and the change are one statement, so two clicks cannot both queue.
    """
    queued = session.execute(
        update(ImportSource)
        .where(ImportSource.id == source_id, ImportSource.state.not_in(QUEUE_STATES))
        .values(state="queued", queued_at=utcnow(), queued_by=requested_by[:255], queued_options=dict(options or {}))
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return bool(cast("CursorResult[Any]", queued).rowcount)


def queued_count(session: DbSession) -> int:
    """How many sources wait for the scheduler."""
    return int(session.scalar(select(func.count()).where(ImportSource.state == "queued")) or 0)


def run_queued(session: DbSession, config: dict[str, Any], instance_path: str | Path) -> list[ImportRun]:
    """Run the queued sources one at a time, oldest first (and any queued meanwhile); their reports."""
    folder = uploads_folder(instance_path)
    runs: list[ImportRun] = []
    while True:
        source = session.scalars(
            select(ImportSource).where(ImportSource.state == "queued").order_by(ImportSource.queued_at, ImportSource.id)
        ).first()
        if source is None:
            return runs
        # Claim it in one statement, so a second scheduler process cannot start it too.
        claimed = session.execute(
            update(ImportSource)
            .where(ImportSource.id == source.id, ImportSource.state == "queued")
            .values(state="running", queued_options={})
            .execution_options(synchronize_session=False)
        )
        options, requested_by = dict(source.queued_options or {}), source.queued_by or "admin pages"
        session.commit()
        if not cast("CursorResult[Any]", claimed).rowcount:
            continue
        upload = str(options.get("upload") or "")
        path = folder / f"{upload}.bin" if UPLOAD.match(upload) else None
        if upload and (path is None or not path.exists()):
            source.state, source.last_error = "failed", "The uploaded file was not found; upload it again."
            session.commit()
            continue
        tracker = ProgressFile(folder, source.id)
        try:
            runs.append(
                run_source(
                    session, source, config, started_by=requested_by,
                    payloads=[path.read_bytes()] if path is not None else None,
                    force=bool(options.get("force")), all_or_nothing=bool(options.get("all_or_nothing")),
                    progress=tracker,
                )
            )  # fmt: skip
        finally:
            tracker.close()
            if path is not None:
                path.unlink(missing_ok=True)


class ProgressFile:
    """How many records a running import has read, kept in a small file for the admin page.

    A run keeps its writes in one transaction to the end (on SQLite holding the write lock), so its
    progress cannot go to the database; a file in the instance folder can, at most once a second.
    """

    def __init__(self, folder: Path, source_id: int) -> None:
        self.path = folder / f"progress-{source_id}.txt"
        self.count = 0
        self.written = 0.0

    def __call__(self, count: int) -> None:
        self.count += count
        if time.monotonic() - self.written >= 1.0:
            self.written = time.monotonic()
            partial = self.path.with_suffix(".part")
            partial.write_text(str(self.count), encoding="ascii")
            os.replace(partial, self.path)

    def close(self) -> None:
        self.path.unlink(missing_ok=True)


def progress_of(instance_path: str | Path, source_id: int) -> int | None:
    """Records read so far by a source's running import, if it says."""
    try:
        return int((Path(instance_path) / "imports" / f"progress-{source_id}.txt").read_text(encoding="ascii"))
    except (OSError, ValueError):
        return None


def resolve_merge(session: DbSession, candidate_id: int, decision: str, actor: writes.Actor) -> int:
    """Staff decide a possible duplicate: ``merge`` into the existing listing, or keep ``separate``.

    Returns the id of the listing the record now belongs to.
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
            follow_up_evidence(session, service_id, "website-failed", check.reason, reported_by="website check")
            session.commit()
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
