"""Who writes (``Actor``) and why a write is refused: shared by every package that writes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """Who is writing: ``label`` is shown in history ("staff: a@b.org", "group: ...")."""

    label: str
    source: str  # staff | group | import | demo | system
    organization_id: int | None = None  # set for group editors: they may touch only this one


class StaleEdit(Exception):
    """Someone else saved this listing after the editor opened it."""


class NotFound(LookupError):
    pass


class NotPermitted(PermissionError):
    pass
