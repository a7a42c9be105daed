"""POST /api/pii-check: the personal-data guard as JSON for the flag form (who may call it, what it answers)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient

from tests.conftest import csrf_token


def _check(client: FlaskClient, text: Any, token: str | None) -> Any:
    headers = {"X-CSRFToken": token} if token else {}
    return client.post("/api/pii-check", json={"text": text}, headers=headers)


def test_api_returns_kinds_and_spans_for_signed_in_staff(signed_in: Callable[..., FlaskClient]) -> None:
    client = signed_in("link-worker")
    token = csrf_token(client, "/flags/new")
    response = _check(client, "Mrs Smith on 07700 900123", token)
    assert response.status_code == 200
    assert response.json["findings"] == [
        {"kind": "name", "start": 0, "end": 9},
        {"kind": "phone", "start": 13, "end": 25},
    ]


def test_api_refuses_a_request_without_the_csrf_token(signed_in: Callable[..., FlaskClient]) -> None:
    client = signed_in("link-worker")
    response = _check(client, "Mrs Smith", None)
    assert response.status_code == 400
    assert "expired" in response.json["error"]


def test_api_refuses_anonymous_callers_and_group_editors(
    client: FlaskClient, signed_in: Callable[..., FlaskClient], make_organization: Callable[..., Any]
) -> None:
    token = csrf_token(client, "/login")
    anonymous = _check(client, "Mrs Smith", token)
    assert anonymous.status_code == 401
    assert "Sign in" in anonymous.json["error"]
    editor = signed_in("group-editor", organization_id=make_organization().id)
    token = csrf_token(editor, "/staff/")
    assert _check(editor, "Mrs Smith", token).status_code == 403


def test_api_refuses_text_that_is_not_a_string(signed_in: Callable[..., FlaskClient]) -> None:
    client = signed_in("community-development")
    token = csrf_token(client, "/flags/new")
    response = _check(client, ["Mrs Smith"], token)
    assert response.status_code == 400
    assert "text" in response.json["error"]
