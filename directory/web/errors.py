"""Error pages: HTML for people, JSON for the API; a failed request never leaves a half-write.

An error page never needs the database: when the database is the thing that failed (unreachable, restarting,
its disk full) the page is drawn without looking up who is signed in, and answers 503 (try again shortly)
rather than 500. If even the page cannot be drawn, a plain one is sent instead of the server's bare default.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, g, jsonify, render_template, request
from flask_login import AnonymousUserMixin
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from ..core.db import db

UNAVAILABLE = "The directory is briefly unavailable. Nothing you saved is lost: please try again in a minute."
DISK_FULL = (
    "The directory cannot save anything just now because the disk its database is on is full. Nothing was "
    "changed. Please tell your administrator."
)
FAILED = "Something went wrong on our side. Nothing was changed."
# Werkzeug's own descriptions speak of URLs, servers and proxies: these say the same in plain English.
PLAIN = {
    400: "Something in that request was not right. Go back, reload the page and try again.",
    404: "If you typed the web address, check it is correct. If you pasted it, check you copied all of it.",
    405: "That page cannot be used like that. Go back and use the page's own buttons and links.",
    413: "That is too large to send. Try a smaller file.",
    429: "There have been too many tries in a short time. Wait a minute, then try again.",
}


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def database_fault(error: BaseException) -> str | None:
    """ "disk-full" or "unavailable" when the database is what failed; None for any other fault."""
    if not isinstance(error, DBAPIError):
        return None
    text = str(getattr(error, "orig", error)).lower()
    if "disk is full" in text or "no space left on device" in text or "disk full" in text:
        return "disk-full"
    if isinstance(error, OperationalError | InterfaceError) or error.connection_invalidated:
        return "unavailable"
    return None


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> Any:
        message = "This form has expired or was not sent from this site. Go back, reload it and try again."
        return _render(400, message)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        status = error.code or 500
        own = error.description if error.description != type(error).description else ""
        return _render(status, own or PLAIN.get(status, "That did not work. Go back and try again."))

    @app.errorhandler(Exception)
    def server_error(error: Exception) -> Any:
        try:
            db.session.rollback()
        except Exception:  # the connection itself may be gone: there is nothing to roll back then
            app.logger.warning("Could not roll back after an error (the database connection is gone).")
        fault = database_fault(error)
        if fault is None:
            app.logger.exception("Unhandled error")
            return _render(500, FAILED)
        # Who is signed in is not looked up again: that would ask the database that just failed.
        if "_login_user" not in g:
            g._login_user = AnonymousUserMixin()
        if fault == "disk-full":
            app.logger.critical("The disk holding the database is full: free space on it. %s", error)
            return _render(503, DISK_FULL)
        app.logger.error("The database is unreachable: %s", error)
        return _render(503, UNAVAILABLE)


def _render(status: int, message: str) -> Any:
    if _wants_json():
        return jsonify({"error": message, "status": status}), status
    template = f"errors/{status}.html" if status in (403, 404, 500, 503) else "errors/error.html"
    try:
        return render_template(template, status=status, message=message), status
    except Exception:  # drawing the page failed too: send a plain one rather than the server's bare default
        body = (
            '<!doctype html><html lang="en-GB"><head><meta charset="utf-8"><title>Community asset directory</title>'
            f"</head><body><main><h1>Community asset directory</h1><p>{escape(message)}</p></main></body></html>"
        )
        return body, status, {"Content-Type": "text/html; charset=utf-8"}
