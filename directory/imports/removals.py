"""Listings a source no longer publishes: counted, named, flagged for staff, archived after a grace period.

At the end of a successful run (inside its publishing transaction), each listing the source gave before that this
run did not give, and did not list either (an item whose detail failed or that was rejected is still published), is:

- named in the run's notes and counted in its ``removed`` figure;
- queued for staff as a ``source-removed`` follow-up naming the run that first missed it, once while it stays
  missing (a listing that comes back and goes again is queued again);
- archived, never deleted, through ``operations.archive`` (a revision records it) once the source has not given it
  for ``IMPORT_REMOVED_GRACE_DAYS`` days. If the source gives it again, it is updated back to the feed's status.

Never on a feed that came back empty (the run fails before this) or short: when more than half of the listings the
source gave before are missing (``SHORT_SHARE``), nothing is flagged or archived and a note says why, because a
truncated feed looks exactly like mass closure.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from scrapers.base import RunResult

from ..core import writes
from ..listings import operations
from ..models import Service
from ..models.imports import ExternalRecord, ImportSource
from ..verification.follow_ups import queue_follow_up

SHORT_SHARE = 0.5
REASON = "source-removed"


def account_removed(
    session: Session,
    source: ImportSource,
    run_id: int,
    result: RunResult,
    published: Collection[str],
    *,
    grace_days: int,
    actor: writes.Actor,
    now: datetime,
    note: Callable[[str], None],
) -> None:
    """Count, name, flag and (past the grace period) archive the source's listings missing from run ``run_id``."""
    keyed = (ExternalRecord.source_id == source.id) & (ExternalRecord.entity_type == "service")
    known = int(session.scalar(select(func.count()).select_from(ExternalRecord).where(keyed)) or 0)
    query = (
        select(ExternalRecord.external_id, ExternalRecord.fetched_at, ExternalRecord.last_run_id, Service)
        .join(Service, Service.id == ExternalRecord.entity_id)
        .where(keyed, (ExternalRecord.last_run_id != run_id) | ExternalRecord.last_run_id.is_(None))
        .where(Service.status != "archived")
        .order_by(ExternalRecord.external_id)
    )
    missing = [row for row in session.execute(query) if row[0] not in published]
    result.removed = len(missing)
    if not missing:
        return
    if len(missing) > SHORT_SHARE * known:
        note(
            f"{len(missing)} of the {known} listings this source gave before were not in this run: more than half, "
            "so the feed looks short or broken. None was flagged or archived; they were left as they are."
        )
        return
    for external_id, last_given, last_run, service in missing:
        where = f"service {external_id} (listing {service.id}, {service.name!r})"
        due = last_given + timedelta(days=grace_days)
        if now >= due:
            _archive(session, service, actor)
            # Forget what it last said, so if the source gives it again it is an update (back to its status).
            session.execute(
                update(ExternalRecord).where(keyed, ExternalRecord.external_id == external_id).values(checksum="")
            )
            note(f"{where}: not in the source since {last_given:%d %b %Y}, over {grace_days} days: archived.")
            continue
        queued = queue_follow_up(
            session, service.id, REASON, cycle=f"import-{source.id}-after-run-{last_run or 0}"[:32],
            detail=f"{source.name} no longer publishes it (first missing in import run {run_id}, "
                   f"{now:%d %b %Y}); it will be archived on {due:%d %b %Y} unless it comes back.",
            reported_by=actor.label,
        )  # fmt: skip
        said = "flagged for staff" if queued is not None else "still flagged for staff"
        note(f"{where}: no longer in the source; {said}, archived on {due:%d %b %Y} unless it comes back.")
    session.commit()  # releases this work's savepoint inside the run's publishing transaction


def _archive(session: Session, service: Service, actor: writes.Actor) -> None:
    operations.archive(session, "service", service.id, expected_version=service.version, actor=actor)
