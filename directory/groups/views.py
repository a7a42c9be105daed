"""Pages for groups keeping their own listings, and for staff: edit links, held changes, requests to be listed.

Group contacts reach these pages by secret links and never have an account: an edit link signs them
in for their own organisation (a flag in the signed session). The link opens a page with one button,
because email scanners follow links in messages: a GET that spent it would sign nobody in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user

from ..accounts.roles import STAFF_ROLES, actor_for, roles_required
from ..core import outbox, writes
from ..core.clock import utcnow
from ..core.db import db
from ..core.mail import external_url
from ..core.validation import ValidationFailed
from ..listings import checks, operations
from ..listings import queries as listings
from ..listings.forms import expected_version, organization_changes, service_changes
from ..models import Organization, Service
from ..models.groups import GroupToken
from . import changes
from . import links as groups
from . import requests as listing_requests

bp = Blueprint("groups", __name__)


def _access() -> groups.GroupAccess | None:
    access = groups.check_access(db.session, session.get(groups.SESSION_KEY), current_app.config)
    if access is None:
        session.pop(groups.SESSION_KEY, None)
    return access


def _require_access() -> groups.GroupAccess:
    access = _access()
    if access is None:
        abort(403, "Your edit link has expired or was withdrawn. Use the link in your latest email, or ask us.")
    return access


def _refused(exc: groups.TokenRefused, token: str) -> Any:
    return render_template("groups/refused.html", message=str(exc), renew=token if exc.renewable else ""), exc.status


# --- group contacts ----------------------------------------------------------------------------------


# The edit link a contact opened, kept in their signed session until they press the button: the secret then
# leaves the address bar, the browser's history and any Referer at once (and the access log never shows it).
PENDING_LINK = "group_pending_link"


@bp.route("/group/link/<token>", methods=["GET", "POST"])
def enter(token: str) -> Any:
    """An edit link: checked, then exchanged for the session and the clean address below (nothing is spent)."""
    if request.method == "POST":  # a page opened before links were exchanged, still on someone's screen
        return _spend(token)
    try:
        groups.find_token(db.session, token, "edit")
    except groups.TokenRefused as exc:
        return _refused(exc, token)
    session[PENDING_LINK] = token
    return redirect(url_for("groups.enter_link", next=request.args.get("next", "")), 303)


@bp.route("/group/link", methods=["GET", "POST"], endpoint="enter_link")
def enter_link() -> Any:
    """The edit link's page: one button that signs the contact in for their organisation."""
    token = str(session.get(PENDING_LINK) or "")
    if request.method == "POST":
        return _spend(token)
    try:
        row = groups.find_token(db.session, token, "edit")
    except groups.TokenRefused as exc:
        return _refused(exc, token)
    return render_template("groups/enter.html", link=row, next=request.args.get("next", ""))


def _spend(token: str) -> Any:
    try:
        access = groups.use_edit_link(db.session, token)
    except groups.TokenRefused as exc:
        db.session.rollback()
        return _refused(exc, token)
    db.session.commit()
    session.pop(PENDING_LINK, None)
    session[groups.SESSION_KEY] = access.as_session()
    destination = request.form.get("next", "")
    if destination.startswith("service-") and destination[8:].isdigit():
        return redirect(url_for("groups.home", _anchor=destination))
    return redirect(url_for("groups.home"))


@bp.get("/group/")
def home() -> Any:
    """The signed-in group's listings; without a sign-in, how to get one."""
    access = _access()
    if access is None:
        return render_template("groups/signed_out.html")
    organization = db.session.get(Organization, access.organization_id)
    pending = changes.pending_changes(db.session, organization_id=access.organization_id)
    return render_template(
        "groups/home.html",
        access=access,
        organization=organization,
        services=groups.own_services(db.session, access),
        pending={c.service_id: c for c in pending if c.service_id is not None},
        organization_pending=next((c for c in pending if c.service_id is None), None),
        held=sorted(changes.review_groups(current_app.config)),
        requests=listing_requests.of_organization(db.session, access.organization_id),
    )


@bp.post("/group/sign-out")
def sign_out() -> Any:
    """Forget the group sign-in in this browser."""
    session.pop(groups.SESSION_KEY, None)
    flash("Signed out. Use the link in your email to come back.", "success")
    return redirect(url_for("groups.home"))


