"""Backups and restores: SQLite through its online backup API, PostgreSQL through pg_dump/pg_restore.

A restore checks the backup first, takes a safety backup of what is there now, and keeps it in place unless the
restored database is proven sound, so a mistaken or hostile restore loses nothing.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from ..core import process_cache
from .backup_checks import UnsafeBackup, check_postgres_backup, check_sqlite_backup


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


def restore(database_url: str, source: Path, safety_folder: Path, prove: Callable[[], None]) -> Path:
    """Replace the database with a backup; returns the safety backup taken first.

    The backup is checked before anything changes (``backup_checks``), copied in as one transaction, then
    ``prove`` must accept the result (the schema brought to the newest version and compared with the models);
    if it does not, the safety backup is put back and the database is as it was.
    """
    url = make_url(database_url)
    if not source.is_file():
        raise BackupError(f"{source} is not a file.")
    sqlite = url.get_backend_name() == "sqlite"
    try:
        if sqlite:
            check_sqlite_backup(source)
        else:
            check_postgres_backup(source, _tool("pg_restore"))
    except UnsafeBackup as exc:
        raise BackupError(f"Nothing was restored: {exc}") from exc
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    safety = backup(database_url, safety_folder / f"before-restore-{stamp}{'.sqlite' if sqlite else '.dump'}")
    _copy_in(url, source)
    process_cache.clear()
    try:
        prove()
    except Exception as exc:
        _copy_in(url, safety)
        process_cache.clear()
        raise BackupError(f"Nothing was restored: {exc} The database is as it was.") from exc
    return safety


def _copy_in(url: URL, source: Path) -> None:
    """Replace the database's contents with ``source`` in one transaction."""
    if url.get_backend_name() == "sqlite":
        backup_db = sqlite3.connect(source)
        target = sqlite3.connect(_sqlite_path(url))
        try:
            backup_db.backup(target)  # one write transaction: readers see the old database or the new one
        finally:
            target.close()
            backup_db.close()
        return
    command = [_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
               f"--dbname={_libpq(url)}", str(source)]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 - fixed argv
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed (the database is unchanged): {result.stderr.strip()}")
