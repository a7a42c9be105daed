"""Operations: serving with gunicorn, and backup/restore round trips with revisions intact."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, text

from directory.cli import cli
from directory.core.db import db
from directory.listings import operations
from directory.models import Revision, Service
from tests.conftest import STAFF, built_app


def _revisions() -> list[tuple[int, str, str]]:
    return [
        (r.entity_id, r.action, str(r.after.get("name")))
        for r in db.session.scalars(select(Revision).order_by(Revision.id))
    ]


@pytest.mark.both_backends
def test_backup_then_restore_brings_back_listings_and_history(tmp_path: Path, backend: str) -> None:
    with built_app(backend, tmp_path) as app:
        runner = app.test_cli_runner()
        with app.app_context():
            org = operations.create(db.session, "organization", {"name": "Knitters"}, STAFF)
            service = operations.create(
                db.session, "service", {"organization_id": org.id, "name": "Knit and natter"}, STAFF
            )
            service_id, org_id = service.id, org.id
            operations.update(db.session, "service", service.id, {"name": "Knit, natter and cake"}, expected_version=1,
                              actor=STAFF)  # fmt: skip
            db.session.commit()
            saved = _revisions()
        target = tmp_path / "backup.bin"
        result = runner.invoke(cli, args=["backup", str(target)])
        assert result.exit_code == 0, result.output
        assert target.stat().st_size > 0
        with app.app_context():
            operations.update(db.session, "service", service_id, {"name": "After the backup"}, expected_version=2,
                              actor=STAFF)  # fmt: skip
            operations.create(db.session, "service", {"organization_id": org_id, "name": "Added later"}, STAFF)
            db.session.commit()
            db.session.remove()
        result = runner.invoke(cli, args=["restore", str(target), "--yes"])
        assert result.exit_code == 0, result.output
        assert "kept in" in result.output
        with app.app_context():
            db.session.remove()
            assert _revisions() == saved
            assert db.session.scalar(select(func.count()).select_from(Service)) == 1
            restored = db.session.get(Service, service_id)
            assert restored is not None and restored.name == "Knit, natter and cake" and restored.version == 2
        # The full-text index came back with the data.
        client = app.test_client()
        assert "Knit, natter and cake" in client.get("/?q=cake").get_data(as_text=True)
        assert list(tmp_path.glob("before-restore-*")), "a safety backup of the replaced database is kept"


@pytest.mark.both_backends
def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path: Path, backend: str) -> None:
    with built_app(backend, tmp_path) as app:
        bogus = tmp_path / "notes.txt"
        bogus.write_text("not a database")
        result = app.test_cli_runner().invoke(cli, args=["restore", str(bogus), "--yes"])
        assert result.exit_code == 1
        assert "not" in result.output.lower()
        with app.app_context():
            assert "service" in db.metadata.tables


def _backup_then(app: Flask, tmp_path: Path, change: Callable[[Path], None]) -> Path:
    """A real backup of the app's database, changed by ``change`` (a SQLite file, or SQL run before pg_dump)."""
    target = tmp_path / "backup.bin"
    assert app.test_cli_runner().invoke(cli, args=["backup", str(target)]).exit_code == 0
    change(target)
    return target


def _listing_count(app: Flask) -> int:
    with app.app_context():
        db.session.remove()
        return int(db.session.scalar(select(func.count()).select_from(Service)) or 0)


def _sqlite(statements: str) -> Callable[[Path], None]:
    def change(path: Path) -> None:
        connection = sqlite3.connect(path)
        connection.executescript(statements)
        connection.commit()
        connection.close()

    return change


@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        (_sqlite("CREATE TRIGGER promote AFTER UPDATE ON service BEGIN UPDATE user_account SET role = 'admin'; END;"),
         "trigger promote"),
        (_sqlite("CREATE VIEW everyone AS SELECT * FROM user_account;"), "view everyone"),
        (_sqlite("CREATE TABLE notes (x TEXT);"), "tables this directory never makes: notes"),
        (_sqlite("UPDATE alembic_version SET version_num = 'elsewhere';"), "schema version this code does not know"),
    ],
)  # fmt: skip
def test_restore_refuses_a_backup_that_carries_what_the_product_never_makes(
    tmp_path: Path, make_service: Any, app: Flask, change: Callable[[Path], None], refusal: str
) -> None:
    make_service(name="Still here afterwards")
    before = _listing_count(app)
    hostile = _backup_then(app, tmp_path, change)
    result = app.test_cli_runner().invoke(cli, args=["restore", str(hostile), "--yes"])
    assert result.exit_code == 1 and refusal in result.output and "Nothing was restored" in result.output
    assert _listing_count(app) == before


def test_restore_refuses_three_empty_tables_that_claim_to_be_a_backup(tmp_path: Path, app: Flask) -> None:
    from alembic.script import ScriptDirectory

    from directory.core.db import MIGRATIONS

    before = _listing_count(app)
    [head] = ScriptDirectory(MIGRATIONS).get_heads()
    fake = tmp_path / "fake.sqlite"
    _sqlite(
        "CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY);"
        f"INSERT INTO alembic_version VALUES ('{head}');"
        "CREATE TABLE service (id INTEGER PRIMARY KEY); CREATE TABLE revision (id INTEGER PRIMARY KEY);"
    )(fake)
    result = app.test_cli_runner().invoke(cli, args=["restore", str(fake), "--yes"])
    assert result.exit_code == 1 and "Nothing was restored" in result.output
    assert _listing_count(app) == before


