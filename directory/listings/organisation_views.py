"""Staff pages for organisations: list, create, edit, history, archive and restore."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..accounts.roles import ANY_SIGNED_IN, STAFF_ROLES, actor_for, can_edit_organization, roles_required
from ..core import writes
from ..core.db import db
from ..core.validation import ValidationFailed
from ..models import Organization
from . import operations
from . import queries as listings
from .forms import expected_version, organization_changes

bp = Blueprint("organisations", __name__, url_prefix="/staff/organisations")


def organization_for_edit(organization_id: int) -> Organization:
    organization = db.session.get(Organization, organization_id)
    if organization is None:
        abort(404, f"There is no organisation {organization_id}.")
    if not can_edit_organization(current_user, organization):
        abort(403, "You can only see and change your own organisation.")
    return organization


@bp.get("/")
@roles_required(*STAFF_ROLES)
def index() -> Any:
    """Every organisation, archived ones on request."""
    archived = request.args.get("archived") == "yes"
    return render_template(
        "listings/organisations.html",
        organizations=listings.organizations(db.session, include_archived=archived),
        archived=archived,
    )


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def create() -> Any:
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
        flash(f"Added {organization.name}.", "success")
        return redirect(url_for("organisations.edit", organization_id=organization.id))
    return render_template("listings/organisation_form.html", organization=None, values=values, errors={})


@bp.route("/<int:organization_id>/edit", methods=["GET", "POST"])
@roles_required(*ANY_SIGNED_IN)
def edit(organization_id: int) -> Any:
    """Change an organisation's details."""
    organization = organization_for_edit(organization_id)
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
        flash("Saved. The previous version is kept in the history.", "success")
        return redirect(url_for("organisations.edit", organization_id=organization_id))
    return render_template("listings/organisation_form.html", organization=organization, values=None, errors={})


@bp.get("/<int:organization_id>/history")
@roles_required(*ANY_SIGNED_IN)
def history(organization_id: int) -> Any:
    """Every revision of an organisation."""
    organization = organization_for_edit(organization_id)
    revisions = operations.history(db.session, "organization", organization_id)
    return render_template("listings/organisation_history.html", organization=organization, revisions=revisions)


@bp.post("/<int:organization_id>/archive")
@roles_required(*STAFF_ROLES)
def archive(organization_id: int) -> Any:
    """Archive an organisation and its services."""
    return _act(organization_id, operations.archive, "Archived with its services.")


@bp.post("/<int:organization_id>/unarchive")
@roles_required(*STAFF_ROLES)
def unarchive(organization_id: int) -> Any:
    """Bring an organisation back (its services are restored one by one)."""
    return _act(organization_id, operations.unarchive, "Restored from the archive.")


def _act(organization_id: int, operation: Any, message: str) -> Any:
    organization_for_edit(organization_id)
    try:
        operation(
            db.session, "organization", organization_id,
            expected_version=expected_version(request.form), actor=actor_for(current_user),
        )  # fmt: skip
    except writes.StaleEdit as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        flash(message, "success")
    return redirect(url_for("organisations.edit", organization_id=organization_id))