def _form_context(service: Service, values: dict[str, Any] | None, errors: dict[str, str]) -> dict[str, Any]:
    return {
        "service": service,
        "values": values,
        "errors": errors,
        "staff": False,
        "category_choices": [(t.code, t.name) for t in listings.categories(db.session)],
        "organization_choices": [],
    }


@bp.route("/group/services/<int:service_id>/edit", methods=["GET", "POST"])
def edit_service(service_id: int) -> Any:
    """A group edits one of its own listings; some field groups wait for staff review."""
    access = _require_access()
    try:
        service = groups.own_service(db.session, access, service_id)
    except writes.NotFound:
        abort(404, "There is no such listing in your organisation's listings.")
    held = sorted(changes.review_groups(current_app.config))
    if request.method == "POST":
        values = service_changes(request.form, staff=False)
        return _save_or_refuse(
            lambda: changes.submit_service_changes(
                db.session, access, service_id, values,
                expected_version=expected_version(request.form), config=current_app.config,
            ),
            lambda errors: render_template("listings/service_form.html", **_form_context(service, values, errors)),
        )  # fmt: skip
    if held:
        flash(f"We check changes to {changes.held_in_words(held)} before they appear; others appear at once.", "info")
    return render_template("listings/service_form.html", **_form_context(service, None, {}))


def _save_or_refuse(submit: Callable[[], changes.Submitted], form: Callable[[dict[str, str]], str]) -> Any:
    """Save a group's changes, or show the form again saying why nothing was saved."""
    try:
        result = submit()
    except ValidationFailed as exc:
        db.session.rollback()
        flash("The changes were not saved: please correct the fields marked below.", "error")
        return form(exc.errors), 422
    except writes.StaleEdit as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return form({}), 409
    except writes.NotPermitted as exc:
        db.session.rollback()
        abort(403, str(exc))
    db.session.commit()
    flash(_submitted_message(result), "success")
    return redirect(url_for("groups.home"))


def _submitted_message(result: changes.Submitted) -> str:
    if result.held:
        return f"Saved. Changes to {changes.held_in_words(result.held)} will appear once we have checked them."
    return "Saved and published." if result.published else "Nothing had changed."


@bp.route("/group/organisations/<int:organization_id>/edit", methods=["GET", "POST"])
def edit_organisation(organization_id: int) -> Any:
    """A group edits its own organisation's public details; some field groups wait for staff review."""
    access = _require_access()
    try:
        organization = groups.own_organization(db.session, access, organization_id)
    except writes.NotFound:
        abort(404, "There is no such organisation among your listings.")
    held = sorted(changes.review_groups(current_app.config))
    if request.method == "POST":
        values = organization_changes(request.form)
        return _save_or_refuse(
            lambda: changes.submit_organization_changes(
                db.session, access, organization_id, values,
                expected_version=expected_version(request.form), config=current_app.config,
            ),
            lambda errors: render_template("groups/organisation_form.html", organization=organization,
                                           values=values, errors=errors, held=held),
        )  # fmt: skip
    return render_template(
        "groups/organisation_form.html", organization=organization, values=None, errors={}, held=held
    )


@bp.post("/group/services/<int:service_id>/wait")
def report_wait(service_id: int) -> Any:
    """A group reports its current waiting time (published at once, with its date)."""
    access = _require_access()
    try:
        groups.own_service(db.session, access, service_id)
        operations.report_waiting_time(
            db.session, service_id, request.form.get("weeks", ""), source="group", actor=access.actor
        )
    except writes.NotFound:
        abort(404, "There is no such listing in your organisation's listings.")
    except ValidationFailed as exc:
        db.session.rollback()
        flash(f"The wait was not saved: {exc.errors.get('weeks', exc)}", "error")
        return redirect(url_for("groups.home")), 303
    db.session.commit()
    flash("Thank you: the waiting time is published.", "success")
    return redirect(url_for("groups.home"), 303)


@bp.post("/group/services/<int:service_id>/pause")
def pause(service_id: int) -> Any:
    """A group says its listing is paused until a date: shown as paused, and running again by itself that day."""
    return _answer(service_id, "pause")


