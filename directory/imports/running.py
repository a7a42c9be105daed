"""Running one import source: its records go through the write path with provenance, all or nothing a run.

A run is all-or-nothing for the source and row-accounted for its records:

- the source is read whole first (``staging``); then its records are written a chunk at a time by
  ``writer.RecordWriter``, each chunk a short transaction of its own so that staff saves get in between
  (SQLite has one write lock). New listings are written hidden and changes to public listings deferred,
  and one short last transaction publishes the run (``publish``): users see all of it or none. A run
  that fails part-way (or a crash) takes back what its chunks wrote (``publish.take_back``), so the
  database holds exactly the accepted records, or is as it was;
- the ``ImportRun`` report (counts, every rejected record with its reason, notices) is kept on the
  ordinary session, so a failed run is recorded even though its writes were rolled back;
- records are keyed by (source, external id) in ``ExternalRecord``: a re-run updates in place, and
  a record whose content checksum has not changed is counted unchanged without being loaded;
- a new record that looks like an existing listing (similar name and organisation at the same
  postcode) becomes a ``MergeCandidate`` for staff, never a second listing;
- an empty source changes nothing and is recorded as a failure; a listing missing from a feed that is
  not empty nor short is flagged for staff, and archived only after a grace period (``removals``).

A run is a long job body, so it commits its own bookkeeping on the ordinary session rather than leaving it to its
caller: the run is marked running (and the source busy) before the long work, and the finished report after, so a
crash in between leaves a trace. The run records its process (``host:pid``) and beats a heartbeat while it works;
:func:`reset_stuck_runs` frees a run whose process has gone at once, so a killed import can run again straight
away. Also here: sources that have gone quiet.

Web workers never run imports: "Run now" and a confirmed upload only queue a source
(``queue.queue_source``); the scheduler process runs queued sources one at a time (``queue.run_queued``).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import Connection, Engine, select, update
from sqlalchemy.orm import Session

from scrapers import FetchFailed, ParseFailed, ServiceRecord
from scrapers.base import Importer, Rejected, RunResult
from scrapers.ical import ICalImporter

from ..core.clock import utcnow
from ..core.db import DbSession
from ..core.liveness import Heartbeat, this_worker, worker_gone
from ..models.imports import ImportRun, ImportSource
from . import publish, staging
from .sources import ImportError_, make_importer
from .writer import CHUNK_SIZE, NotBound, RecordWriter

STUCK_AFTER = timedelta(hours=6)
# A run on another machine whose heartbeat is older than this has died (one on this machine is judged at once).
DIED_AFTER = timedelta(minutes=3)
HEARTBEAT_SECONDS = 30
QUIET_AFTER = timedelta(days=183)
BAD_AFTER_FAILURES = 3
# After each chunk on SQLite the run stands back this long (at most; no longer than the chunk held the lock) before
# it takes the write lock again. A save waiting for the lock polls for it every 100 ms at worst (SQLite's busy
# handler backs off to that), so without the pause the run took the lock back first, chunk after chunk, and a save
# waited seconds (bench/RESULTS.md).
STAND_BACK_SECONDS = 0.1
# One import at a time in a process: two runs' chunks would only take turns at SQLite's write lock.
RUN_LOCK = threading.Lock()

Progress = Callable[[int], object]
logger = logging.getLogger(__name__)


def reset_stuck_runs(session: DbSession, *, now: datetime | None = None) -> int:
    """Runs whose process has stopped (killed, or its machine gone: see ``core.liveness``) are marked failed and
    their sources freed at once; a run still 'running' after hours is reset too, whoever ran it. The caller
    commits. Nothing a dead run did is kept: what its chunks wrote was hidden, and is taken back here."""
    now = now or utcnow()
    running = list(session.scalars(select(ImportRun).where(ImportRun.status == "running")))
    stuck = [
        run
        for run in running
        if worker_gone(run.worker, run.heartbeat_at, now, DIED_AFTER) or run.started_at < now - STUCK_AFTER
    ]
    for run in stuck:
        publish.take_back(session, run.source_id, run.id)  # its hidden, never-published listings
        run.status, run.ended_at = "failed", utcnow()
        run.failure = "The run stopped before it finished (its process died); nothing it did was kept."
        if run.source.state == "running":
            run.source.state, run.source.last_error = "failed", run.failure
    return len(stuck)


def _beat(engine: Engine, run_id: int) -> None:
    """Record that a run is alive, on a connection of its own (the run's writes are in a transaction of theirs)."""
    with engine.begin() as connection:
        connection.execute(update(ImportRun).where(ImportRun.id == run_id).values(heartbeat_at=utcnow()))


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
    failure like a dead source is, after what the run wrote has been taken back. Runs in one
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
    run = ImportRun(
        source_id=source.id, started_by=started_by, started_at=utcnow(), worker=this_worker(), heartbeat_at=utcnow()
    )
    session.add(run)
    source.state = "running"
    session.commit()
    result = RunResult()
    checksum = ""
    engine = session.get_bind()
    assert isinstance(engine, Engine), "imports open their own connection on the app's engine"
    with Heartbeat(partial(_beat, engine, run.id), HEARTBEAT_SECONDS):
        checksum = _attempt(session, source, run, config, payloads, importer, force, all_or_nothing, progress,
                            chunk_size, result)  # fmt: skip
    _finish(session, source, run, result, checksum)
    return run


def _attempt(
    session: DbSession,
    source: ImportSource,
    run: ImportRun,
    config: dict[str, Any],
    payloads: Iterable[bytes] | None,
    importer: Importer | None,
    force: bool,
    all_or_nothing: bool,
    progress: Progress | None,
    chunk_size: int,
    result: RunResult,
) -> str:
    """Fetch, parse and write the run; failures are the result's, never raised. Returns the payloads' checksum."""
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
            # Downloaded first, so no write transaction (SQLite's write lock) ever waits on the source.
            staged = stream if isinstance(stream, list) else staging.stage(stream)
            try:
                checksum = _write(session, source, run, importer, staged, result, all_or_nothing, progress, chunk_size,
                                  int(config.get("IMPORT_REMOVED_GRACE_DAYS", 28)))  # fmt: skip
            finally:
                if isinstance(staged, staging.Staged):
                    staged.close()
    except (FetchFailed, ParseFailed, ImportError_, NotBound) as exc:
        result.failure = str(exc)
    except Exception as exc:  # a crash: what the run wrote is already taken back; keep the report
        logger.exception("Import run %s of %r stopped on an unexpected error", run.id, source.name)
        result.failure = f"the import stopped on an unexpected error, nothing was changed ({type(exc).__name__}: {exc})"
    return checksum


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
    stream: Iterable[bytes | Rejected],
    result: RunResult,
    all_or_nothing: bool,
    progress: Progress | None,
    chunk_size: int,
    grace_days: int,
) -> str:
    """Parse and write every payload a chunk at a time, then publish the run; take it back if it fails."""
    hasher = hashlib.sha256()
    engine = session.get_bind()
    assert isinstance(engine, Engine), "imports open their own connection on the app's engine"
    writer: RecordWriter | None = None
    published = False
    with engine.connect() as connection:
        # Each commit on this session releases a savepoint of the chunk's transaction; the writer empties it
        # after every chunk, so objects are never kept (or reloaded) across chunks.
        writes = Session(
            bind=connection, join_transaction_mode="create_savepoint", autoflush=False, expire_on_commit=False
        )
        batch = partial(_transaction, connection, writes)
        try:
            with batch():
                new_places_from = publish.last_place(writes)
                writer = RecordWriter(
                    writes, source, run, result, chunk_size=chunk_size, grace_days=grace_days, batch=batch
                )
            for payload in stream:
                if isinstance(payload, Rejected):  # an item the source lists but could not give
                    hasher.update(repr(payload).encode())
                    writer.add(payload)
                    if progress:
                        progress(1)
                    continue
                hasher.update(payload)
                for item in importer.stream(payload):  # one record at a time: a payload's records are not all kept
                    if isinstance(item, ServiceRecord | Rejected):
                        writer.add(item)
                        if progress:
                            progress(1)
                    else:
                        writer.note(item)
            writer.finish()
            calendar = isinstance(importer, ICalImporter)
            if not calendar and result.seen == 0:
                raise ParseFailed("the source returned no listings; nothing was changed (an empty feed never archives)")
            with batch():  # the publishing transaction: all the run's changes to what users see, at once
                writer.publish()
                if calendar:
                    writer.calendar_evidence()
                writer.note_missing()
                if all_or_nothing and result.rejected:
                    raise _KeepNothing
            published = True
        except _KeepNothing:
            result.notices.append("All or nothing was asked for and some records were rejected: nothing was kept.")
            result.created = result.updated = result.held = result.removed = 0
        finally:
            writes.close()
            if writer is not None:
                writer.close()
            if not published:
                _take_back(engine, source, run, result, new_places_from if writer is not None else None)
    return hasher.hexdigest()


