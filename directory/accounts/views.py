"""Staff sign-in and sign-out, and the administration of accounts."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from ..core.db import db
from ..core.validation import ValidationFailed
from ..models import User
from .roles import roles_required
from .users import authenticate, end_sessions, set_user_area

bp = Blueprint("accounts", __name__)


# Where each role starts its work: a link worker searches for a client, a community development worker reads
# the gap map; administrators and group editors start on the staff listings.
HOME_BY_ROLE = {"link-worker": "public.index", "community-development": "gaps.map_page"}


def _safe_next(target: str | None, role: str) -> str:
    # Only same-site paths, so a crafted link cannot bounce a worker to another site.
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for(HOME_BY_ROLE.get(role, "services.dashboard"))


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """Sign in with email and password."""
    if request.method == "POST":
        user = authenticate(db.session, request.form.get("email", ""), request.form.get("password", ""))
        if user is None:
            flash("That email and password do not match an active account.", "error")
            return render_template("accounts/login.html", email=request.form.get("email", "")), 401
        login_user(user)
        return redirect(_safe_next(request.args.get("next"), user.role))
    return render_template("accounts/login.html", email="")


@bp.post("/logout")
def logout() -> Any:
    """Sign out, here and wherever else this account is signed in."""
    if current_user.is_authenticated:
        end_sessions(db.session, current_user)
        db.session.commit()
    logout_user()
    flash("You have signed out.", "info")
    return redirect(url_for("public.index"))


@bp.route("/admin/users", methods=["GET", "POST"])
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
            db.session.commit()
        except ValidationFailed as exc:
            db.session.rollback()
            errors = exc.errors
            flash("The area was not saved: " + str(exc), "error")
        else:
            flash(f"Saved the area of {user.email}: {user.area or 'none (the default areas)'}.", "success")
            return redirect(url_for("accounts.users"))
    accounts = db.session.scalars(select(User).order_by(User.email)).all()
    return render_template("accounts/users.html", users=accounts, errors=errors), (422 if errors else 200)
