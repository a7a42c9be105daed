"""Signing in lands each role on the screen its work starts from, or on the page it was sent from."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.conftest import PASSWORD, csrf_token, sign_in


@pytest.mark.parametrize(
    ("role", "landing"),
    [("link-worker", "/"), ("community-development", "/gaps/map"), ("admin", "/staff/")],
)
def test_sign_in_lands_on_the_roles_own_start(client: FlaskClient, make_user: Any, role: str, landing: str) -> None:
    user = make_user(role)
    response = sign_in(client, user.email)
    assert response.status_code == 302 and response.headers["Location"] == landing
    assert client.get(landing).status_code == 200


def test_a_page_that_asked_for_sign_in_wins_and_other_sites_never_do(client: FlaskClient, make_user: Any) -> None:
    user = make_user("link-worker")
    for target, expected in (("/staff/follow-ups", "/staff/follow-ups"), ("//evil.example/x", "/")):
        form = {"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(client, "/login")}
        response = client.post(f"/login?next={target}", data=form)
        assert response.status_code == 302 and response.headers["Location"] == expected
        client.post("/logout", data={"csrf_token": csrf_token(client, "/staff/")})
