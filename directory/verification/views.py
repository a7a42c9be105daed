"""Pages for keeping listings true: a group's one-click answers to a reminder (still running, stopped,
unsubscribe), a link worker's report from a listing, and staff's follow-up queue.

The one-click links open a page with one button, because email scanners follow links in messages: a GET that
changed data would confirm listings nobody looked at.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from ..accounts.roles import STAFF_ROLES, actor_for, roles_required
from ..core import writes
from ..core.clock import utcnow
from ..core.db import db
from ..core.personal_data import PersonalDataFound, overridden
from ..core.validation import ValidationFailed
from ..groups.links import TokenRefused, find_token
from ..listings.checks import WAIT_CHOICES
from ..listings.operations import report_waiting_time
from ..models import Service
from ..models.verification import FOLLOW_UP_REASONS, RESOLUTIONS, FollowUp
from . import answers, evidence
from . import follow_ups as queue_of_follow_ups
from .queue import prioritised
from .waits import current_wait_share

bp = Blueprint("verification", __name__)


def _refused(exc: TokenRefused, token: str) -> Any:
    return render_template("groups/refused.html", message=str(exc), renew=token if exc.renewable else ""), exc.status


# A one-click link's secret is exchanged, on first opening, for the contact's signed session and a clean
# address (as edit links are): it then leaves the address bar, the browser's history, any Referer and the
# access log. Opening the link spends nothing; the button does. A POST to the old address still works, for a
# page opened before the exchange and still on someone's screen.
# The session holds each link opened, keyed by its (not secret) row id, so two reminders open in two tabs
# each answer for their own listing.
HELD_LINKS = 10


def _held(kind: str) -> str:
    return f"group_pending_{kind}"


def _exchange(kind: str, token: str) -> Any:
    try:
        row = find_token(db.session, token, kind)
    except TokenRefused as exc:
        return _refused(exc, token)
    held = {key: value for key, value in dict(session.get(_held(kind)) or {}).items() if key != str(row.id)}
    held[str(row.id)] = token
    session[_held(kind)] = dict(list(held.items())[-HELD_LINKS:])
    return redirect(url_for(f"verification.{kind}_held", link=row.id), 303)


def _held_token(kind: str) -> str:
    return str(dict(session.get(_held(kind)) or {}).get(request.args.get("link", ""), ""))


def _spent(kind: str) -> None:
    held = dict(session.get(_held(kind)) or {})
    held.pop(request.args.get("link", ""), None)
    session[_held(kind)] = held


@bp.route("/group/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str) -> Any:
    """From a reminder: one button to say the listing is still running and correct."""
    return _confirm(token) if request.method == "POST" else _exchange("confirm", token)


@bp.route("/group/confirm", methods=["GET", "POST"], endpoint="confirm_held")
def confirm_held() -> Any:
    return _confirm(_held_token("confirm"))


def _confirm(token: str) -> Any:
    try:
        service = answers.service_for_token(db.session, token, "confirm")
    except TokenRefused as exc:
        return _refused(exc, token)
    if request.method == "POST":
        choice = request.form.get("answer") or "same"
        try:
            service = answers.answer(db.session, token, choice, paused_until=request.form.get("paused_until"))
        except TokenRefused as exc:
            db.session.rollback()
            return _refused(exc, token)
        except ValidationFailed as exc:
            db.session.rollback()
            return render_template("verification/confirm.html", **_confirm_page(service, exc.errors)), 422
        db.session.commit()
        _spent("confirm")
        return render_template("verification/confirmed.html", service=service, choice=choice)
    return render_template("verification/confirm.html", **_confirm_page(service, {}))


def _confirm_page(service: Service, errors: dict[str, str]) -> dict[str, Any]:
    return {"service": service, "errors": errors, "waits": WAIT_CHOICES, "today": utcnow().date()}


@bp.route("/group/stopped/<token>", methods=["GET", "POST"])
def stopped(token: str) -> Any:
    """From a reminder: tell us the group has stopped. Staff check it; nothing is deleted."""
    return _stopped(token) if request.method == "POST" else _exchange("stopped", token)


@bp.route("/group/stopped", methods=["GET", "POST"], endpoint="stopped_held")
def stopped_held() -> Any:
    return _stopped(_held_token("stopped"))


def _stopped(token: str) -> Any:
    try:
        service = answers.service_for_token(db.session, token, "stopped")
    except TokenRefused as exc:
        return _refused(exc, token)
    if request.method == "POST":
        note = request.form.get("note", "")
        try:
            answers.report_stopped(db.session, token, note, override=overridden(request.form.get("confirm_pii")))
        except TokenRefused as exc:
            db.session.rollback()
            return _refused(exc, token)
        except PersonalDataFound as exc:
            db.session.rollback()
            page = render_template("verification/stopped.html", service=service, errors=exc.errors, note=note,
                                   findings=exc.findings)  # fmt: skip
            return page, 422
        except ValidationFailed as exc:
            db.session.rollback()
            return render_template("verification/stopped.html", service=service, errors=exc.errors), 422
        except ValueError as exc:
            db.session.rollback()
            return render_template("verification/stopped.html", service=service, errors={"note": str(exc)}), 422
        db.session.commit()
        _spent("stopped")
        return render_template("verification/stopped_thanks.html", service=service)
    return render_template("verification/stopped.html", service=service, errors={})


@bp.route("/group/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token: str) -> Any:
    """Ask not to be emailed again; staff phone instead."""
    return _unsubscribe(token) if request.method == "POST" else _exchange("unsubscribe", token)


@bp.route("/group/unsubscribe", methods=["GET", "POST"], endpoint="unsubscribe_held")
def unsubscribe_held() -> Any:
    return _unsubscribe(_held_token("unsubscribe"))


def _unsubscribe(token: str) -> Any:
    try:
        row = find_token(db.session, token, "unsubscribe")
    except TokenRefused as exc:
        return _refused(exc, token)
    if request.method == "POST":
        address = answers.unsubscribe(db.session, token)
        db.session.commit()
        _spent("unsubscribe")
        return render_template("verification/unsubscribed.html", email=address)
    return render_template("verification/unsubscribe.html", email=row.email)


@bp.post("/staff/services/<int:service_id>/report")
@roles_required(*STAFF_ROLES)
def report(service_id: int) -> Any:
    """A link worker reports the listing has stopped or is wrong: a task for staff; the listing is unchanged."""
    if db.session.get(Service, service_id) is None:
        abort(404, f"There is no service {service_id}.")
    reason, note, reporter = request.form.get("reason", ""), request.form.get("note", ""), actor_for(current_user)
    guard = {"override": overridden(request.form.get("confirm_pii")), "user_id": current_user.id}
    try:
        if reason == "reported-stopped":  # independent reports count apart, and act at once (evidence.py)
            row = evidence.report_closed(db.session, service_id, note, reported_by=reporter.label, **guard)
        else:
            row = queue_of_follow_ups.report_from_listing(db.session, service_id, reason, note,
                                                          reported_by=reporter.label, **guard)  # fmt: skip
        hidden = row.reason == "reported-stopped" and evidence.after_link_worker_report(db.session, service_id)
    except PersonalDataFound as exc:
        db.session.rollback()
        service = db.session.get(Service, service_id)
        return _check_again(exc, note, f"Report on {service.name if service else 'this listing'}",
                            url_for("verification.report", service_id=service_id), {"reason": reason})  # fmt: skip
    except ValidationFailed as exc:
        db.session.rollback()
        flash(f"Not reported: {exc}", "error")
    else:
        db.session.commit()
        if hidden:
            flash("Thank you: with the other evidence, this listing is now out of search until staff check it.",
                  "success")  # fmt: skip
        elif row.reason == "reported-stopped":
            flash("Thank you: the listing now carries a warning and sinks in search until staff check it.", "success")
        else:
            flash("Thank you: staff will check this listing. It is unchanged until they do.", "success")
    return redirect(url_for("services.detail", service_id=service_id))


@bp.get("/staff/follow-ups")
@roles_required(*STAFF_ROLES)
def follow_ups() -> Any:
    """Listings to check by phone or to resolve: no reply, the group says it stopped, funding ended."""
    return render_template(
        "verification/follow_ups.html",
        rows=prioritised(db.session, queue_of_follow_ups.open_follow_ups(db.session), current_app.config, now=utcnow()),
        reasons=FOLLOW_UP_REASONS,
        resolutions=RESOLUTIONS,
        waits=current_wait_share(db.session, current_app.config, now=utcnow()),
    )


@bp.post("/staff/follow-ups/<int:follow_up_id>/resolve")
@roles_required(*STAFF_ROLES)
def resolve(follow_up_id: int) -> Any:
    """Staff checked the listing: still running, paused or closed."""
    # A one-click button's value comes after the select's in the form: the button pressed wins.
    resolution, note = (request.form.getlist("resolution") or [""])[-1], request.form.get("note", "")
    if resolution == "closed" and request.form.get("confirmed") != "yes":
        return _confirm_closing(follow_up_id, note)
    try:
        row = queue_of_follow_ups.resolve_follow_up(
            db.session, follow_up_id, resolution, staff=actor_for(current_user), note=note,
            override=overridden(request.form.get("confirm_pii")), user_id=current_user.id,
        )  # fmt: skip
    except writes.NotFound as exc:
        abort(404, str(exc))
    except PersonalDataFound as exc:
        db.session.rollback()
        action = url_for("verification.resolve", follow_up_id=follow_up_id)
        hidden = {"resolution": resolution, "weeks": request.form.get("weeks", ""),
                  "confirmed": request.form.get("confirmed", "")}  # fmt: skip
        return _check_again(exc, note, "Outcome of a follow-up", action, hidden)
    except (writes.NotPermitted, writes.StaleEdit, ValidationFailed, ValueError) as exc:
        db.session.rollback()
        reason = "; ".join(exc.errors.values()) if isinstance(exc, ValidationFailed) else str(exc)
        flash(f"Not resolved: {reason}", "error")
        return redirect(url_for("verification.follow_ups"), 303)
    evidence.settle_siblings(db.session, row)
    weeks = request.form.get("weeks", "").strip()
    if weeks and row.resolution != "closed":
        try:  # asked on the phone: the wait now, dated today
            report_waiting_time(db.session, row.service_id, weeks, source="link-worker", actor=actor_for(current_user))
        except ValidationFailed as exc:
            db.session.rollback()
            flash(f"Not resolved: {exc.errors.get('weeks', exc)}", "error")
            return redirect(url_for("verification.follow_ups"), 303)
    db.session.commit()
    flash(f"{row.service.name}: recorded as {RESOLUTIONS[row.resolution].lower()}.", "success")
    return redirect(url_for("verification.follow_ups"), 303)


def _confirm_closing(follow_up_id: int, note: str) -> Any:
    """Asked first, like archiving: "closed" takes the listing out of search and off every sheet."""
    row = db.session.get(FollowUp, follow_up_id)
    if row is None or row.resolved_at is not None:
        abort(404, "There is no such open follow-up.")
    hidden = {"resolution": "closed", "note": note, "weeks": request.form.get("weeks", ""),
              "confirm_pii": request.form.get("confirm_pii", ""), "confirmed": "yes"}  # fmt: skip
    return render_template("verification/close_confirm.html", service=row.service, hidden=hidden,
                           action=url_for("verification.resolve", follow_up_id=follow_up_id))  # fmt: skip


def _check_again(exc: PersonalDataFound, note: str, heading: str, action: str, hidden: dict[str, str]) -> Any:
    """The note came back from the personal-data guard: show what it found, to rephrase or save anyway."""
    page = render_template("verification/personal_data_check.html", heading=heading, action=action, hidden=hidden,
                           note=note, findings=exc.findings, errors=exc.errors)  # fmt: skip
    return page, 422
