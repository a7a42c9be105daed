"""Small facts about this database (whether it holds demo data, the gap data version), as key and value."""

from __future__ import annotations

from sqlalchemy import String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from .db import DbSession, db


class AppMeta(db.Model):  # type: ignore[name-defined,misc]
    """Small facts about this database, such as whether it holds demo data."""

    __tablename__ = "app_meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


def read_meta(session: DbSession, key: str) -> str | None:
    return session.scalar(select(AppMeta.value).where(AppMeta.key == key))


def write_meta(session: DbSession, key: str, value: str) -> None:
    """Set ``key`` to ``value`` in the caller's transaction."""
    row = session.get(AppMeta, key)
    if row is None:
        session.add(AppMeta(key=key, value=value))
    else:
        row.value = value
