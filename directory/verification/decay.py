"""Decay with a reason, and pauses that end by themselves; both run in the daily staleness job.

- A listing with open evidence against it (reminders unanswered, funding ended) sinks in search, with a warning
  (``search/evidence.py``), while the evidence makes a closure likelier than not (``DECAY_SINK_LIKELIHOOD``, from
  ``likelihood.py``: its age, each unanswered reminder, reports, less each sign of life), and leaves default
  results (status closed, one revision saying why) once a closure is all but certain (``DECAY_HIDE_LIKELIHOOD``)
  or it has gone unanswered ``DECAY_HIDE_DAYS`` in the queue. Staff restore it in one click from the queue, and a
  group's answer settles the evidence first. A sign of life (a wait heard, a signposting with no report after
  it) floats a sunk listing back up.
- A no-reply or funding-ended follow-up queued before the listing was last checked (the group answered through
  another route, or edited its listing) is settled by that check.
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
from .likelihood import closure_likelihoods
from .reminders import _send_one

# Evidence a check settles, and evidence a listing sinks by (a listing with no email address only ages: not being
# able to ask it is no evidence it closed).
SETTLED_BY_A_CHECK = (*UNANSWERED, "funding-ended", "reported-stopped")
SINKS = ("no-reply", "funding-ended")


def decay_sweep(session: DbSession, config: Mapping[str, Any], *, now: datetime | None = None) -> dict[str, int]:
    """Settle answered evidence; sink, float and hide listings by how likely they closed; end due pauses.
    Reads only the open follow-ups and the paused listings. The caller commits, except that a pause's check email
    commits around itself (claimed, then sent), like every reminder."""
    now = now or utcnow()
    counts: Counter[str] = Counter()
    hide_before = now - timedelta(days=int(config["DECAY_HIDE_DAYS"]))
    rows = session.execute(
        select(FollowUp, Service.last_verified_at, Service.status)
        .join(Service, Service.id == FollowUp.service_id)
        .where(FollowUp.resolved_at.is_(None), FollowUp.reason.in_(SETTLED_BY_A_CHECK))
        .order_by(FollowUp.id)
    ).all()
    sinking: dict[int, list[FollowUp]] = {}
    for follow_up, verified_at, status in rows:
        if verified_at is not None and verified_at > follow_up.created_at:
            follow_up.resolved_at, follow_up.resolution = now, "still-running"
            follow_up.resolved_by = "directory: checked since (answered)"
            counts["settled"] += 1
        elif follow_up.reason in SINKS and status != "closed":
            sinking.setdefault(follow_up.service_id, []).append(follow_up)
    session.flush()
    _sink_or_hide(session, sinking, config, now, hide_before, counts)
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


def _sink_or_hide(
    session: DbSession,
    sinking: dict[int, list[FollowUp]],
    config: Mapping[str, Any],
    now: datetime,
    hide_before: datetime,
    counts: Counter[str],
) -> None:
    """Sink (or float back up) and hide listings by how likely the evidence makes a closure."""
    sink, hide = int(config["DECAY_SINK_LIKELIHOOD"]) / 100, int(config["DECAY_HIDE_LIKELIHOOD"]) / 100
    likely = closure_likelihoods(session, sorted(sinking), now=now)
    for service_id, follow_ups in sinking.items():
        closure = likely[service_id]
        silent_too_long = any(f.reason == "no-reply" and f.created_at <= hide_before for f in follow_ups)
        if closure.probability >= hide or silent_too_long:
            why = (f"hidden: no reply in {config['DECAY_HIDE_DAYS']} days" if silent_too_long
                   else f"hidden: {round(100 * closure.probability)}% likely closed")  # fmt: skip
            take_out(session, session.get_one(Service, service_id), why)
            counts["hidden"] += 1
        for follow_up in follow_ups:
            if closure.probability >= sink and follow_up.sunk_at is None:
                follow_up.sunk_at = now
                counts["sunk"] += 1
            elif closure.probability < sink and follow_up.sunk_at is not None:
                follow_up.sunk_at = None
                counts["floated"] += 1


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
