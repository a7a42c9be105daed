"""The import queue the scheduler process runs: web workers queue a source ("Run now", a confirmed upload), the
scheduler runs queued sources one at a time; uploaded spreadsheets waiting in the instance folder, and the progress
file a running import keeps for the admin page.

:func:`queue_source` leaves the commit to its caller (a view). :func:`run_queued` is a job body: it commits each
claim at once, so a second scheduler process cannot start the same source, and a claimed upload whose file has gone
is marked failed there and then.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, update

from ..core.clock import utcnow
from ..core.db import DbSession
from ..models.imports import ImportRun, ImportSource
from .running import run_source

QUEUE_STATES = ("queued", "running")
UPLOAD = re.compile(r"^[0-9a-f]{32}$")  # the token an uploaded spreadsheet is stored under
# An upload nobody confirmed within a day was abandoned (the mapping page was closed): it is removed.
ABANDONED_AFTER_SECONDS = 24 * 3600


def uploads_folder(instance_path: str | Path) -> Path:
    """Where uploaded spreadsheets wait to be imported, and running imports write their progress."""
    folder = Path(instance_path) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def discard_abandoned_uploads(session: DbSession, instance_path: str | Path, *, now: float | None = None) -> int:
    """Remove uploaded spreadsheets older than a day that no queued or running source is waiting to import;
    how many were removed."""
    folder = uploads_folder(instance_path)
    waiting = {
        str((options or {}).get("upload") or "")
        for options in session.scalars(select(ImportSource.queued_options).where(ImportSource.state.in_(QUEUE_STATES)))
    }
    cutoff = (now if now is not None else time.time()) - ABANDONED_AFTER_SECONDS
    removed = 0
    for path in folder.glob("*.bin"):
        if UPLOAD.match(path.stem) and path.stem not in waiting and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def queue_source(
    session: DbSession, source_id: int, *, requested_by: str, options: dict[str, Any] | None = None
) -> bool:
    """Ask the scheduler process to run a source soon; False, changing nothing, if it is queued or running.

    ``options`` are for that run only: ``upload`` (the token of a stored spreadsheet), ``force`` and
    ``all_or_nothing``. The check and the change are one statement, so two clicks cannot both queue. The caller
    commits.
    """
    queued = session.execute(
        update(ImportSource)
        .where(ImportSource.id == source_id, ImportSource.state.not_in(QUEUE_STATES))
        .values(state="queued", queued_at=utcnow(), queued_by=requested_by[:255], queued_options=dict(options or {}))
        .execution_options(synchronize_session=False)
    )
    return bool(cast("CursorResult[Any]", queued).rowcount)


def queued_count(session: DbSession) -> int:
    """How many sources wait for the scheduler."""
    return int(session.scalar(select(func.count()).where(ImportSource.state == "queued")) or 0)


def run_queued(session: DbSession, config: dict[str, Any], instance_path: str | Path) -> list[ImportRun]:
    """Run the queued sources one at a time, oldest first (and any queued meanwhile); their reports."""
    folder = uploads_folder(instance_path)
    discard_abandoned_uploads(session, instance_path)
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

    A run's own writes stay hidden until it is published, and writing progress to the database would take
    SQLite's write lock once more for each update; a file in the instance folder costs nothing, at most once a
    second.
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
