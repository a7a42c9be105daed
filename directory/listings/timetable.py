"""When a service's sessions are, in words a client can act on: the rule ("First Tuesday of the month,
10am to midday") and the next dates ("Tue 6 Jan, 10am to midday").

Dates come from python-dateutil's RFC 5545 rules, the same rules ORUK schedules carry (FREQ, INTERVAL,
BYDAY with a week number such as 1TU or -1FR, BYMONTHDAY), so month ends, leap years and five-Friday
months need no date arithmetic of our own.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime, time, timedelta
from typing import Protocol

from dateutil import rrule

from ..core import vocab

_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_WEEKDAYS = (rrule.MO, rrule.TU, rrule.WE, rrule.TH, rrule.FR, rrule.SA, rrule.SU)
# How far ahead "next session" looks: a yearly-ish rule (every 12 months) still shows its next date.
_HORIZON = timedelta(days=800)


class Session(Protocol):
    """What a rule is read from: a Schedule row (or anything with its fields)."""

    byday: str | None
    opens_at: time | None
    closes_at: time | None
    by_appointment: bool
    description: str
    freq: str
    interval: int
    week_of_month: int | None
    bymonthday: int | None
    dtstart: date | None
    valid_from: date | None
    valid_to: date | None
    except_dates: list[str]


def _rule(item: Session, start: date, end: date) -> rrule.rrule | None:
    """The session's dates from ``start`` to ``end`` (a dateutil rule), or None if it has no dates to give."""
    if item.by_appointment:
        return None
    interval = max(1, item.interval or 1)
    # A rule every n weeks or months counts from its first date; weekly and monthly ones may start anywhere.
    anchor = item.dtstart or item.valid_from
    first = anchor if anchor is not None and interval > 1 else max(start, item.valid_from or start)
    # Bounded even without valid_to, so a rule that never matches (30 February) ends rather than runs to year 9999.
    until = datetime.combine(min(item.valid_to or end, end), time.max)
    weekday = _WEEKDAYS[_DAYS.index(item.byday)] if item.byday in _DAYS else None
    if (item.freq or "WEEKLY") == "MONTHLY":
        if weekday is not None and item.week_of_month:
            return rrule.rrule(rrule.MONTHLY, interval=interval, dtstart=_at(first), until=until,
                               byweekday=weekday(item.week_of_month))  # fmt: skip
        if item.bymonthday:
            return rrule.rrule(rrule.MONTHLY, interval=interval, dtstart=_at(first), until=until,
                               bymonthday=item.bymonthday)  # fmt: skip
        if weekday is not None:  # every such weekday of the month is every week
            return rrule.rrule(rrule.WEEKLY, interval=1, dtstart=_at(first), until=until, byweekday=weekday)
        return None
    if weekday is None:
        return None
    return rrule.rrule(rrule.WEEKLY, interval=interval, dtstart=_at(first), until=until, byweekday=weekday)


def _at(day: date) -> datetime:
    return datetime.combine(day, time.min)


def session_dates(item: Session, start: date, end: date) -> Iterator[date]:
    """Every date the session runs from ``start`` to ``end`` (both included), holidays left out."""
    rule = _rule(item, start, end)
    if rule is None:
        return
    skipped = set(item.except_dates or [])
    for moment in rule.xafter(_at(start), inc=True):
        day = moment.date()
        if day > end:
            return
        if day.isoformat() not in skipped:
            yield day


def clock(moment: time) -> str:
    """A time as GOV.UK writes it (docs/style-guide.md): "10am", "5:30pm", "midday", "midnight"."""
    if moment.minute == 0 and moment.hour in (0, 12):
        return "midnight" if moment.hour == 0 else "midday"
    hour = moment.hour % 12 or 12
    minutes = f":{moment.minute:02d}" if moment.minute else ""
    return f"{hour}{minutes}{'am' if moment.hour < 12 else 'pm'}"


def _hours(item: Session) -> str:
    """ ", 10am to midday", ", 10am" or nothing: the part of a session's words that gives its times."""
    text = f", {clock(item.opens_at)}" if item.opens_at else ""
    return text + (f" to {clock(item.closes_at)}" if item.closes_at else "")


def _label(day: date, item: Session, now: datetime) -> str:
    label = day.strftime("%a %-d %b")
    if (day - now.date()).days > 300:
        label += f" {day.year}"
    return label + _hours(item)


def upcoming(schedules: Sequence[Session], now: datetime, count: int = 2) -> list[tuple[datetime, str]]:
    """The next ``count`` sessions from ``now`` (one still running counts), soonest first, with their labels."""
    found: list[tuple[datetime, str]] = []
    for item in schedules:
        taken = 0
        for day in session_dates(item, now.date(), now.date() + _HORIZON):
            ends = item.closes_at or item.opens_at
            if ends is not None and datetime.combine(day, ends) < now:
                continue  # it finished earlier today
            found.append((datetime.combine(day, item.opens_at or time.max), _label(day, item, now)))
            taken += 1
            if taken == count:
                break
    return sorted(found)[:count]


def next_sessions(schedules: Sequence[Session], now: datetime, count: int = 2) -> list[str]:
    """The next few sessions from ``now``, e.g. "Tue 2 Dec, 10am to midday"; "By appointment" if there are none."""
    labels = [label for _, label in upcoming(schedules, now, count)]
    if not labels and any(s.by_appointment for s in schedules):
        labels = ["By appointment"]
    return labels


def describe(item: Session) -> str:
    """The rule in words: "Tuesdays", "Every 2 weeks on Monday", "First Tuesday of the month", "15th of each month"."""
    if item.by_appointment:
        return "By appointment"
    interval = max(1, item.interval or 1)
    day = vocab.WEEKDAYS.get(item.byday or "", "")
    if (item.freq or "WEEKLY") == "MONTHLY":
        every = "the month" if interval == 1 else f"every {interval} months"
        if day and item.week_of_month:
            text = f"{vocab.WEEKS_OF_MONTH.get(item.week_of_month, '').capitalize()} {day} of {every}"
        elif item.bymonthday:
            text = f"{_ordinal(item.bymonthday)} of {every}"
        else:
            text = f"{day}s"
    elif interval == 1:
        text = f"{day}s"
    else:
        text = f"Every other {day}" if interval == 2 else f"Every {interval} weeks on {day}"
    text += _hours(item)
    if item.valid_from:
        text += f", from {item.valid_from.strftime('%-d %b %Y')}"
    if item.valid_to:
        text += f", until {item.valid_to.strftime('%-d %b %Y')}"
    if skipped := _dates_off(item.except_dates):
        text += f", not on {skipped}"
    return text


def _dates_off(values: Sequence[str] | None) -> str:
    """Dates a session does not run, in words: "25 Dec 2026 or 1 Jan 2027" (they are kept as ISO dates)."""
    days = sorted({date.fromisoformat(v) for v in values or [] if _is_date(v)})
    words = [d.strftime("%-d %b %Y") for d in days]
    return ", ".join(words[:-1]) + f" or {words[-1]}" if len(words) > 1 else "".join(words)


def _is_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except (TypeError, ValueError):
        return False
    return True


def _ordinal(number: int) -> str:
    if number == -1:
        return "Last day"
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"
