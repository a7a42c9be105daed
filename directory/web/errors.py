"""Error pages: HTML for people, JSON for the API; a failed request never leaves a half-write."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from ..core.db import db


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> Any:
        message = "This form has expired or was not sent from this site. Go back, reload it and try again."
        return _render(400, message)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        return _render(error.code or 500, error.description or "")

    @app.errorhandler(Exception)
    def server_error(error: Exception) -> Any:
        db.session.rollback()
        app.logger.exception("Unhandled error")
        return _render(500, "Something went wrong on our side. Nothing was changed.")


def _render(status: int, message: str) -> Any:
    if _wants_json():
        return jsonify({"error": message, "status": status}), status
    template = f"errors/{status}.html" if status in (403, 404, 500) else "errors/error.html"
    return render_template(template, status=status, message=message), status
