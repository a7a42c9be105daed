"""A listing's revisions as a reader may see them: staff see every field and who made each change; a group
editor sees its own listing's history without the fields only staff may see or set, and without staff members'
names or email addresses."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..models import Revision
from .rules import STAFF_ONLY_FIELDS

STAFF_NAME = "the directory team"
# A staff member as revisions name them ("staff: a@b.org"), also inside a group change's "(approved by ...)".
STAFF_LABEL = re.compile(r"staff: [^\s()]+")


@dataclass(frozen=True)
class Change:
    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class RevisionView:
    id: int
    version: int
    created_at: datetime
    action: str
    who: str
    source: str
    created: bool  # the first revision: nothing before it
    changes: list[Change]


def revision_views(revisions: list[Revision], *, staff: bool) -> list[RevisionView]:
    """Each revision with the fields this reader may see; a revision that changed only hidden fields still
    shows that something changed (without saying what), so the version numbers have no gaps."""
    return [_view(revision, staff) for revision in revisions]


def _view(revision: Revision, staff: bool) -> RevisionView:
    before, after = revision.before or {}, revision.after or {}
    names = revision.changed_fields if staff else [n for n in revision.changed_fields if n not in STAFF_ONLY_FIELDS]
    return RevisionView(
        id=revision.id,
        version=revision.version,
        created_at=revision.created_at,
        action=revision.action,
        who=revision.actor if staff else STAFF_LABEL.sub(STAFF_NAME, revision.actor),
        source=revision.source,
        created=revision.before is None,
        changes=[Change(name, before.get(name), after.get(name)) for name in names],
    )
