"""iCalendar feeds of a group's sessions (a Google or Outlook calendar's public .ics address).

The sessions in the next ``weeks`` weeks (recurrences expanded by ``recurring_ical_events``,
cancelled ones left out) become the listing's sessions: one per weekday and time, weekly unless the
dates show every other week or the same week of each month. A feed
that parses but has no session in that window is evidence the group may have stopped: the parse
result then has no record and says so in a notice, and the directory records the evidence
without changing the listing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

from . import http
from .base import FetchFailed, Importer, ParseFailed, ParseResult, ScheduleRecord, ServiceRecord, as_text

LONDON = ZoneInfo("Europe/London")
DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
NO_FUTURE_EVENTS = "no-future-events"


@dataclass(frozen=True)
class Session:
    """One upcoming occurrence, in UK local time."""

    starts: datetime
    ends: datetime | None
    summary: str
    all_day: bool = False
    rule: str = ""  # the event's RRULE as written ("FREQ=MONTHLY;BYDAY=-1FR"), when it has one


def _local(value: Any) -> tuple[datetime, bool]:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value, False
        return value.astimezone(LONDON).replace(tzinfo=None), False
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day), True
    raise ValueError(f"{value!r} is not a date or time")


# A group meets a few times a week; a rule that repeats every second or minute ("a recurrence bomb") would expand
# to millions of occurrences, so expansion stops, refused, past this many in the window.
MAX_OCCURRENCES = 5_000


def _occurrences(calendar: icalendar.Calendar, start: datetime, end: datetime) -> Iterator[Any]:
    """The calendar's occurrences from ``start`` to ``end``, expanded one at a time and never more than
    ``MAX_OCCURRENCES`` (``ParseFailed`` past that, naming why)."""
    try:
        for count, event in enumerate(recurring_ical_events.of(calendar).after(start), start=1):
            if _local(event.decoded("DTSTART"))[0] >= _local(end)[0]:
                return
            if count > MAX_OCCURRENCES:
                raise ParseFailed(
                    f"the calendar has more than {MAX_OCCURRENCES:,} sessions in the weeks read: a rule repeating "
                    "every minute or second? It was not read."
                )
            yield event
    except ParseFailed:
        raise
    except Exception as exc:  # the library raises its own kinds for broken recurrence rules
        raise ParseFailed(f"the calendar's events could not be read: {type(exc).__name__}: {exc}") from exc


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def upcoming_sessions(payload: bytes, *, now: datetime, weeks: int) -> list[Session]:
    """Sessions starting between ``now`` (naive UTC) and ``weeks`` weeks later, in start order."""
    try:
        calendar = icalendar.Calendar.from_ical(payload)
    except (ValueError, IndexError, KeyError, TypeError) as exc:
        raise ParseFailed(f"not a valid iCalendar file: {exc}") from exc
    if calendar.name != "VCALENDAR":
        raise ParseFailed("not an iCalendar file (no VCALENDAR)")
    start = now.replace(tzinfo=UTC)
    end = start + timedelta(weeks=weeks)
    rules = {as_text(e.get("UID")): _text(e["RRULE"].to_ical()) for e in calendar.walk("VEVENT") if e.get("RRULE")}
    sessions = []
    for event in _occurrences(calendar, start, end):
        if as_text(event.get("STATUS")).upper() == "CANCELLED":
            continue
        try:
            starts, all_day = _local(event.decoded("DTSTART"))
            ends = _local(event.decoded("DTEND"))[0] if event.get("DTEND") is not None else None
        except (ValueError, KeyError):
            continue
        summary = as_text(event.get("SUMMARY"))[:200]
        rule = rules.get(as_text(event.get("UID")), "")
        sessions.append(Session(starts=starts, ends=ends, summary=summary, all_day=all_day, rule=rule))
    return sorted(sessions, key=lambda s: s.starts)


def sessions_to_schedules(sessions: list[Session]) -> tuple[ScheduleRecord, ...]:
    """Group occurrences into weekly sessions: one per (weekday, start, end)."""
    groups: dict[tuple[str, str | None, str | None], list[Session]] = {}
    for session in sessions:
        opens = None if session.all_day else session.starts.strftime("%H:%M")
        closes = None if session.all_day or session.ends is None else session.ends.strftime("%H:%M")
        if opens and closes and closes <= opens:
            closes = None  # runs past midnight: keep the start only
        groups.setdefault((DAYS[session.starts.weekday()], opens, closes), []).append(session)
    schedules = []
    for (day, opens, closes), occurrences in sorted(groups.items(), key=lambda g: (DAYS.index(g[0][0]), g[0][1] or "")):
        summary = occurrences[0].summary
        rhythm = _rhythm(sorted({o.starts.date() for o in occurrences}), {o.rule for o in occurrences})
        if len(occurrences) == 1 and not rhythm:
            summary = f"{summary} (once, {occurrences[0].starts:%-d %B %Y})".strip()
        schedules.append(
            replace(ScheduleRecord(byday=day, opens_at=opens, closes_at=closes, description=summary[:255]), **rhythm)
        )
    return tuple(schedules)


MONTHLY_DAY = re.compile(r"FREQ=MONTHLY;(?:.*;)?BYDAY=([+-]?[1-5])(MO|TU|WE|TH|FR|SA|SU)(?:;|$)")


def _rhythm(dates: list[date], rules: set[str]) -> dict[str, Any]:
    """Weekly, unless the rule or the dates say otherwise: every other week (counted from the first), or the same
    week of each month ("first Tuesday", "last Friday"), so a monthly group is not shown as meeting every week."""
    written = [MONTHLY_DAY.search(rule) for rule in rules]
    if len(written) == 1 and written[0] is not None and written[0].group(2) == DAYS[dates[0].weekday()]:
        return {"freq": "MONTHLY", "week_of_month": int(written[0].group(1))}
    if len(dates) < 2:
        return {}
    gaps = {(later - earlier).days for earlier, later in zip(dates, dates[1:], strict=False)}
    if gaps == {14}:
        return {"interval": 2, "dtstart": dates[0].isoformat()}
    if min(gaps) >= 28:
        weeks = {(d.day - 1) // 7 + 1 for d in dates}
        if len(weeks) == 1 and min(weeks) <= 4:
            return {"freq": "MONTHLY", "week_of_month": min(weeks)}
        if all((d + timedelta(days=7)).month != d.month for d in dates):
            return {"freq": "MONTHLY", "week_of_month": -1}
    return {}


class ICalImporter(Importer):
    """One group's calendar feed, bound to one listing by the caller."""

    kind = "ical"
    label = "iCalendar feed of sessions"

    def __init__(
        self,
        *,
        now: datetime | None = None,
        weeks: int = 8,
        allow_private: bool = False,
        max_bytes: int = 5 * 1024 * 1024,
        timeout: float = http.DEFAULT_TIMEOUT,
    ) -> None:
        self.now = now or datetime.now(UTC).replace(tzinfo=None)
        self.weeks = weeks
        self.allow_private = allow_private
        self.max_bytes = max_bytes
        self.timeout = timeout

    def fetch(self, location: str) -> Iterator[bytes]:
        """Download the .ics feed (``webcal://`` is read as ``https://``)."""
        if location.lower().startswith("webcal://"):
            location = "https://" + location[len("webcal://") :]
        if not location.lower().startswith(("http://", "https://")):
            raise FetchFailed(f"{location}: a calendar feed must be an http(s) or webcal address.")
        yield http.fetch(
            location, allow_private=self.allow_private, max_bytes=self.max_bytes, timeout=self.timeout
        ).body

    def parse(self, payload: bytes) -> ParseResult:
        """One record (``external_id`` ``"calendar"``) with the weekly sessions, or none and a notice."""
        sessions = upcoming_sessions(payload, now=self.now, weeks=self.weeks)
        result = ParseResult()
        if not sessions:
            result.notices.append(f"{NO_FUTURE_EVENTS}: the calendar has no sessions in the next {self.weeks} weeks")
            return result
        result.records.append(
            ServiceRecord(
                external_id="calendar",
                name=sessions[0].summary or "calendar",
                where="calendar",
                schedules=sessions_to_schedules(sessions),
            )
        )
        result.notices.append(
            f"{len(sessions)} sessions in the next {self.weeks} weeks, "
            f"the first on {sessions[0].starts:%-d %B %Y %H:%M}"
        )
        return result
