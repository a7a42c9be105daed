"""Decay with a reason, and pauses that end by themselves; both run in the daily staleness job.

- A listing whose reminders went unanswered is queued for staff to phone (``no-reply``). While that stays open it
  sinks in search after ``DECAY_SINK_DAYS``, marked "not answering" (``search/evidence.py``), and after
  ``DECAY_HIDE_DAYS`` it leaves default results (status closed, one revision saying why); staff restore it in one
  click from the queue, and a group's answer settles the evidence first.
- A no-reply follow-up queued before the listing was last checked (the group answered through another route, or
  edited its listing) is settled by that check.
- A pause with a date ends on that date: the listing is shown as running again and the group gets a check email.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from ..core.clock import utcnow
from ..core.db import DbSession
from ..listings import checks, operations
from ..models import Service
from ..models.verification import FollowUp
from .contacts import contact_email, opted_out
from .evidence import EVIDENCE, UNANSWERED, take_out
from .follow_ups import queue_follow_up
from .reminders import _send_one


def decay_sweep(session: DbSession, config: Mapping[str, Any], *, now: datetime | None = None) -> dict[str, int]:
    """Settle answered no-reply evidence, take out listings unanswered past DECAY_HIDE_DAYS, end due pauses.
    Reads only the open follow-ups and the paused listings. The caller commits, except that a pause's check email
    commits around itself (claimed, then sent), like every reminder."""
    now = now or utcnow()
    counts: Counter[str] = Counter()
    hide_before = now - timedelta(days=int(config["DECAY_HIDE_DAYS"]))
    rows = session.execute(
        select(FollowUp, Service.last_verified_at, Service.status)
        .join(Service, Service.id == FollowUp.service_id)
        .where(FollowUp.resolved_at.is_(None), FollowUp.reason.in_(UNANSWERED))
        .order_by(FollowUp.id)
    ).all()
    for follow_up, verified_at, status in rows:
        if verified_at is not None and verified_at > follow_up.created_at:
            follow_up.resolved_at, follow_up.resolution = now, "still-running"
            follow_up.resolved_by = "directory: checked since (answered)"
            counts["settled"] += 1
        elif follow_up.reason == "no-reply" and follow_up.created_at <= hide_before and status != "closed":
            # Silence is evidence; having no email address is not (it waits for a call, ageing as before).
            days = int(config["DECAY_HIDE_DAYS"])
            take_out(session, session.get_one(Service, follow_up.service_id), f"hidden: no reply in {days} days")
            counts["hidden"] += 1
    ending = session.scalars(
        select(Service).where(Service.status == "paused", Service.paused_until <= now.date()).order_by(Service.id)
    ).all()  # read first: each check email commits
    for service in ending:
        counts["pauses_ended"] += 1
        ended = service.paused_until
        operations.update(
            session, "service", service.id, dict(checks.RUNNING_AGAIN), expected_version=service.version,
            actor=EVIDENCE, action="pause ended: running again",
        )  # fmt: skip
        _check_after_pause(session, service, f"restart:{ended}", config, now, counts)
    session.flush()
    return dict(counts)


def _check_after_pause(
    session: DbSession, service: Service, cycle: str, config: Mapping[str, Any], now: datetime, counts: Counter[str]
) -> None:
    """Ask the group to confirm it is running again (one reminder), or queue a call when it cannot be emailed."""
    address = contact_email(service)
    if address and not opted_out(session, address):
        session.commit()  # a reminder is claimed and sent in its own transactions
        if _send_one(session, service, kind="freshness", cycle=cycle, sequence=1, address=address, config=config,
                     now=now):  # fmt: skip
            counts["restart_checks_sent"] += 1
        return
    if queue_follow_up(session, service.id, "no-email", cycle=cycle, detail="Its pause ended; phone to confirm."):
        counts["queued_for_phone"] += 1
