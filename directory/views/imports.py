"""Pages for: Importers, sources and run reports (issue 7)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("imports", __name__)
