"""Evidence that a listing may have stopped, gathered without changing it: website checks, and reading back what
importers have seen about a listing (a calendar's "no future sessions" is added by the record writer).

Each piece of evidence also joins staff's follow-up queue (``verification.follow_ups.follow_up_evidence``).
:func:`check_websites` is a long job (one request a listing, throttled per host), so it commits each failure as it finds
it: a check stopped part-way keeps what it found.
"""

from __future__ import annotations

from sqlalchemy import select

from scrapers.website import WebsiteChecker

from ..core.db import DbSession
from ..models import Service
from ..models.imports import ImportEvidence
from ..verification.follow_ups import follow_up_evidence
from .running import Progress


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
