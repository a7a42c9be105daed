"""Staff accounts: one row per person who signs in, with a role (and, for group editors, an organisation)."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
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

    organization: Mapped[Organization | None] = relationship()

    @property
    def is_active(self) -> bool:
        return self.active
