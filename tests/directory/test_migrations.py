"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

from directory import create_app
from directory.cli import cli
from directory.core.db import db, include_name
from directory.ops.database import init_database
from tests.conftest import PASSWORD, built_app

pytestmark = pytest.mark.both_backends


def test_empty_database_migrated_to_head_matches_the_models(tmp_path: Path, backend: str) -> None:
    with built_app(backend, tmp_path) as app, app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "include_name": include_name})
        differences: list[Any] = compare_metadata(context, db.metadata)
    assert differences == []


def test_downgrade_to_base_and_up_again(tmp_path: Path, backend: str) -> None:
    from flask_migrate import downgrade

    with built_app(backend, tmp_path) as app, app.app_context():
        migrations = str(Path(__file__).resolve().parents[2] / "directory" / "migrations")
        downgrade(directory=migrations, revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        init_database()
        assert "service_fts" in inspect(db.engine).get_table_names()


def test_init_twice_is_harmless_and_keeps_data(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'twice.sqlite'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(tmp_path)})
    runner = app.test_cli_runner()
    first = runner.invoke(cli, args=["init"])
    assert first.exit_code == 0, first.output
    assert "21 categories added" in first.output
    created = runner.invoke(
        cli, args=["users", "create", "--email", "a@example.org", "--role", "admin", "--password", PASSWORD]
    )
    assert created.exit_code == 0, created.output
    second = runner.invoke(cli, args=["init"])
    assert second.exit_code == 0 and "0 categories added" in second.output
    engine = create_engine(url)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM user_account").scalar() == 1
        versions = {row[0] for row in connection.exec_driver_sql("SELECT version_num FROM alembic_version")}
    heads = set(ScriptDirectory(str(Path(__file__).resolve().parents[2] / "directory" / "migrations")).get_heads())
    assert versions == heads
    assert "revision" in inspect(engine).get_table_names()
    engine.dispose()
    with app.app_context():
        db.engine.dispose()


def test_a_request_tied_to_an_organisation_migrates_down_and_up_keeping_requests(tmp_path: Path, backend: str) -> None:
    from flask_migrate import downgrade, upgrade

    migrations = str(Path(__file__).resolve().parents[2] / "directory" / "migrations")
    with built_app(backend, tmp_path) as app, app.app_context():
        downgrade(directory=migrations, revision="0017_flag_district")
        assert "organization_id" not in {c["name"] for c in inspect(db.engine).get_columns("listing_request")}
        with db.engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO listing_request (organization_name, contact_name, email, phone, service_name, description,"
                " categories, address, \"when\", status, created_at, decided_by, reason) VALUES ('Knitters', '',"
                " 'a@example.org', '', 'Knit', '', '[]', '', '', 'waiting', '2026-01-01 00:00:00', '', '')"
            )
        upgrade(directory=migrations, revision="0018_request_organisation")
        columns = {c["name"]: c for c in inspect(db.engine).get_columns("listing_request")}
        assert columns["organization_id"]["nullable"]
        foreign = inspect(db.engine).get_foreign_keys("listing_request")
        to_organisations = [k["constrained_columns"] for k in foreign if k["referred_table"] == "organization"]
        assert to_organisations == [["organization_id"]]
        with db.engine.connect() as connection:
            rows = connection.exec_driver_sql("SELECT service_name, organization_id FROM listing_request").all()
        assert [tuple(r) for r in rows] == [("Knit", None)]
        downgrade(directory=migrations, revision="0017_flag_district")
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT service_name FROM listing_request").scalar() == "Knit"
        upgrade(directory=migrations)
