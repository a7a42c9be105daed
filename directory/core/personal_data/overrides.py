"""Screening a free-text field before it is saved, and the record of each "save anyway".

Every form where staff or link workers write about people calls ``screen``: when the guard finds something
and the writer has not ticked "save anyway", the field gets an error and the form comes back with the
findings highlighted so the writer can rephrase. When the writer does tick it, the text is saved with each
finding masked ("spoke to [name]"), and ``record_override`` keeps who, when, which field and record, and
which kinds were found (never the text found). Functions add rows and never commit; the caller does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..clock import utcnow
from ..db import DbSession, db
from ..validation import ValidationFailed
from .guard import Finding, describe, find_personal_data, mask

OVERRIDE_VALUES = {"1", "yes", "on", "true"}


class PersonalDataOverride(db.Model):  # type: ignore[name-defined,misc]
    """A writer saved text the guard flagged: who, when, where, and which kinds (the text itself is masked)."""

    __tablename__ = "personal_data_override"

    id: Mapped[int] = mapped_column(primary_key=True)
    field: Mapped[str] = mapped_column(String(64))  # "gap_flag.description", "follow_up.detail", ...
    record_id: Mapped[int | None] = mapped_column(Integer, index=True)
    kinds: Mapped[str] = mapped_column(String(255))  # comma-separated, in the order found
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    by: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


@dataclass
class Screened:
    """What to save (masked when the writer overrode a finding), what was found, and any refusal."""

    text: str
    findings: list[Finding] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def kinds(self) -> list[str]:
        return list(dict.fromkeys(f.kind for f in self.findings))


def overridden(value: object) -> bool:
    """Whether a submitted "save anyway" box was ticked."""
    return str(value or "").strip().lower() in OVERRIDE_VALUES


def screen(text: str, *, override: bool, field_name: str) -> Screened:
    """Check ``text``; refuse it (an error on ``field_name``) unless overridden, and then mask what was found."""
    findings = find_personal_data(text)
    if not findings:
        return Screened(text)
    if not override:
        message = (
            f"{describe(findings)} Rephrase it so it is not about a person, or tick the box to save anyway "
            "(what was found is then replaced by [name], [address], ...)."
        )
        return Screened(text, findings, {field_name: message})
    return Screened(mask(text, findings), findings)


class PersonalDataFound(ValidationFailed):
    """Text not saved because the guard found personal data and the writer has not overridden it."""

    def __init__(self, screened: Screened):
        self.findings = screened.findings
        super().__init__(screened.errors)


def screen_or_refuse(text: str, *, override: bool, field_name: str) -> Screened:
    """``screen``, raising ``PersonalDataFound`` (with the findings, for the form) when it refuses."""
    screened = screen(text, override=override, field_name=field_name)
    if screened.errors:
        raise PersonalDataFound(screened)
    return screened


def record_override(
    session: DbSession, screened: Screened, *, field: str, record_id: int | None, user_id: int | None, by: str
) -> PersonalDataOverride | None:
    """Keep the override of a saved text that had findings (nothing when it had none)."""
    if not screened.findings:
        return None
    row = PersonalDataOverride(
        field=field, record_id=record_id, kinds=",".join(screened.kinds), user_id=user_id, by=by[:255]
    )
    session.add(row)
    return row
