"""Error pages never need the database: signed-in staff get the directory's own page, 503, while the database is
unreachable, and a clear message when its disk is full; the app recovers without a restart."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy
from sqlalchemy import event

from directory.core.db import db
from directory.models import Organization
from tests.conftest import POSTGRES_ENV, built_app, csrf_token, html, sign_in


def _staff(app: Any) -> Any:
    from directory.accounts.users import create_user
    from tests.conftest import PASSWORD

    with app.app_context():
        create_user(db.session, email_address="staff@example.org", role="link-worker", password=PASSWORD)
        db.session.commit()
    client = app.test_client()
    assert sign_in(client, "staff@example.org").status_code == 302
    return client


def test_staff_get_the_directorys_own_503_page_while_postgresql_is_unreachable(tmp_path: Path) -> None:
    if not os.environ.get(POSTGRES_ENV):
        pytest.skip(f"needs a PostgreSQL server ({POSTGRES_ENV})")
    with built_app("postgresql", tmp_path) as app:
        staff = _staff(app)
        name = sqlalchemy.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database
        admin = sqlalchemy.create_engine(os.environ[POSTGRES_ENV], isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.exec_driver_sql(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            connection.exec_driver_sql(
                f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
            )
        try:
            with app.app_context():
                db.engine.dispose()
            down = staff.get("/staff/")
            assert down.status_code == 503
            page = html(down)
            assert "briefly unavailable" in page.get_text() and "Nothing you saved is lost" in page.get_text()
            assert page.find("header", class_="site-header") is not None  # the app's page, not the server's
            api = staff.get("/api/search?q=knit")
            assert api.status_code == 503 and api.get_json()["status"] == 503
        finally:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
            admin.dispose()
        assert staff.get("/staff/").status_code == 200  # back by itself: no restart


def test_a_full_disk_gets_a_clear_page_and_a_log_line_that_names_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with built_app("sqlite", tmp_path) as app:
        staff = _staff(app)
        token = csrf_token(staff, "/staff/organisations/new")
        with app.app_context():
            pages = db.session.execute(sqlalchemy.text("PRAGMA page_count")).scalar()
            db.engine.dispose()

            @event.listens_for(db.engine, "connect")
            def _full(connection: Any, _record: Any) -> None:  # the disk is full: no page may be added
                connection.execute(f"PRAGMA max_page_count = {pages}")

        form = {"csrf_token": token, "name": "A group " + "x" * 200, "description": "y" * 9000, "sector": "community"}
        with caplog.at_level(logging.CRITICAL):
            responses = [staff.post("/staff/organisations/new", data=form) for _ in range(30)]
        full = [r for r in responses if r.status_code == 503]
        assert full, [r.status_code for r in responses]
        assert "disk its database is on is full" in html(full[0]).get_text()
        assert any("The disk holding the database is full" in record.getMessage() for record in caplog.records)


def test_after_postgresql_drops_every_connection_the_next_page_and_save_just_work(tmp_path: Path) -> None:
    """What a fast restart does to a running app: every pooled connection is dead. Neither the next page nor
    the next save may fail for it (the pool checks a connection before lending it), and the save is kept."""
    if not os.environ.get(POSTGRES_ENV):
        pytest.skip(f"needs a PostgreSQL server ({POSTGRES_ENV})")
    with built_app("postgresql", tmp_path) as app:
        staff = _staff(app)
        assert staff.get("/staff/").status_code == 200  # the pool now holds a live connection
        name = sqlalchemy.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database
        admin = sqlalchemy.create_engine(os.environ[POSTGRES_ENV], isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            ended = connection.exec_driver_sql(
                f"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '{name}'"
            ).scalar()
        admin.dispose()
        assert ended >= 1
        assert staff.get("/staff/").status_code == 200
        token = csrf_token(staff, "/staff/organisations/new")
        with admin.connect() as connection:  # and again, between the form and its save
            connection.exec_driver_sql(
                f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
            )
        admin.dispose()
        form = {"csrf_token": token, "name": "Kept through a restart", "sector": "community"}
        assert staff.post("/staff/organisations/new", data=form).status_code in (302, 303)
        with app.app_context():
            assert db.session.query(Organization).filter_by(name="Kept through a restart").count() == 1
