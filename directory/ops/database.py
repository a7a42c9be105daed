"""The database's schema: migrating to the newest, and whether a database is there yet."""

from __future__ import annotations

from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import upgrade
from sqlalchemy import inspect

from ..core.db import MIGRATIONS, db, refresh_statistics
from ..listings.taxonomy import ensure_categories
from ..search.synonyms import ensure_synonyms
from .backup_checks import UnsafeBackup, check_restored_version


def init_database() -> int:
    """Create or migrate the database to the newest schema, then add missing categories."""
    # "heads": each feature's migrations may branch from the shared base; all are applied.
    upgrade(directory=str(MIGRATIONS), revision="heads")
    ensure_synonyms(db.session)
    added = ensure_categories(db.session)
    db.session.commit()
    refresh_statistics(db.session)
    db.session.commit()
    return added


def at_newest_schema() -> bool:
    """Whether the database has every migration applied (each feature's branch included)."""
    heads = set(ScriptDirectory(MIGRATIONS).get_heads())
    with db.engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    return current == heads


def safe_url() -> str:
    """The database URL with its password hidden, for messages."""
    return db.engine.url.render_as_string(hide_password=True)


def prove_restored(source: Path) -> None:
    """A restored database must be at a schema version this code knows, migrate to the newest, and then have every
    table and column the models describe (``UnsafeBackup`` says what is wrong)."""
    db.session.remove()
    db.engine.dispose()
    with db.engine.connect() as connection:
        versions = set(MigrationContext.configure(connection).get_current_heads())
    check_restored_version(versions, source)
    init_database()
    inspector = inspect(db.engine)
    present = set(inspector.get_table_names())
    problems = [f"no table {name}" for name in sorted(set(db.metadata.tables) - present)]
    for name, table in sorted(db.metadata.tables.items()):
        if name in present:
            columns = {column["name"] for column in inspector.get_columns(name)}
            problems += [f"no column {name}.{column.name}" for column in table.columns if column.name not in columns]
    if problems:
        raise UnsafeBackup(f"{source} does not give this directory's schema ({'; '.join(problems[:5])}).")
