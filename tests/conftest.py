"""Shared fixtures: an app on a real temporary SQLite file per test module, and factories."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from directory import create_app
from directory.accounts import create_user
from directory.cli import init_database
from directory.db import db
from directory.operations import Actor, create

_serial = itertools.count(1)  # unique across a module's shared database
STAFF = Actor(label="staff: tester@example.org", source="staff")
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    instance = tmp_path_factory.mktemp("instance")
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'test.sqlite'}",
            "SECRET_KEY": "test-only-key",
            "INSTANCE_PATH": str(instance),
        }
    )
    with app.app_context():
        init_database()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def session(app: Flask) -> Iterator[Any]:
    with app.app_context():
        yield db.session
        db.session.rollback()
        db.session.remove()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def make_organization(session: Any) -> Callable[..., Any]:
    def make(**overrides: Any) -> Any:
        values = {"name": f"Organisation {next(_serial)}", "sector": "community"}
        values.update(overrides)
        return create(session, "organization", values, STAFF)

    return make


@pytest.fixture
def make_service(session: Any, make_organization: Callable[..., Any]) -> Callable[..., Any]:
    def make(**overrides: Any) -> Any:
        if "organization_id" not in overrides:
            overrides["organization_id"] = make_organization().id
        values = {"name": f"Service {next(_serial)}", "categories": ["arts-crafts"]}
        values.update(overrides)
        return create(session, "service", values, STAFF)

    return make


@pytest.fixture
def make_user(session: Any) -> Callable[..., Any]:
    def make(role: str = "link-worker", **overrides: Any) -> Any:
        email = overrides.pop("email", f"user{next(_serial)}-{role}@example.org")
        return create_user(session, email_address=email, role=role, password=PASSWORD, **overrides)

    return make


def csrf_token(client: FlaskClient, path: str) -> str:
    """Fetch a page and read the CSRF token from its form, as a browser would."""
    response = client.get(path)
    assert response.status_code == 200, f"{path} answered {response.status_code}"
    page = BeautifulSoup(response.data, "html.parser")
    field = page.find("input", {"name": "csrf_token"})
    assert field is not None, f"no CSRF field on {path}"
    return str(field["value"])


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD) -> Any:
    token = csrf_token(client, "/login")
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


@pytest.fixture
def signed_in(client: FlaskClient, make_user: Callable[..., Any]) -> Callable[..., FlaskClient]:
    def as_role(role: str = "link-worker", **overrides: Any) -> FlaskClient:
        user = make_user(role, **overrides)
        response = sign_in(client, user.email)
        assert response.status_code == 302, response.data
        return client

    return as_role


def html(response: Any) -> BeautifulSoup:
    return BeautifulSoup(response.data, "html.parser")


@pytest.fixture
def data_dir() -> Path:
    import os

    folder = os.environ.get("DIRECTORY_DATA_DIR")
    if not folder:
        pytest.skip("DIRECTORY_DATA_DIR is not set: the real-data tests need the official files")
    return Path(folder)
