"""A listing's funding in words, derived from its end date first and its stored status second.

The status ("funded", "at-risk", ...) is typed by a person and can go stale; the end date cannot
lie about the past. So a date that has passed always reads "Funding ended", whatever the status
says, and a status is only shown on its own when there is no date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ..core import vocab

#: Within this many days an end date is counted down ("ends in 3 weeks") rather than shown as a date.
SOON_DAYS = 91


@dataclass(frozen=True)
class Funding:
    state: str  # ended | ending | funded | unfunded | unknown
    label: str  # short, for a row of results: "Funding ends in 3 weeks"
    full: str = ""  # with the date where the label counts down: "Funding ends in 3 weeks (26 Dec 2026)"

    def __post_init__(self) -> None:
        if not self.full:
            object.__setattr__(self, "full", self.label)


def _day(when: date) -> str:
    return f"{when.day} {when:%b %Y}"


def _countdown(days: int) -> str:
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days < 14:
        return f"in {days} days"
    return f"in {round(days / 7)} weeks"


def funding(status: str | None, funded_until: date | None, today: date) -> Funding:
    """The funding of a listing as a state and a label that never contradict its end date.

    ``today`` is the caller's date (the clock's), so tests and pages agree on what has passed.
    """
    status = status or "unknown"
    if funded_until is not None:
        if funded_until < today:
            return Funding("ended", f"Funding ended {_day(funded_until)}")
        days = (funded_until - today).days
        if days < SOON_DAYS:
            risk = "at risk, " if status == "at-risk" else ""
            label = f"Funding {risk}ends {_countdown(days)}"
            return Funding("ending", label, f"{label} ({_day(funded_until)})")
        prefix = "Funding at risk, funded" if status == "at-risk" else "Funded"
        return Funding("funded", f"{prefix} until {_day(funded_until)}")
    if status in ("funded", "time-limited"):
        return Funding("funded", vocab.FUNDING_STATUSES[status])
    if status == "unfunded":
        return Funding("unfunded", vocab.FUNDING_STATUSES[status])
    if status == "at-risk":
        return Funding("ending", vocab.FUNDING_STATUSES[status])
    return Funding("unknown", vocab.FUNDING_STATUSES.get(status, vocab.FUNDING_STATUSES["unknown"]))