def test_a_restore_that_cannot_be_proven_puts_the_database_back(tmp_path: Path, app: Flask, make_service: Any) -> None:
    """A backup whose tables lack a column the models need passes the first checks; once copied in, the schema is
    compared with the models, and the database as it was is put back."""
    make_service(name="Kept through a failed restore")
    before = _listing_count(app)
    broken = _backup_then(app, tmp_path, _sqlite("ALTER TABLE synonym DROP COLUMN alternatives;"))
    result = app.test_cli_runner().invoke(cli, args=["restore", str(broken), "--yes"])
    assert result.exit_code == 1 and "no column synonym.alternatives" in result.output
    assert "The database is as it was" in result.output
    assert _listing_count(app) == before


def test_a_postgresql_backup_with_a_trigger_or_an_unknown_version_is_not_restored(tmp_path: Path) -> None:
    with built_app("postgresql", tmp_path) as app:
        runner = app.test_cli_runner()
        with app.app_context():
            operations.create(db.session, "organization", {"name": "Still here"}, STAFF)
            db.session.commit()
            db.session.execute(text(
                "CREATE FUNCTION promote() RETURNS trigger AS $$ BEGIN UPDATE user_account SET role = 'admin'; "
                "RETURN NEW; END $$ LANGUAGE plpgsql;"
                "CREATE TRIGGER promote AFTER UPDATE ON service FOR EACH ROW EXECUTE FUNCTION promote();"
            ))  # fmt: skip
            db.session.commit()
        hostile = tmp_path / "hostile.dump"
        assert runner.invoke(cli, args=["backup", str(hostile)]).exit_code == 0
        with app.app_context():
            head = db.session.scalar(text("SELECT version_num FROM alembic_version"))
            db.session.execute(text("DROP TRIGGER promote ON service; DROP FUNCTION promote();"))
            db.session.execute(text("UPDATE alembic_version SET version_num = 'elsewhere'"))
            db.session.commit()
        unknown = tmp_path / "unknown.dump"
        assert runner.invoke(cli, args=["backup", str(unknown)]).exit_code == 0
        with app.app_context():
            db.session.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": head})
            db.session.commit()
        refused = runner.invoke(cli, args=["restore", str(hostile), "--yes"])
        assert refused.exit_code == 1 and "FUNCTION" in refused.output and "TRIGGER" in refused.output
        put_back = runner.invoke(cli, args=["restore", str(unknown), "--yes"])
        assert put_back.exit_code == 1 and "schema version this code does not know (elsewhere)" in put_back.output
        with app.app_context():
            db.session.remove()
            assert db.session.scalar(text("SELECT version_num FROM alembic_version")) == head
            assert db.session.scalar(text("SELECT count(*) FROM pg_trigger WHERE tgname = 'promote'")) == 0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_runs_gunicorn_with_secure_cookies(tmp_path: Path, backend: str) -> None:
    with built_app(backend, tmp_path) as app:
        port = _free_port()
        env = {**os.environ, "DIRECTORY_INSTANCE_PATH": str(tmp_path), "DIRECTORY_SECRET_KEY": "k",
               "DIRECTORY_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"]}  # fmt: skip
        env.pop("DIRECTORY_SECURE_COOKIES", None)
        server = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "directory.cli", "serve", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            body: Any = None
            for _ in range(100):
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:  # noqa: S310
                        body = response.read()
                    break
                except OSError:
                    time.sleep(0.1)
            assert body is not None and b'"status":"ok"' in body
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as response:  # noqa: S310
                cookie = response.headers["Set-Cookie"]
            assert "Secure" in cookie and "HttpOnly" in cookie
            with pytest.raises(urllib.error.HTTPError):  # 422: that postcode is not in the empty postcode table
                urllib.request.urlopen(f"http://127.0.0.1:{port}/?postcode=FY1+1AA", timeout=5)  # noqa: S310
            with pytest.raises(urllib.error.HTTPError):  # 404: no such link, but its path holds a secret all the same
                urllib.request.urlopen(f"http://127.0.0.1:{port}/group/link/sekret-token-123", timeout=5)  # noqa: S310
        finally:
            server.terminate()
            output, _ = server.communicate(timeout=10)
        log = output.decode()
        assert '"GET / HTTP/1.1" 422' in log
        assert "FY1" not in log and "postcode=" not in log
        assert "sekret-token-123" not in log and '"GET /group/link/[secret] HTTP/1.1" 404' in log


def test_serve_refuses_a_database_that_is_not_migrated(tmp_path: Path) -> None:
    from directory import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'empty.sqlite'}",
                      "INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "k"})  # fmt: skip
    result = app.test_cli_runner().invoke(cli, args=["serve"])
    assert result.exit_code == 1 and "asset-directory init" in result.output


def test_the_access_log_never_shows_a_links_secret_or_a_query() -> None:
    from directory.ops.serve import without_secrets

    for path in ("/group/link/abc-DEF_123", "/group/confirm/xyz", "/group/stopped/xyz", "/group/unsubscribe/q"):
        shown = without_secrets(path)
        assert shown.endswith("/[secret]") and path.rsplit("/", 1)[1] not in shown
    assert without_secrets("/group/link") == "/group/link" and without_secrets("/staff/") == "/staff/"
