"""Administration of the synonyms that widen text search."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from ..accounts.roles import roles_required
from ..core.db import db
from ..core.validation import ValidationFailed
from ..models import Synonym, TaxonomyTerm
from .synonyms import save_synonym

bp = Blueprint("synonyms", __name__)


@bp.route("/admin/synonyms", methods=["GET", "POST"])
@roles_required("admin")
def manage() -> Any:
    """Search's vocabulary: words that widen text search ("money advice" also finds "debt") and everyday
    phrases that name needs ("money worries": debt and benefits)."""
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            save_synonym(
                db.session,
                request.form.get("term", ""),
                request.form.get("alternatives", ""),
                request.form.get("needs", ""),
            )
            db.session.commit()
        except ValidationFailed as exc:
            db.session.rollback()
            errors = exc.errors
            flash("Not saved: " + str(exc), "error")
        else:
            flash("Saved. Searches use the change straight away.", "success")
            return redirect(url_for("synonyms.manage"))
    rows = db.session.scalars(select(Synonym).order_by(Synonym.term)).all()
    needs = db.session.execute(select(TaxonomyTerm.code, TaxonomyTerm.name).order_by(TaxonomyTerm.name)).all()
    return render_template("search/synonyms.html", synonyms=rows, needs=needs, errors=errors), (422 if errors else 200)
