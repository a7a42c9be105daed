"""ORUK 3.0 schedules (an RFC 5545 rule in fields: freq, interval, byday such as ``1TU`` or ``-1FR``,
bymonthday, dtstart, valid_from, valid_to) as :class:`~scrapers.base.ScheduleRecord` sessions.

A schedule may sit on the service or on one of its service-at-locations; both are read. What cannot be
kept is named in a notice: never dropped silently. See docs/oruk.md, "Schedules".
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from typing import Any

from .base import ScheduleRecord, as_text

EXTENSION = "x_asset_directory"  # scrapers.oruk.EXTENSION: dates without a session travel in it


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _hhmm(value: Any) -> str | None:
    text = as_text(value)
    match = re.match(r"^(\d{1,2}):(\d{2})", text)
    return f"{int(match.group(1)):02d}:{match.group(2)}" if match else None


def schedules(item: dict[str, Any], where: str, notices: list[str]) -> tuple[ScheduleRecord, ...]:
    """The service's schedules and those given on its service-at-locations (HSDS 3.0 allows both), without repeats."""
    given = _listed(item.get("schedules"))
    for link in _listed(item.get("service_at_locations")):
        if isinstance(link, dict):
            given += _listed(link.get("schedules"))
    found: list[ScheduleRecord] = []
    for schedule in given:
        if isinstance(schedule, dict):
            found += [s for s in _schedule(schedule, where, notices) if s not in found]
    return tuple(found)


BYDAY = re.compile(r"^([+-]?\d)?(MO|TU|WE|TH|FR|SA|SU)$")


def _schedule(schedule: dict[str, Any], where: str, notices: list[str]) -> list[ScheduleRecord]:
    """One ORUK schedule (an RFC 5545 rule in fields) as sessions: one per day, week or day of the month it names."""
    freq = as_text(schedule.get("freq")).upper() or "WEEKLY"
    description = as_text(schedule.get("description"))[:255]
    days = [d.strip().upper() for d in as_text(schedule.get("byday")).split(",") if d.strip()]
    monthdays = [d.strip() for d in as_text(schedule.get("bymonthday")).split(",") if d.strip()]
    interval = schedule.get("interval")
    interval = int(interval) if isinstance(interval, int | float) and not isinstance(interval, bool) else 1
    ext: dict[str, Any] = schedule[EXTENSION] if isinstance(schedule.get(EXTENSION), dict) else {}
    dates = {
        k: _iso_date(schedule.get(k), f"{where}: schedule {k}", notices) for k in ("dtstart", "valid_from", "valid_to")
    }
    if dates["valid_from"] and dates["valid_to"] and dates["valid_to"] < dates["valid_from"]:
        notices.append(f"{where}: a schedule valid to {dates['valid_to']}, before it starts; its end was left out")
        dates["valid_to"] = None
    interval = interval if 1 <= interval <= 52 else 1
    skipped = (_iso_date(x, f"{where}: except date", notices) for x in _listed(ext.get("except_dates")))
    common = ScheduleRecord(
        opens_at=_hhmm(schedule.get("opens_at")), closes_at=_hhmm(schedule.get("closes_at")),
        description=description, interval=interval, dtstart=dates["dtstart"], valid_from=dates["valid_from"],
        valid_to=dates["valid_to"], except_dates=tuple(d for d in skipped if d),
    )  # fmt: skip
    if freq not in ("WEEKLY", "MONTHLY") or not (days or (freq == "MONTHLY" and monthdays)):
        return [ScheduleRecord(by_appointment=True, description=description)]
    if interval > 1 and not (dates["dtstart"] or dates["valid_from"]):
        every = f"every {interval} {freq.lower()[:-2]}s"
        notices.append(f"{where}: a session {every} with no start date to count from is kept as a note")
        return [ScheduleRecord(by_appointment=True, description=description or every.capitalize())]
    found: list[ScheduleRecord] = []
    for day in days:
        match = BYDAY.match(day)
        if not match:
            notices.append(f"{where}: {day!r} is not a day; that session was left out")
            continue
        week = int(match.group(1)) if match.group(1) and freq == "MONTHLY" else None
        if week is not None and week not in (1, 2, 3, 4, 5, -1):
            notices.append(f"{where}: {day!r} is not a week of the month this directory keeps; left out")
            continue
        if freq == "MONTHLY" and week is None and interval > 1:
            notices.append(f"{where}: every {day} in every {interval} months cannot be kept; left out")
            continue
        # Every Tuesday of every month is every Tuesday: a weekly session.
        rule = "MONTHLY" if week is not None else "WEEKLY"
        found.append(replace(common, byday=match.group(2), week_of_month=week, freq=rule))
    if freq == "MONTHLY" and not days:
        for text in monthdays:
            number = int(text) if re.fullmatch(r"-?\d{1,2}", text) else 0
            if not (1 <= number <= 31 or number == -1):
                notices.append(f"{where}: {text!r} is not a day of the month; that session was left out")
                continue
            found.append(replace(common, freq="MONTHLY", bymonthday=number))
    return found


def _iso_date(value: Any, what: str, notices: list[str]) -> str | None:
    text = as_text(value)[:10]
    if not text:
        return None
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        notices.append(f"{what} {as_text(value)!r} is not a date; left out")
        return None
