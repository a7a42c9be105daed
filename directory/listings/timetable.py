"""When a service's next sessions are, in words a client can act on."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from ..models import Schedule

_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def next_sessions(schedules: list[Schedule], now: datetime, count: int = 2) -> list[str]:
    """The next few weekly sessions from ``now``, e.g. "Tue 2 Dec, 10:00 to 12:00"."""
    upcoming: list[tuple[datetime, str]] = []
    for item in schedules:
        if item.by_appointment or item.byday not in _DAYS:
            continue
        ahead = (_DAYS.index(item.byday) - now.weekday()) % 7
        day: date = now.date() + timedelta(days=ahead)
        starts = datetime.combine(day, item.opens_at) if item.opens_at else datetime.combine(day, datetime.max.time())
        if item.closes_at and datetime.combine(day, item.closes_at) < now:
            day += timedelta(days=7)
            starts += timedelta(days=7)
        label = day.strftime("%a %-d %b")
        if item.opens_at:
            label += f", {item.opens_at.strftime('%H:%M')}"
        if item.closes_at:
            label += f" to {item.closes_at.strftime('%H:%M')}"
        upcoming.append((starts, label))
    labels = [label for _, label in sorted(upcoming)[:count]]
    if not labels and any(s.by_appointment for s in schedules):
        labels = ["By appointment"]
    return labels
