"""What a backup must be before it may replace the database: a sound database of this product's schema, at a
schema version this code knows, with no table, trigger, view or function the product did not make.

A trigger or view rides along in a database file and runs on later saves (a trigger that makes a link worker an
admin, say), and a file of three empty tables would replace every listing: both are refused, naming why.
"""

from __future__ import annotations

import re
import sqlite3
import subprocess
from pathlib import Path

from alembic.script import ScriptDirectory

from ..core.db import MIGRATIONS, db
from ..listings.search_index import FTS_TABLE

# Tables the product makes outside the models: Alembic's version, SQLite's own, and the full-text index (FTS5
# keeps its index in shadow tables named after it).
OTHER_TABLES = {"alembic_version", "sqlite_sequence", "sqlite_stat1", "sqlite_stat4", FTS_TABLE}
FTS_SHADOW = re.compile(rf"^{FTS_TABLE}_(data|idx|content|docsize|config)$")
# Kinds of pg_restore table-of-contents entry a product backup never holds: they would run code on later saves.
PG_REFUSED = ("TRIGGER", "VIEW", "MATERIALIZED VIEW", "FUNCTION", "PROCEDURE", "RULE", "EVENT TRIGGER", "POLICY")


class UnsafeBackup(ValueError):
    """The file is not a backup this directory can restore; the message names what is wrong."""


def known_revisions() -> set[str]:
    return {script.revision for script in ScriptDirectory(MIGRATIONS).walk_revisions()}


def expected_tables() -> set[str]:
    return set(db.metadata.tables) | OTHER_TABLES


def check_sqlite_backup(source: Path) -> None:
    """Refuse (``UnsafeBackup``) a file that is not a sound SQLite backup of this product."""
    try:
        connection = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            entries = connection.execute("SELECT type, name FROM sqlite_master").fetchall()
            integrity = [row[0] for row in connection.execute("PRAGMA integrity_check")]
            tables = {name for kind, name in entries if kind == "table"}
            versions = (
                {row[0] for row in connection.execute("SELECT version_num FROM alembic_version")}
                if "alembic_version" in tables
                else set()
            )
        finally:
            connection.close()
    except sqlite3.DatabaseError as exc:
        raise UnsafeBackup(f"{source} is not a SQLite database: {exc}") from exc
    if integrity != ["ok"]:
        raise UnsafeBackup(f"{source} is damaged (SQLite's integrity check: {'; '.join(integrity[:3])}).")
    code = sorted(f"{kind} {name}" for kind, name in entries if kind in ("trigger", "view"))
    if code:
        raise UnsafeBackup(f"{source} holds what this directory never makes: {', '.join(code[:5])}.")
    _check_schema(source, tables, versions)


def check_postgres_backup(source: Path, pg_restore: str) -> None:
    """Refuse a pg_dump archive that is not a backup of this product (read from its table of contents)."""
    result = subprocess.run([pg_restore, "--list", str(source)], capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise UnsafeBackup(f"{source} is not a pg_dump archive: {result.stderr.strip()[:300]}")
    lines = [line for line in result.stdout.splitlines() if line and not line.startswith(";")]
    code = sorted({kind for line in lines for kind in PG_REFUSED if f" {kind} " in line})
    if code:
        raise UnsafeBackup(f"{source} holds what this directory never makes: {', '.join(code)}.")
    tables = {line.split()[-2] for line in lines if " TABLE " in line and " TABLE DATA " not in line}
    # The version itself is data: checked once restored (restore() puts the database back if it is unknown).
    _check_schema(source, tables, versions=None)


def check_restored_version(versions: set[str], source: Path) -> None:
    unknown = versions - known_revisions()
    if not versions or unknown:
        what = ", ".join(sorted(unknown)) or "no version"
        raise UnsafeBackup(f"{source} is at a schema version this code does not know ({what}).")


def _check_schema(source: Path, tables: set[str], versions: set[str] | None) -> None:
    extra = sorted(name for name in tables - expected_tables() if not FTS_SHADOW.match(name))
    if extra:
        raise UnsafeBackup(f"{source} has tables this directory never makes: {', '.join(extra[:5])}.")
    if versions is not None:
        check_restored_version(versions, source)
    missing = sorted({"alembic_version", "organization", "service", "revision", "user_account"} - tables)
    if missing:
        raise UnsafeBackup(f"{source} is not a backup of this directory (no {', '.join(missing)} table).")
