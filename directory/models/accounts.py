"""Staff accounts: one row per person who signs in, with a role (and, for group editors, an organisation)."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core import vocab
from ..core.clock import utcnow
from ..core.db import db
from .base import allowed
from .listings import Organization


class User(UserMixin, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "user_account"
    __table_args__ = (allowed("role", vocab.ROLES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(255), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(32))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"))
    team: Mapped[str] = mapped_column(String(255), default="", server_default="")
    area: Mapped[str] = mapped_column(String(255), default="", server_default="")  # LAD codes the gap map opens on
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Moved on at every sign-out: a session cookie names the version it was made at, so a copy of a cookie taken
    # before a sign-out no longer signs anyone in.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    organization: Mapped[Organization | None] = relationship()

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return f"{self.id}.{self.session_version}"