@bp.post("/group/services/<int:service_id>/running")
def running_again(service_id: int) -> Any:
    """A group says its paused listing is running again."""
    return _answer(service_id, "running")


def _answer(service_id: int, what: str) -> Any:
    access = _require_access()
    try:
        groups.own_service(db.session, access, service_id)
        now = utcnow()
        if what == "pause":
            values = checks.pause_changes(request.form.get("paused_until"), today=now.date())
            action = "paused, said the group"
        else:
            values, action = dict(checks.RUNNING_AGAIN), "running again, said the group"
        service = checks.check(db.session, service_id, actor=access.actor, at=now, how="group-edited", action=action,
                               changes=values)  # fmt: skip
    except writes.NotFound:
        abort(404, "There is no such listing in your organisation's listings.")
    except ValidationFailed as exc:
        db.session.rollback()
        flash(f"Not saved: {exc.errors.get('paused_until', exc)}", "error")
        return redirect(url_for("groups.home")), 303
    db.session.commit()
    until = f" until {service.paused_until:%-d %B %Y}" if service.paused_until else ""
    flash(f"Thank you: {service.name} is shown as {'paused' + until if what == 'pause' else 'running'}.", "success")
    return redirect(url_for("groups.home"), 303)


# --- staff -------------------------------------------------------------------------------------------


@bp.post("/staff/organisations/<int:organization_id>/group-links")
@roles_required(*STAFF_ROLES)
def invite(organization_id: int) -> Any:
    """Email a group contact an edit link for this organisation's listings."""
    back = request.form.get("service_id", "")
    target = url_for("services.detail", service_id=int(back)) if back.isdigit() else url_for("organisations.index")
    try:
        token, row = groups.invite(
            db.session, organization_id, request.form.get("email", ""),
            created_by=actor_for(current_user).label, days=int(current_app.config["GROUP_LINK_DAYS"]),
        )  # fmt: skip
    except ValidationFailed as exc:
        db.session.rollback()
        flash("No link was sent: " + "; ".join(exc.errors.values()), "error")
        return redirect(target, 303)
    email = outbox.queue(
        db.session, f"invite:{row.id}", row.email, f"Keep {row.organization.name}'s listing up to date", "invitation",
        organization=row.organization, link=external_url("groups.enter", token=token), expires=row.expires_at,
    )  # fmt: skip
    db.session.commit()
    status = outbox.deliver(db.session, email.id)
    days = current_app.config["GROUP_LINK_DAYS"]
    flash(f"Sent an edit link to {row.email}. It works once, within {days} days." + outbox.not_sent_yet(status),
          "error" if status == "failed" else "success")  # fmt: skip
    return redirect(target, 303)


@bp.post("/staff/group-links/<int:link_id>/revoke")
@roles_required(*STAFF_ROLES)
def revoke(link_id: int) -> Any:
    """Withdraw an edit link, and any sign-in made with it."""
    row = db.session.get(GroupToken, link_id)
    if row is None:
        abort(404, f"There is no group link {link_id}.")
    groups.revoke(db.session, link_id, by=actor_for(current_user).label)
    db.session.commit()
    flash(f"Withdrew the link sent to {row.email}.", "success")
    back = request.form.get("service_id", "")
    return redirect(
        url_for("services.detail", service_id=int(back)) if back.isdigit() else url_for("groups.review_queue"), 303
    )


@bp.get("/staff/group-changes")
@roles_required(*STAFF_ROLES)
def review_queue() -> Any:
    """Changes from groups waiting for review, each with a diff."""
    waiting = changes.pending_changes(db.session)
    return render_template("groups/review.html", changes=[(c, changes.diff(c)) for c in waiting])


