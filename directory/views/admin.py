"""Administration: categories and accounts."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from .. import listings
from ..accounts import roles_required, set_user_area
from ..categories import save_category
from ..db import db
from ..models import Synonym, User
from ..synonyms import save_synonym
from ..validation import ValidationFailed

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/categories", methods=["GET", "POST"])
@roles_required("admin")
def categories() -> Any:
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
            flash(f"Saved the category {term.name}.", "success")
            return redirect(url_for("admin.categories"))
    return render_template(
        "admin/categories.html",
        categories=listings.categories(db.session, active_only=False),
        errors=errors,
    ), (422 if errors else 200)


@bp.route("/synonyms", methods=["GET", "POST"])
@roles_required("admin")
def synonyms() -> Any:
    """Words that widen text search ("money advice" also finds "debt")."""
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            save_synonym(db.session, request.form.get("term", ""), request.form.get("alternatives", ""))
        except ValidationFailed as exc:
            db.session.rollback()
            errors = exc.errors
            flash("Not saved: " + str(exc), "error")
        else:
            flash("Saved. Searches use the change straight away.", "success")
            return redirect(url_for("admin.synonyms"))
    rows = db.session.scalars(select(Synonym).order_by(Synonym.term)).all()
    return render_template("admin/synonyms.html", synonyms=rows, errors=errors), (422 if errors else 200)


@bp.route("/users", methods=["GET", "POST"])
@roles_required("admin")
def users() -> Any:
    """Everyone who can sign in, their role and area; an account's area (the gap map's default) is set here."""
    errors: dict[str, str] = {}
    if request.method == "POST":
        user_id = request.form.get("user_id", "")
        try:
            if not user_id.isdigit():
                raise ValidationFailed({"user": "Choose an account."})
            user = set_user_area(db.session, int(user_id), request.form.get("area", ""))
        except ValidationFailed as exc:
            db.session.rollback()
            errors = exc.errors
            flash("The area was not saved: " + str(exc), "error")
        else:
            flash(f"Saved the area of {user.email}: {user.area or 'none (the default areas)'}.", "success")
            return redirect(url_for("admin.users"))
    accounts = db.session.scalars(select(User).order_by(User.email)).all()
    return render_template("admin/users.html", users=accounts, errors=errors), (422 if errors else 200)
