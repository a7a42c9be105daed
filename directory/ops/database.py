"""The database's schema: migrating to the newest, and whether a database is there yet."""

from __future__ import annotations

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import upgrade

from ..core.db import MIGRATIONS, db
from ..listings.taxonomy import ensure_categories
from ..search.synonyms import ensure_synonyms


def init_database() -> int:
    """Create or migrate the database to the newest schema, then add missing categories."""
    # "heads": each feature's migrations may branch from the shared base; all are applied.
    upgrade(directory=str(MIGRATIONS), revision="heads")
    ensure_synonyms(db.session)
    added = ensure_categories(db.session)
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
