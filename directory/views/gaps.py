"""Pages for: Deprivation, boundaries and gap scores (issue 4)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("gaps", __name__)
