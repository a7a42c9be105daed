"""Security headers, a nonce-based Content-Security-Policy, secure cookies and sign-in rate limits."""

from __future__ import annotations

import re
import secrets
from urllib.parse import urlsplit

from flask import Flask, Response, g, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from werkzeug.middleware.proxy_fix import ProxyFix

# Views limited by address, each with the setting that holds its limit. The limiter is made per app
# (Flask-Limiter keeps per-app state on its instance), after the views are registered.
LIMITED_VIEWS = {
    "accounts.login": "LOGIN_RATE_LIMIT",
    # group links (issue 6): each POST spends or looks up a secret token
    "groups.enter": "GROUP_TOKEN_RATE_LIMIT",
    "groups.enter_link": "GROUP_TOKEN_RATE_LIMIT",
    "verification.confirm": "GROUP_TOKEN_RATE_LIMIT",
    "verification.stopped": "GROUP_TOKEN_RATE_LIMIT",
    "verification.unsubscribe": "GROUP_TOKEN_RATE_LIMIT",
    "renewals.new_link": "GROUP_TOKEN_RATE_LIMIT",  # looks up a token, and may send an email
    "groups.request_listing": "LISTING_REQUEST_RATE_LIMIT",
    "claims.claim": "LISTING_CLAIM_RATE_LIMIT",  # groups ask to manage a listing (issue 6)
}


def csp_nonce() -> str:
    """This request's nonce: inline <script>/<style> blocks we write (folium's map) carry it."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return str(g.csp_nonce)


def tile_origin(template: str) -> str:
    """The origin of a basemap tile URL template, as a CSP source: ``https://{s}.tile.example.org/{z}/{x}/{y}.png``
    gives ``https://*.tile.example.org`` (its subdomains); "" for none or a template without a host."""
    parts = urlsplit(template.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    host = re.sub(r"\{[a-z]+\}", "*", parts.netloc)
    return f"{parts.scheme}://{host}"


def content_security_policy(nonce: str, tiles: str = "") -> str:
    # Scripts and styles only from our own origin or with this request's nonce; never 'unsafe-inline'.
    image_sources = " ".join(filter(None, ["'self'", "data:", tiles]))
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            f"style-src 'self' 'nonce-{nonce}'",
            f"img-src {image_sources}",
            "font-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def init_app(app: Flask) -> None:
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies > 0:
        # Behind N reverse proxies the client is the Nth address from the right of X-Forwarded-For; headers from
        # anyone further away are ignored, so a client cannot choose the address its rate limits are counted on.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)  # type: ignore[method-assign]
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("RATE_LIMIT_STORAGE") or "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    if app.config.get("SECURE_COOKIES"):
        app.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    app.jinja_env.globals["csp_nonce"] = csp_nonce

    @app.after_request
    def _headers(response: Response) -> Response:
        headers = response.headers
        # A configured basemap (DIRECTORY_GAP_MAP_TILES) may load its images, and nothing else from its host.
        tiles = tile_origin(str(app.config.get("GAP_MAP_TILES") or ""))
        headers.setdefault("Content-Security-Policy", content_security_policy(csp_nonce(), tiles))
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "geolocation=(), camera=(), microphone=()")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if app.config.get("SECURE_COOKIES"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response


def _signing_in_as() -> str:
    """The account a sign-in attempt is for, so guessing one account's password from many addresses is limited too."""
    return "sign-in:" + request.form.get("email", "").strip().lower()[:255]


def limit_views(app: Flask) -> Limiter:
    """Wrap the rate-limited views of this app; POSTs count, reading a form does not.

    Counts are kept where ``DIRECTORY_RATE_LIMIT_STORAGE`` says: per process with ``memory://``, or shared by
    every worker and machine with ``redis://`` (see docs/operations.md).
    """
    limiter = Limiter(key_func=get_remote_address, app=app, default_limits=[])
    for endpoint, setting in LIMITED_VIEWS.items():
        if endpoint in app.view_functions:
            app.view_functions[endpoint] = limiter.limit(  # type: ignore[assignment]
                str(app.config[setting]),
                methods=["POST"],
                error_message="Too many attempts from this address. Wait a minute and try again.",
            )(app.view_functions[endpoint])
    if "accounts.login" in app.view_functions:
        app.view_functions["accounts.login"] = limiter.limit(  # type: ignore[assignment]
            str(app.config["LOGIN_ACCOUNT_RATE_LIMIT"]),
            key_func=_signing_in_as,
            methods=["POST"],
            error_message="Too many sign-in attempts for this account. Wait a while, or ask an administrator.",
        )(app.view_functions["accounts.login"])
    app.extensions["directory_limiter"] = limiter
    return limiter