class _KeepNothing(Exception):
    """All or nothing was asked for and a record was rejected."""


@contextmanager
def _transaction(connection: Connection, writes: Session) -> Iterator[None]:
    """One chunk's (or the publishing) transaction: committed at the end, so other writers get in between."""
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # pysqlite starts transactions lazily; begin one explicitly (taking the write lock now, rather than failing
        # to upgrade a read later) so the savepoints below nest inside it instead of committing on their own.
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.begin()
    began = time.perf_counter()
    try:
        yield
        writes.commit()  # releases the session's last savepoint, if it holds one
    except BaseException:
        writes.rollback()
        connection.rollback()
        raise
    connection.commit()
    if sqlite:  # let a save that waited for the lock have it (PostgreSQL locks rows, and queues waiters fairly)
        time.sleep(min(STAND_BACK_SECONDS, time.perf_counter() - began))


def _take_back(engine: Engine, source: ImportSource, run: ImportRun, result: RunResult, places: int | None) -> None:
    """Remove what a run that is not published wrote (hidden, never shown), in short transactions; say so."""
    try:
        with Session(bind=engine) as session:
            removed = publish.take_back(session, source.id, run.id, new_places_from=places, commit=session.commit)
    except Exception:  # the run's own failure is what its report names; its hidden rows stay hidden
        logger.exception("Import run %s of %r: its unpublished listings could not be taken back", run.id, source.name)
        result.notices.append("The listings this run had written out of sight could not all be removed; they stay "
                              "hidden (archived) and are shown nowhere.")  # fmt: skip
        return
    if removed:
        result.notices.append(
            f"The {removed:,} new listings this run had written out of sight (never shown) were removed."
        )


def _finish(session: DbSession, source: ImportSource, run: ImportRun, result: RunResult, checksum: str) -> None:
    now = utcnow()
    session.rollback()  # the bookkeeping session starts afresh after the import's own transactions
    run = session.get(ImportRun, run.id) or run
    source = session.get(ImportSource, source.id) or source
    run.ended_at = now
    run.created, run.updated, run.unchanged, run.held = result.created, result.updated, result.unchanged, result.held
    run.rejected = [{"where": r.where, "reason": r.reason} for r in result.rejected]
    run.rejected_count = len(result.rejected)
    run.removed = result.removed
    run.notices = result.notices[:1000]
    run.checksum = checksum
    source.last_run_at = now
    if result.failure:
        run.status, run.failure = "failed", result.failure
        run.created = run.updated = run.held = run.removed = 0
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
