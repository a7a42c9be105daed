"""Shared fixtures: an app on a real database per test module (SQLite; PostgreSQL too where marked)."""

from __future__ import annotations

import contextlib
import itertools
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from directory import create_app
from directory.accounts.users import create_user
from directory.core.db import db
from directory.core.writes import Actor
from directory.listings.operations import create
from directory.ops.database import init_database

_serial = itertools.count(1)  # unique across a module's shared database
STAFF = Actor(label="staff: tester@example.org", source="staff")
PASSWORD = "correct horse battery staple"


# A PostgreSQL server for the tests marked both_backends, e.g.
# postgresql+psycopg://directory:directory@127.0.0.1:5432/postgres (.ci/run starts one and sets it).
POSTGRES_ENV = "DIRECTORY_TEST_POSTGRES_URL"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Modules marked both_backends run every test on SQLite and again on PostgreSQL."""
    if "backend" in metafunc.fixturenames:
        both = metafunc.definition.get_closest_marker("both_backends") is not None
        metafunc.parametrize("backend", ["sqlite", "postgresql"] if both else ["sqlite"], scope="module")


def _fresh_postgres_database() -> tuple[str, Callable[[], None]]:
    server = os.environ.get(POSTGRES_ENV)
    if not server:
        message = f"PostgreSQL tests need {POSTGRES_ENV} (a server URL); .ci/run sets it"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    name = f"directory_test_{uuid.uuid4().hex[:12]}"
    admin = sqlalchemy.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sqlalchemy.engine.make_url(server).set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

    return url, drop


@contextlib.contextmanager
def database_url(backend: str, folder: Path) -> Iterator[str]:
    """A new, empty database on the chosen backend, removed afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'test.sqlite'}"
        return
    url, drop = _fresh_postgres_database()
    try:
        yield url
    finally:
        drop()


@contextlib.contextmanager
def built_app(backend: str, folder: Path, **config: Any) -> Iterator[Flask]:
    with database_url(backend, folder) as url:
        app = create_app(
            {"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test-only-key", "RATELIMIT_ENABLED": False,
             "INSTANCE_PATH": str(folder), **config}
        )  # fmt: skip
        with app.app_context():
            init_database()

        # The session fixture keeps an app context open for a whole test, and Flask reuses it for each request,
        # so without this one test client's signed-in user (or CSRF token) would leak into another's requests.
        @app.before_request
        def _fresh_request_globals() -> None:
            from flask import g

            for name in ("_login_user", "csrf_token"):
                g.pop(name, None)

        try:
            yield app
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, backend: str) -> Iterator[Flask]:
    with built_app(backend, tmp_path_factory.mktemp("instance")) as app:
        yield app


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
        organization = create(session, "organization", values, STAFF)
        session.commit()
        return organization

    return make


@pytest.fixture
def make_service(session: Any, make_organization: Callable[..., Any]) -> Callable[..., Any]:
    def make(**overrides: Any) -> Any:
        if "organization_id" not in overrides:
            overrides["organization_id"] = make_organization().id
        values = {"name": f"Service {next(_serial)}", "categories": ["arts-crafts"]}
        values.update(overrides)
        service = create(session, "service", values, STAFF)
        session.commit()
        return service

    return make


@pytest.fixture
def make_user(session: Any) -> Callable[..., Any]:
    def make(role: str = "link-worker", **overrides: Any) -> Any:
        email = overrides.pop("email", f"user{next(_serial)}-{role}@example.org")
        user = create_user(session, email_address=email, role=role, password=PASSWORD, **overrides)
        session.commit()
        return user

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


def table_dumps(
    session: Any, skip: tuple[str, ...] = ("postcode", "location", "alembic_version")
) -> Iterator[tuple[str, str]]:
    """Every row of every table as text, except the official postcode table and listings' own addresses."""
    for table in sqlalchemy.inspect(session.get_bind()).get_table_names():
        if table in skip or table.startswith("service_fts"):
            continue
        yield table, str(session.execute(sqlalchemy.text(f'SELECT * FROM "{table}"')).all())  # noqa: S608
