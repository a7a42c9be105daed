"""Staff pages for listings: services (list, view, create, edit, report a wait) and organisations (list, create,
edit); for both, history with restore, archive and unarchive, written through ``operations``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..accounts.roles import ANY_SIGNED_IN, STAFF_ROLES, actor_for, editable_listing, roles_required
from ..core import writes
from ..core.db import db
from ..core.validation import ValidationFailed
from ..models import Revision, Service
from . import operations, referral_forms
from . import queries as listings
from .forms import expected_version, organization_changes, service_changes
from .operations import Kind
from .revisions import revision_views

services = Blueprint("services", __name__, url_prefix="/staff")
organisations = Blueprint("organisations", __name__, url_prefix="/staff")
# Each kind's page to go back to after an action, and its history page.
PAGES = {
    "service": ("services.detail", "services.history", "service_id"),
    "organization": ("organisations.edit", "organisations.history", "organization_id"),
}


def _editable(kind: Kind, entity_id: int) -> Any:
    return editable_listing(db.session, current_user, kind, entity_id)


def _page(kind: Kind, entity_id: int, which: str = "main") -> str:
    main, history, argument = PAGES[kind]
    values: dict[str, Any] = {argument: entity_id}
    return url_for(main if which == "main" else history, **values)


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


@services.get("/")
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


@services.route("/services/new", methods=["GET", "POST"])
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
        db.session.commit()
        flash(f"Added {service.name}.", "success")
        return redirect(url_for("services.detail", service_id=service.id))
    preset = {"organization_id": request.args.get("organization_id", "")}
    return render_template("listings/service_form.html", **_form_context(None, preset, {}))


@services.get("/services/<int:service_id>")
@roles_required(*ANY_SIGNED_IN)
def detail(service_id: int) -> Any:
    """A service with its staff-only fields and waiting-time history."""
    service = _editable("service", service_id)
    return render_template("listings/service.html", service=service, staff=current_user.role in STAFF_ROLES)


@services.route("/services/<int:service_id>/edit", methods=["GET", "POST"])
@roles_required(*ANY_SIGNED_IN)
def edit(service_id: int) -> Any:
    """Change a service; a stale form is refused, never silently overwrites."""
    service = _editable("service", service_id)
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
        db.session.commit()
        flash("Saved. The previous version is kept in the history.", "success")
        return redirect(url_for("services.detail", service_id=service_id))
    return render_template("listings/service_form.html", **_form_context(service, None, {}))


@services.post("/services/<int:service_id>/waiting-time")
@roles_required(*ANY_SIGNED_IN)
def waiting_time(service_id: int) -> Any:
    """Report the current wait for a service."""
    _editable("service", service_id)
    source = "group" if current_user.role == "group-editor" else "link-worker"
    try:
        operations.report_waiting_time(
            db.session, service_id, request.form.get("weeks", ""), source=source, actor=actor_for(current_user)
        )
    except ValidationFailed as exc:
        db.session.rollback()
        flash(f"The wait was not recorded: {exc.errors.get('weeks', exc)}", "error")
    else:
        db.session.commit()
        flash("Waiting time recorded.", "success")
    back = request.form.get("next", "")  # one click from a search result or the sheet returns there
    if back.startswith("/") and not back.startswith(("//", "/\\")):
        return redirect(back, 303)
    return redirect(url_for("services.detail", service_id=service_id))


@organisations.get("/organisations/", endpoint="index")
@roles_required(*STAFF_ROLES)
def organisations_index() -> Any:
    """Every organisation, archived ones on request."""
    archived = request.args.get("archived") == "yes"
    return render_template(
        "listings/organisations.html",
        organizations=listings.organizations(db.session, include_archived=archived),
        archived=archived,
    )


@organisations.route("/organisations/new", methods=["GET", "POST"], endpoint="create")
@roles_required(*STAFF_ROLES)
def organisation_create() -> Any:
    """Add an organisation."""
    values: dict[str, Any] = {}
    if request.method == "POST":
        values = organization_changes(request.form)
        try:
            organization = operations.create(db.session, "organization", values, actor_for(current_user))
        except ValidationFailed as exc:
            db.session.rollback()
            flash("The organisation was not saved: please correct the fields marked below.", "error")
            return render_template(
                "listings/organisation_form.html", organization=None, values=values, errors=exc.errors
            ), 422
        db.session.commit()
        flash(f"Added {organization.name}.", "success")
        return redirect(url_for("organisations.edit", organization_id=organization.id))
    return render_template("listings/organisation_form.html", organization=None, values=values, errors={})


@organisations.route("/organisations/<int:organization_id>/edit", methods=["GET", "POST"], endpoint="edit")
@roles_required(*ANY_SIGNED_IN)
def organisation_edit(organization_id: int) -> Any:
    """Change an organisation's details."""
    organization = _editable("organization", organization_id)
    if request.method == "POST":
        values = organization_changes(request.form)
        try:
            operations.update(
                db.session, "organization", organization_id, values,
                expected_version=expected_version(request.form), actor=actor_for(current_user),
            )  # fmt: skip
        except ValidationFailed as exc:
            db.session.rollback()
            flash("The changes were not saved: please correct the fields marked below.", "error")
            return render_template(
                "listings/organisation_form.html", organization=organization, values=values, errors=exc.errors
            ), 422
        except writes.StaleEdit as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return render_template(
                "listings/organisation_form.html", organization=organization, values=values, errors={}
            ), 409
        db.session.commit()
        flash("Saved. The previous version is kept in the history.", "success")
        return redirect(url_for("organisations.edit", organization_id=organization_id))
    return render_template("listings/organisation_form.html", organization=organization, values=None, errors={})


