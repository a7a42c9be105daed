"""A group's one-click answers to a reminder: still running (with its wait now, or not taking referrals), paused
until a date, running again, we have stopped, and stop emailing me.

Every answer is a check of what the group saw and answered: it re-dates the verification, and a wait only when the
group gave or confirmed one. "We have stopped" takes the listing out of default results at once (see
``evidence.py``); staff confirm it or restore it in one click.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..core import validation as v
from ..core import writes
from ..core.clock import utcnow
from ..core.db import DbSession
from ..core.personal_data import record_override, screen_or_refuse
from ..groups import links as groups
from ..listings import checks
from ..models import Service
from ..models.groups import GroupToken
from ..models.verification import FollowUp
from .contacts import opt_out
from .evidence import settle_answered, take_out
from .follow_ups import queue_follow_up

# The answers the confirm page offers, each one button: "same" confirms the listing and the wait it shows.
ANSWERS = ("same", *(f"wait-{weeks}" for weeks in checks.WAIT_CHOICES), "not-accepting", "paused", "running-again")


def service_for_token(session: DbSession, token: str, kind: str, *, now: datetime | None = None) -> Service:
    """The listing a confirm/stopped link is about, or TokenRefused."""
    row = groups.find_token(session, token, kind, now=now)
    service = session.get(Service, row.service_id) if row.service_id else None
    if service is None or service.organization_id != row.organization_id:
        raise groups.TokenRefused("This link is not recognised. Ask us for a new one.", "unknown")
    return service


def _group(row: GroupToken, service: Service) -> writes.Actor:
    return writes.Actor(label=f"group: {row.email}", source="group", organization_id=service.organization_id)


def answer(
    session: DbSession, token: str, choice: str = "same", *, paused_until: Any = None, now: datetime | None = None
) -> Service:
    """One click from a reminder: the group's answer, recorded as a check through the write path (one revision,
    and a wait report when it gave or confirmed a wait). Refuses an unknown answer with ValidationFailed."""
    now = now or utcnow()
    row = groups.find_token(session, token, "confirm", now=now)
    service = service_for_token(session, token, "confirm", now=now)
    actor = _group(row, service)
    if choice not in ANSWERS:
        raise v.ValidationFailed({"answer": "Choose one of the buttons."})
    changes: dict[str, Any] = {}
    if choice == "paused":
        changes = checks.pause_changes(paused_until, today=now.date())
        action = "paused, said the group"
    elif service.status != "active":  # any other answer says it is running
        changes, action = dict(checks.RUNNING_AGAIN), "running again, said the group"
    else:
        action = "confirmed by group"
    if choice == "not-accepting":
        changes["capacity"] = "not-accepting"
    elif choice.startswith("wait-") and service.capacity == "not-accepting":
        changes["capacity"] = "waiting-list" if choice != "wait-0" else "accepting"
    shown = service.latest_wait
    row.used_at = now  # committed together with the answer below, or not at all
    service = checks.check(session, service.id, actor=actor, at=now, how="group-confirmed", action=action,
                           changes=changes)  # fmt: skip
    if choice.startswith("wait-"):
        checks.confirm_wait(session, service.id, choice.removeprefix("wait-"), actor=actor, at=now)
    elif choice == "same" and shown is not None:  # the page showed this wait, and the group confirmed it
        checks.confirm_wait(session, service.id, shown.weeks, actor=actor, at=now)
    settle_answered(session, service.id, by=actor.label, resolution="paused" if choice == "paused" else "still-running")
    return service


def confirm_still_running(session: DbSession, token: str, *, now: datetime | None = None) -> Service:
    """One click: the group says the listing is still running and correct; it counts as verified today."""
    return answer(session, token, "same", now=now)


def report_stopped(
    session: DbSession, token: str, note: Any, *, override: bool = False, now: datetime | None = None
) -> FollowUp:
    """The group says it has stopped: out of default results at once, and a follow-up for staff to confirm or
    restore (nothing is deleted).

    The note passes the personal-data guard as staff notes do ("our leader Margaret Hughes has died"):
    ``PersonalDataFound`` unless ``override``, and then it is kept masked and the override recorded."""
    now = now or utcnow()
    row = groups.find_token(session, token, "stopped", now=now)
    service = service_for_token(session, token, "stopped", now=now)
    screened = screen_or_refuse(v.text(2_000)(note), override=override, field_name="note")
    detail = screened.text or "The group used the 'we have stopped' link."
    row.used_at = now
    by = f"group: {row.email}"
    follow_up = queue_follow_up(session, service.id, "group-stopped", detail=detail, reported_by=by)
    assert follow_up is not None
    record_override(session, screened, field="follow_up.detail", record_id=follow_up.id, user_id=None, by=by)
    # The token proved whose listing it is; a status is otherwise staff's to set.
    take_out(session, service, "reported closed by the group", actor=writes.Actor(f"group: {row.email}", "group"))
    return follow_up


def unsubscribe(session: DbSession, token: str, *, now: datetime | None = None) -> str:
    """Stop emailing the address this link was sent to; returns it."""
    row: GroupToken = groups.find_token(session, token, "unsubscribe", now=now)
    opt_out(session, row.email)
    return row.email
