"""Staff sign-in and sign-out."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_user, logout_user

from ..accounts import authenticate
from ..db import db

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    # Only same-site paths, so a crafted link cannot bounce a worker to another site.
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("services.dashboard")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """Sign in with email and password."""
    if request.method == "POST":
        user = authenticate(db.session, request.form.get("email", ""), request.form.get("password", ""))
        if user is None:
            flash("That email and password do not match an active account.", "error")
            return render_template("auth/login.html", email=request.form.get("email", "")), 401
        login_user(user)
        return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", email="")


@bp.post("/logout")
def logout() -> Any:
    """Sign out."""
    logout_user()
    flash("You have signed out.", "info")
    return redirect(url_for("public.index"))
