"""Pages for claims: a group asks to manage a listing staff created; staff approve or decline."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..accounts.roles import STAFF_ROLES, actor_for, roles_required
from ..core import outbox, writes
from ..core.db import db
from ..core.validation import ValidationFailed
from . import claims as listing_claims

bp = Blueprint("claims", __name__)


@bp.route("/organisations/<int:organization_id>/claim", methods=["GET", "POST"])
def claim(organization_id: int) -> Any:
    """Is this your group? Ask to manage its listing; staff check before any link is sent."""
    try:
        organization = listing_claims.claimable(db.session, organization_id)
    except writes.NotFound as exc:
        abort(404, str(exc))
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        values = {name: request.form.get(name, "") for name in listing_claims.SPEC}
        try:
            listing_claims.submit(db.session, organization_id, values)
        except ValidationFailed as exc:
            db.session.rollback()
            errors = exc.errors
            status = 409 if isinstance(exc, listing_claims.DuplicateClaim) else 422
        else:
            db.session.commit()
            return render_template("groups/claim_thanks.html", organization=organization)
    return render_template("groups/claim_form.html", organization=organization, values=values, errors=errors), status


@bp.get("/staff/listing-claims")
@roles_required(*STAFF_ROLES)
def queue() -> Any:
    """Claims waiting for a decision, oldest first."""
    return render_template("groups/claims.html", claims=listing_claims.pending(db.session))


@bp.post("/staff/listing-claims/<int:claim_id>/approve")
@roles_required(*STAFF_ROLES)
def approve(claim_id: int) -> Any:
    """Approve: the claimant is emailed an edit link for that organisation only."""
    try:
        done = listing_claims.approve(
            db.session, claim_id, staff=actor_for(current_user), days=int(current_app.config["GROUP_LINK_DAYS"])
        )
    except writes.NotFound as exc:
        abort(404, str(exc))
    except (writes.NotPermitted, writes.StaleEdit, ValidationFailed) as exc:
        db.session.rollback()
        flash(f"Nothing was changed: {exc}", "error")
        return redirect(url_for("claims.queue"), 303)
    db.session.commit()  # the approval, the link, its email in the outbox and the contact email, together
    status = outbox.deliver(db.session, done.email.id)
    claim = done.claim
    extra = f" {claim.email} is now {claim.organization.name}'s contact email." if done.contact_email_set else ""
    flash(
        f"Approved: {claim.email} has been emailed an edit link for {claim.organization.name}.{extra}"
        + outbox.not_sent_yet(status),
        "error" if status == "failed" else "success",
    )
    return redirect(url_for("claims.queue"), 303)


@bp.post("/staff/listing-claims/<int:claim_id>/decline")
@roles_required(*STAFF_ROLES)
def decline(claim_id: int) -> Any:
    """Decline with a reason, which is emailed; the claim is kept."""
    try:
        claim, email = listing_claims.decline(
            db.session, claim_id, request.form.get("reason", ""), staff=actor_for(current_user)
        )
    except writes.NotFound as exc:
        abort(404, str(exc))
    except (writes.NotPermitted, ValidationFailed) as exc:
        db.session.rollback()
        flash(f"Nothing was changed: {exc}", "error")
        return redirect(url_for("claims.queue"), 303)
    db.session.commit()
    status = outbox.deliver(db.session, email.id)
    flash(f"Declined, and {claim.email} was told why." + outbox.not_sent_yet(status),
          "error" if status == "failed" else "success")  # fmt: skip
    return redirect(url_for("claims.queue"), 303)
