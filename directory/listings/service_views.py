"""Staff pages for services: list, view, create, edit, history, archive and restore."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..accounts.roles import ANY_SIGNED_IN, STAFF_ROLES, actor_for, can_edit_service, roles_required
from ..core import writes
from ..core.db import db
from ..core.validation import ValidationFailed
from ..models import Revision, Service
from . import operations, referral_forms
from . import queries as listings
from .forms import expected_version, service_changes
from .organisation_views import organization_for_edit

bp = Blueprint("services", __name__, url_prefix="/staff")


def _service_for_edit(service_id: int) -> Service:
    service = db.session.get(Service, service_id)
    if service is None:
        abort(404, f"There is no service {service_id}.")
    if not can_edit_service(current_user, service):
        abort(403, "You can only see and change your own organisation's listings.")
    return service


def _form_context(service: Service | None, values: dict[str, Any] | None, errors: dict[str, str]) -> dict[str, Any]:
    return {
        "service": service,
        "values": values,
        "errors": errors,
        "staff": current_user.role in STAFF_ROLES,
        "category_choices": [(t.code, t.name) for t in listings.categories(db.session)],
        "organization_choices": [(o.id, o.name) for o in listings.organizations(db.session)],
    }


def _attach_referral_form(values: dict[str, Any]) -> None:
    """A new referral form file replaces the recorded one (the old file is kept for the history)."""
    upload = request.files.get("referral_form_upload")
    if upload is not None and upload.filename:
        try:
            values["referral_form_file"] = referral_forms.store(
                current_app.instance_path, upload.filename, upload.stream
            )
        except referral_forms.BadReferralForm as exc:
            raise ValidationFailed({"referral_form_upload": str(exc)}) from None
    elif request.form.get("remove_referral_form") == "yes":
        values["referral_form_file"] = None


@bp.get("/")
@roles_required(*ANY_SIGNED_IN)
def dashboard() -> Any:
    """Listings this person can change, with archived ones on request."""
    scope = current_user.organization_id if current_user.role == "group-editor" else None
    page_arg = request.args.get("page", "1")
    page = listings.browse(
        db.session,
        text=request.args.get("q", "")[:200],
        category=request.args.get("category", ""),
        organization_id=scope,
        include_archived=request.args.get("archived") == "yes",
        page=int(page_arg) if page_arg.isdigit() else 1,
    )
    return render_template(
        "listings/dashboard.html",
        page=page,
        q=request.args.get("q", ""),
        category=request.args.get("category", ""),
        archived=request.args.get("archived") == "yes",
        categories=listings.categories(db.session),
    )


@bp.route("/services/new", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def create() -> Any:
    """Add a service."""
    if request.method == "POST":
        values = service_changes(request.form, staff=True)
        try:
            _attach_referral_form(values)
            service = operations.create(db.session, "service", values, actor_for(current_user))
        except ValidationFailed as exc:
            db.session.rollback()
            flash("The service was not saved: please correct the fields marked below.", "error")
            return render_template("listings/service_form.html", **_form_context(None, values, exc.errors)), 422
        flash(f"Added {service.name}.", "success")
        return redirect(url_for("services.detail", service_id=service.id))
    preset = {"organization_id": request.args.get("organization_id", "")}
    return render_template("listings/service_form.html", **_form_context(None, preset, {}))


@bp.get("/services/<int:service_id>")
@roles_required(*ANY_SIGNED_IN)
def detail(service_id: int) -> Any:
    """A service with its staff-only fields and waiting-time history."""
    service = _service_for_edit(service_id)
    return render_template("listings/service.html", service=service, staff=current_user.role in STAFF_ROLES)


@bp.route("/services/<int:service_id>/edit", methods=["GET", "POST"])
@roles_required(*ANY_SIGNED_IN)
def edit(service_id: int) -> Any:
    """Change a service; a stale form is refused, never silently overwrites."""
    service = _service_for_edit(service_id)
    staff = current_user.role in STAFF_ROLES
    if request.method == "POST":
        values = service_changes(request.form, staff=staff)
        try:
            _attach_referral_form(values)
            operations.update(
                db.session, "service", service_id, values,
                expected_version=expected_version(request.form), actor=actor_for(current_user),
            )  # fmt: skip
        except ValidationFailed as exc:
            db.session.rollback()
            flash("The changes were not saved: please correct the fields marked below.", "error")
            return render_template("listings/service_form.html", **_form_context(service, values, exc.errors)), 422
        except writes.StaleEdit as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return render_template("listings/service_form.html", **_form_context(service, values, {})), 409
        except writes.NotPermitted as exc:
            db.session.rollback()
            abort(403, str(exc))
        flash("Saved. The previous version is kept in the history.", "success")
        return redirect(url_for("services.detail", service_id=service_id))
    return render_template("listings/service_form.html", **_form_context(service, None, {}))


@bp.get("/services/<int:service_id>/history")
@roles_required(*ANY_SIGNED_IN)
def history(service_id: int) -> Any:
    """Every revision of a service, each restorable."""
    service = _service_for_edit(service_id)
    revisions = operations.history(db.session, "service", service_id)
    return render_template("listings/service_history.html", service=service, revisions=revisions)


@bp.post("/services/<int:service_id>/archive")
@roles_required(*STAFF_ROLES)
def archive(service_id: int) -> Any:
    """Archive: hidden from search and the public, kept with its history."""
    return _act(service_id, operations.archive, "Archived. It can be restored from this page.")


@bp.post("/services/<int:service_id>/unarchive")
@roles_required(*STAFF_ROLES)
def unarchive(service_id: int) -> Any:
    """Bring an archived service back."""
    return _act(service_id, operations.unarchive, "Restored from the archive.")


def _act(service_id: int, operation: Any, message: str) -> Any:
    _service_for_edit(service_id)
    try:
        operation(
            db.session, "service", service_id,
            expected_version=expected_version(request.form), actor=actor_for(current_user),
        )  # fmt: skip
    except writes.StaleEdit as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        flash(message, "success")
    return redirect(url_for("services.detail", service_id=service_id))


@bp.post("/revisions/<int:revision_id>/restore")
@roles_required(*ANY_SIGNED_IN)
def restore(revision_id: int) -> Any:
    """Put a listing back as it was at a revision (recorded as a new revision)."""
    revision = db.session.get(Revision, revision_id)
    if revision is None:
        abort(404, f"There is no revision {revision_id}.")
    if revision.entity_type == "service":
        _service_for_edit(revision.entity_id)
        back = url_for("services.history", service_id=revision.entity_id)
    else:
        organization_for_edit(revision.entity_id)
        back = url_for("organisations.history", organization_id=revision.entity_id)
    try:
        operations.restore_revision(
            db.session, revision_id,
            expected_version=expected_version(request.form), actor=actor_for(current_user),
        )  # fmt: skip
    except writes.StaleEdit as exc:
        db.session.rollback()
        flash(str(exc), "error")
    except (ValidationFailed, writes.NotPermitted) as exc:
        db.session.rollback()
        flash(f"That revision cannot be restored: {exc}", "error")
    else:
        flash(f"Restored the version saved in revision {revision_id}.", "success")
    return redirect(back)


@bp.post("/services/<int:service_id>/waiting-time")
@roles_required(*ANY_SIGNED_IN)
def waiting_time(service_id: int) -> Any:
    """Report the current wait for a service."""
    _service_for_edit(service_id)
    source = "group" if current_user.role == "group-editor" else "link-worker"
    try:
        operations.report_waiting_time(
            db.session, service_id, request.form.get("weeks", ""), source=source, actor=actor_for(current_user)
        )
    except ValidationFailed as exc:
        db.session.rollback()
        flash(f"The wait was not recorded: {exc.errors.get('weeks', exc)}", "error")
    else:
        flash("Waiting time recorded.", "success")
    return redirect(url_for("services.detail", service_id=service_id))