# --- both kinds: history, archive, restore ----------------------------------------------------------------


@services.get("/services/<int:service_id>/history")
@roles_required(*ANY_SIGNED_IN)
def history(service_id: int) -> Any:
    """Every revision of a service, each restorable."""
    return _history("service", service_id)


@organisations.get("/organisations/<int:organization_id>/history", endpoint="history")
@roles_required(*ANY_SIGNED_IN)
def organisation_history(organization_id: int) -> Any:
    """Every revision of an organisation."""
    return _history("organization", organization_id)


def _history(kind: Kind, entity_id: int) -> Any:
    listing = _editable(kind, entity_id)
    staff = current_user.role in STAFF_ROLES
    revisions = revision_views(operations.history(db.session, kind, entity_id), staff=staff)
    if kind == "service":
        return render_template("listings/service_history.html", service=listing, revisions=revisions)
    return render_template("listings/organisation_history.html", organization=listing, revisions=revisions)


@services.route("/services/<int:service_id>/archive", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def archive(service_id: int) -> Any:
    """Archive: hidden from search and the public, kept with its history. Asked first: it hides a listing."""
    if request.method == "GET":
        return _confirm_archive("service", service_id)
    return _act("service", service_id, operations.archive, "Archived. It can be restored from this page.")


@services.post("/services/<int:service_id>/unarchive")
@roles_required(*STAFF_ROLES)
def unarchive(service_id: int) -> Any:
    """Bring an archived service back."""
    return _act("service", service_id, operations.unarchive, "Restored from the archive.")


@organisations.route("/organisations/<int:organization_id>/archive", methods=["GET", "POST"], endpoint="archive")
@roles_required(*STAFF_ROLES)
def organisation_archive(organization_id: int) -> Any:
    """Archive an organisation and its services. Asked first: it hides every one of its listings."""
    if request.method == "GET":
        return _confirm_archive("organization", organization_id)
    return _act("organization", organization_id, operations.archive, "Archived with its services.")


def _confirm_archive(kind: Kind, entity_id: int) -> Any:
    listing = _editable(kind, entity_id)
    return render_template("listings/archive_confirm.html", kind=kind, listing=listing, back=_page(kind, entity_id))


@organisations.post("/organisations/<int:organization_id>/unarchive", endpoint="unarchive")
@roles_required(*STAFF_ROLES)
def organisation_unarchive(organization_id: int) -> Any:
    """Bring an organisation back (its services are restored one by one)."""
    return _act("organization", organization_id, operations.unarchive, "Restored from the archive.")


def _act(kind: Kind, entity_id: int, operation: Any, message: str) -> Any:
    _editable(kind, entity_id)
    try:
        operation(
            db.session, kind, entity_id, expected_version=expected_version(request.form), actor=actor_for(current_user)
        )
    except writes.StaleEdit as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(message, "success")
    return redirect(_page(kind, entity_id))


@services.post("/revisions/<int:revision_id>/restore")
@roles_required(*ANY_SIGNED_IN)
def restore(revision_id: int) -> Any:
    """Put a listing back as it was at a revision (recorded as a new revision)."""
    revision = db.session.get(Revision, revision_id)
    if revision is None:
        abort(404, f"There is no revision {revision_id}.")
    kind: Kind = "service" if revision.entity_type == "service" else "organization"
    _editable(kind, revision.entity_id)
    back = _page(kind, revision.entity_id, "history")
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
        db.session.commit()
        flash(f"Restored the version saved in revision {revision_id}.", "success")
    return redirect(back)