@bp.post("/staff/group-changes/<int:change_id>/approve")
@roles_required(*STAFF_ROLES)
def approve(change_id: int) -> Any:
    """Publish a group's held change through the write path."""
    try:
        change = changes.approve(
            db.session, change_id, staff=actor_for(current_user), expected_version=expected_version(request.form)
        )
    except writes.NotFound as exc:
        abort(404, str(exc))
    except (writes.NotPermitted, writes.StaleEdit) as exc:
        db.session.rollback()
        flash(f"Not approved: {exc}", "error")
        return redirect(url_for("groups.review_queue"), 303)
    except ValidationFailed as exc:
        db.session.rollback()
        flash("Not approved: " + "; ".join(f"{k}: {m}" for k, m in exc.errors.items()), "error")
        return redirect(url_for("groups.review_queue"), 303)
    db.session.commit()
    flash(f"Approved and published the change to {change.listing.name}.", "success")
    return redirect(url_for("groups.review_queue"), 303)


@bp.post("/staff/group-changes/<int:change_id>/reject")
@roles_required(*STAFF_ROLES)
def reject(change_id: int) -> Any:
    """Turn a held change down, emailing the group why."""
    try:
        change = changes.reject(
            db.session, change_id, staff=actor_for(current_user), message=request.form.get("message", "")
        )
    except writes.NotFound as exc:
        abort(404, str(exc))
    except (writes.NotPermitted, ValidationFailed, ValueError) as exc:
        db.session.rollback()
        reason = "; ".join(exc.errors.values()) if isinstance(exc, ValidationFailed) else str(exc)
        flash(f"Not rejected: {reason}", "error")
        return redirect(url_for("groups.review_queue"), 303)
    email = outbox.queue(
        db.session, f"change-rejected:{change.id}", change.email,
        f"Your change to {change.listing.name} was not published", "rejected", change=change, listing=change.listing,
        rows=changes.diff(change),
    )  # fmt: skip
    db.session.commit()
    status = outbox.deliver(db.session, email.id)
    flash(f"Rejected; {change.email} has been emailed your message." + outbox.not_sent_yet(status),
          "error" if status == "failed" else "success")  # fmt: skip
    return redirect(url_for("groups.review_queue"), 303)


@bp.route("/listings/request", methods=["GET", "POST"])
def request_listing() -> Any:
    """A group asks to be listed; staff check it before anything is published."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {name: request.form.get(name, "") for name in listing_requests.SPEC}
        values["categories"] = request.form.getlist("categories")
        try:
            listing_requests.submit(db.session, values)
        except ValidationFailed as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            db.session.commit()
            return render_template("groups/request_thanks.html")
    categories = [(t.code, t.name) for t in listings.categories(db.session)]
    return render_template("groups/request.html", values=values, errors=errors, category_choices=categories), (
        422 if errors else 200
    )


@bp.get("/staff/listing-requests")
@roles_required(*STAFF_ROLES)
def listing_requests_queue() -> Any:
    """Groups waiting to be listed."""
    return render_template("groups/requests.html", requests=listing_requests.waiting(db.session))


@bp.post("/staff/listing-requests/<int:request_id>/approve")
@roles_required(*STAFF_ROLES)
def approve_listing_request(request_id: int) -> Any:
    """List the group now: the listing is created through the write path, credited to the group."""
    return _decide_listing_request(request_id, "approve")


@bp.post("/staff/listing-requests/<int:request_id>/decline")
@roles_required(*STAFF_ROLES)
def decline_listing_request(request_id: int) -> Any:
    """Decline with a reason, which is emailed to the group; the request is kept."""
    return _decide_listing_request(request_id, "decline")


def _decide_listing_request(request_id: int, decision: str) -> Any:
    try:
        if decision == "approve":
            done = listing_requests.approve(db.session, request_id, staff=actor_for(current_user))
            db.session.commit()
            flash(f"Listed {done.service_name}. It is on the directory now.", "success")
        else:
            done, email = listing_requests.decline(
                db.session, request_id, request.form.get("reason", ""), staff=actor_for(current_user)
            )
            db.session.commit()
            status = outbox.deliver(db.session, email.id)
            flash(f"Declined, and {done.email} was told why." + outbox.not_sent_yet(status),
                  "error" if status == "failed" else "success")  # fmt: skip
    except writes.NotFound as exc:
        db.session.rollback()
        abort(404, str(exc))
    except (writes.NotPermitted, ValidationFailed) as exc:
        db.session.rollback()
        flash(f"Nothing was changed: {exc}", "error")
    return redirect(url_for("groups.listing_requests_queue"))
