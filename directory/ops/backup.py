"""Backups and restores: SQLite through its online backup API, PostgreSQL through pg_dump/pg_restore.

A restore first takes a safety backup of what is there now, so a mistaken restore loses nothing.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from ..core import process_cache


class BackupError(RuntimeError):
    """A backup or restore could not be made; the message says why and what to do."""


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up.")
    return Path(url.database)


def _libpq(url: URL) -> str:
    # pg_dump speaks libpq URLs: drop SQLAlchemy's driver suffix (postgresql+psycopg -> postgresql).
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} is not installed: install PostgreSQL's client tools (Debian: postgresql-client).")
    return found


def backup(database_url: str, destination: Path) -> Path:
    """Write a consistent copy of the database to ``destination`` while the app keeps running."""
    url = make_url(database_url)
    destination.parent.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() == "sqlite":
        source = sqlite3.connect(_sqlite_path(url))
        target = sqlite3.connect(destination)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
    elif url.get_backend_name() == "postgresql":
        command = [_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={destination}", _libpq(url)]
        result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 - fixed argv
        if result.returncode != 0:
            raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
    else:
        raise BackupError(f"Backups of {url.get_backend_name()} databases are not supported.")
    return destination


def restore(database_url: str, source: Path, safety_folder: Path) -> Path:
    """Replace the database with a backup; returns the safety backup taken first."""
    url = make_url(database_url)
    if not source.is_file():
        raise BackupError(f"{source} is not a file.")
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    suffix = ".sqlite" if url.get_backend_name() == "sqlite" else ".dump"
    safety = backup(database_url, safety_folder / f"before-restore-{stamp}{suffix}")
    if url.get_backend_name() == "sqlite":
        _check_sqlite_backup(source)
        backup_db = sqlite3.connect(source)
        target = sqlite3.connect(_sqlite_path(url))
        try:
            backup_db.backup(target)
        finally:
            target.close()
            backup_db.close()
    else:
        command = [_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
                   f"--dbname={_libpq(url)}", str(source)]  # fmt: skip
        result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 - fixed argv
        if result.returncode != 0:
            raise BackupError(f"pg_restore failed (the database is unchanged): {result.stderr.strip()}")
    process_cache.clear()
    return safety


def _check_sqlite_backup(source: Path) -> None:
    try:
        connection = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        finally:
            connection.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{source} is not a SQLite database: {exc}") from exc
    if not {"alembic_version", "service", "revision"} <= tables:
        raise BackupError(f"{source} is not a backup of this directory (its tables are missing).")
