"""Administration of the categories of need."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from ..accounts.roles import roles_required
from ..core.db import db
from ..core.validation import ValidationFailed
from . import queries as listings
from .categories import save_category

bp = Blueprint("categories", __name__)


@bp.route("/admin/categories", methods=["GET", "POST"])
@roles_required("admin")
def manage() -> Any:
    """Add, rename, describe or retire categories of need."""
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            term = save_category(
                db.session,
                code=request.form.get("code", ""),
                name=request.form.get("name", ""),
                description=request.form.get("description", ""),
                active=request.form.get("active") == "yes",
            )
        except ValidationFailed as exc:
            db.session.rollback()
            errors = exc.errors
            flash("The category was not saved: " + str(exc), "error")
        else:
            db.session.commit()
            flash(f"Saved the category {term.name}.", "success")
            return redirect(url_for("categories.manage"))
    return render_template(
        "listings/categories.html",
        categories=listings.categories(db.session, active_only=False),
        errors=errors,
    ), (422 if errors else 200)
