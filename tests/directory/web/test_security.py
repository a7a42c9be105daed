"""Security headers, the Content-Security-Policy, cookies and sign-in rate limits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from directory import create_app
from directory.core.db import db
from directory.ops.database import init_database
from tests.conftest import PASSWORD, csrf_token


def test_every_page_sends_security_headers_and_a_strict_csp(client: Any) -> None:
    first, second = client.get("/"), client.get("/login")
    for response in (first, second):
        policy = response.headers["Content-Security-Policy"]
        assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
        assert "script-src 'self' 'nonce-" in policy and "object-src 'none'" in policy
        assert "frame-ancestors 'none'" in policy
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "same-origin"
    nonce = [r.headers["Content-Security-Policy"].split("'nonce-")[1].split("'")[0] for r in (first, second)]
    assert nonce[0] != nonce[1] and len(nonce[0]) >= 16


def test_session_cookie_is_httponly_and_samesite(client: Any, make_user: Any) -> None:
    user = make_user("admin")
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_secure_cookies_and_hsts_behind_https(tmp_path: Path) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite'}", "INSTANCE_PATH": str(tmp_path),
                      "SECURE_COOKIES": True, "SECRET_KEY": "k"})  # fmt: skip
    assert app.config["SESSION_COOKIE_SECURE"] is True and app.config["REMEMBER_COOKIE_SECURE"] is True
    with app.app_context():
        init_database()
        response = app.test_client().get("/healthz", base_url="https://localhost")
        assert "max-age=" in response.headers["Strict-Transport-Security"]
        db.engine.dispose()


def test_sign_in_is_rate_limited_per_address(tmp_path: Path) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'r.sqlite'}", "INSTANCE_PATH": str(tmp_path),
                      "SECRET_KEY": "k", "LOGIN_RATE_LIMIT": "3 per minute"})  # fmt: skip
    with app.app_context():
        init_database()
        client = app.test_client()
        token = csrf_token(client, "/login")
        statuses = [
            client.post("/login", data={"email": "x@example.org", "password": "wrong", "csrf_token": token}).status_code
            for _ in range(5)
        ]
        assert statuses == [401, 401, 401, 429, 429]
        assert client.get("/login").status_code == 200  # reading the form is not limited
        db.engine.dispose()


def _limited_app(tmp_path: Path, **config: Any) -> Any:
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'r.sqlite'}", "INSTANCE_PATH": str(tmp_path),
                      "SECRET_KEY": "k", **config})  # fmt: skip
    with app.app_context():
        init_database()
    return app


def _sign_in_attempts(app: Any, count: int, *, email: str = "x@example.org", client_address: str = "") -> list[int]:
    """``count`` wrong sign-ins, through a proxy that says they come from ``client_address``."""
    client = app.test_client()
    token = csrf_token(client, "/login")
    forwarded = {"X-Forwarded-For": client_address} if client_address else {}
    return [
        client.post("/login", data={"email": email, "password": "wrong", "csrf_token": token},
                    headers=forwarded).status_code
        for _ in range(count)
    ]  # fmt: skip


def test_behind_a_trusted_proxy_each_client_has_its_own_sign_in_limit(tmp_path: Path) -> None:
    app = _limited_app(tmp_path, LOGIN_RATE_LIMIT="3 per minute", TRUSTED_PROXIES=1)
    assert _sign_in_attempts(app, 4, client_address="203.0.113.7") == [401, 401, 401, 429]
    # Someone else behind the same proxy is not locked out by that client's guesses.
    assert _sign_in_attempts(app, 1, email="y@example.org", client_address="198.51.100.2") == [401]
    with app.app_context():
        db.engine.dispose()


def test_without_a_trusted_proxy_a_forwarded_address_is_not_believed(tmp_path: Path) -> None:
    app = _limited_app(tmp_path, LOGIN_RATE_LIMIT="3 per minute")
    # A client cannot dodge its limit by claiming to be someone new each time.
    statuses = [_sign_in_attempts(app, 1, client_address=f"203.0.113.{n}")[0] for n in range(4)]
    assert statuses == [401, 401, 401, 429]
    with app.app_context():
        db.engine.dispose()


def test_one_account_is_limited_whatever_address_the_guesses_come_from(tmp_path: Path) -> None:
    app = _limited_app(tmp_path, LOGIN_RATE_LIMIT="100 per minute", LOGIN_ACCOUNT_RATE_LIMIT="3 per hour",
                       TRUSTED_PROXIES=1)  # fmt: skip
    statuses = [_sign_in_attempts(app, 1, email="Victim@example.org ", client_address=f"203.0.113.{n}")[0]
                for n in range(4)]  # fmt: skip
    assert statuses == [401, 401, 401, 429]
    assert _sign_in_attempts(app, 1, email="other@example.org", client_address="203.0.113.99") == [401]
    with app.app_context():
        db.engine.dispose()


def test_rate_limits_kept_in_redis_hold_on_every_web_process(tmp_path: Path) -> None:
    from tests.redis_server import redis_server

    with redis_server(tmp_path) as url:
        config = {"LOGIN_RATE_LIMIT": "3 per minute", "RATE_LIMIT_STORAGE": url, "TRUSTED_PROXIES": 1}
        first = _limited_app(tmp_path / "one", **config)
        second = _limited_app(tmp_path / "two", **config)
        assert _sign_in_attempts(first, 3, client_address="203.0.113.7") == [401, 401, 401]
        assert _sign_in_attempts(second, 1, client_address="203.0.113.7") == [429]  # the count is shared
        assert _sign_in_attempts(second, 1, client_address="198.51.100.2") == [401]
        for app in (first, second):
            with app.app_context():
                db.engine.dispose()
