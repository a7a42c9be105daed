"""scrapers.ical: upcoming sessions from real iCalendar text, recurrences expanded."""

from __future__ import annotations

from datetime import datetime

import pytest

from scrapers.base import ParseFailed
from scrapers.ical import NO_FUTURE_EVENTS, ICalImporter, upcoming_sessions

NOW = datetime(2026, 3, 2, 9, 0)  # a Monday, UTC


def calendar(*events: str) -> bytes:
    body = "\r\n".join(events)
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//Groups//EN\r\n"
        "BEGIN:VTIMEZONE\r\nTZID:Europe/London\r\nBEGIN:STANDARD\r\nDTSTART:19701025T020000\r\n"
        "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0000\r\nEND:STANDARD\r\n"
        "BEGIN:DAYLIGHT\r\nDTSTART:19700329T010000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n"
        "TZOFFSETFROM:+0000\r\nTZOFFSETTO:+0100\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n"
        f"{body}\r\nEND:VCALENDAR\r\n"
    ).encode()


def event(uid: str, start: str, end: str, summary: str, extra: str = "") -> str:
    lines = [
        "BEGIN:VEVENT",
        f"UID:{uid}",
        "DTSTAMP:20260101T000000Z",
        f"DTSTART;TZID=Europe/London:{start}",
        f"DTEND;TZID=Europe/London:{end}",
        f"SUMMARY:{summary}",
    ]
    return "\r\n".join([*lines, *([extra] if extra else []), "END:VEVENT"])


WEEKLY = event("knit@x", "20260106T100000", "20260106T120000", "Knit and natter", "RRULE:FREQ=WEEKLY;BYDAY=TU")


def test_weekly_sessions_become_one_weekly_schedule_in_uk_time() -> None:
    result = ICalImporter(now=NOW, weeks=8).parse(calendar(WEEKLY))
    [record] = result.records
    # Across the clocks changing (29 March) the session stays at 10:00 local time.
    assert [(s.byday, s.opens_at, s.closes_at, s.description) for s in record.schedules or ()] == [
        ("TU", "10:00", "12:00", "Knit and natter")
    ]
    assert result.notices[0].startswith("8 sessions in the next 8 weeks, the first on 3 March 2026 10:00")


def test_cancelled_and_past_events_are_left_out() -> None:
    past = event("old@x", "20250101T100000", "20250101T110000", "Old")
    cancelled = event("c@x", "20260304T100000", "20260304T110000", "Cancelled", "STATUS:CANCELLED")
    one_off = event("o@x", "20260305T140000", "20260305T150000", "Open day")
    sessions = upcoming_sessions(calendar(past, cancelled, one_off), now=NOW, weeks=4)
    assert [s.summary for s in sessions] == ["Open day"]
    [record] = ICalImporter(now=NOW, weeks=4).parse(calendar(one_off)).records
    assert record.schedules is not None and record.schedules[0].description == "Open day (once, 5 March 2026)"


def test_no_future_events_is_evidence_not_a_record() -> None:
    past = event("old@x", "20250101T100000", "20250101T110000", "Old")
    result = ICalImporter(now=NOW, weeks=8).parse(calendar(past))
    assert result.records == []
    assert result.notices == [f"{NO_FUTURE_EVENTS}: the calendar has no sessions in the next 8 weeks"]


@pytest.mark.parametrize("payload", [b"not a calendar", b"BEGIN:VEVENT\r\nEND:VEVENT\r\n", b"\x00\xff"])
def test_malformed_icalendar_is_a_parse_failure(payload: bytes) -> None:
    with pytest.raises(ParseFailed):
        ICalImporter(now=NOW).parse(payload)


def test_a_rule_repeating_every_second_is_refused_quickly_in_little_memory() -> None:
    import tracemalloc

    bomb = calendar(event("bomb@x", "20260302T100000", "20260302T100001", "Again", "RRULE:FREQ=SECONDLY"))
    tracemalloc.start()
    try:
        with pytest.raises(ParseFailed, match="more than 5,000 sessions in the weeks read"):
            upcoming_sessions(bomb, now=NOW, weeks=8)  # 8 weeks of seconds: 4.8 million occurrences
        _size, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 100 * 1024 * 1024  # before: every occurrence expanded into a list


def test_a_busy_but_real_calendar_still_reads_every_session_in_the_window() -> None:
    daily = event("daily@x", "20260302T100000", "20260302T110000", "Drop in", "RRULE:FREQ=DAILY")
    sessions = upcoming_sessions(calendar(daily, WEEKLY), now=NOW, weeks=8)
    assert len(sessions) == 8 * 7 + 8  # every day's drop-in and every Tuesday's group, nothing past the window
    assert all(session.starts < datetime(2026, 4, 27, 9, 0) for session in sessions)


def test_monthly_and_fortnightly_calendar_sessions_keep_their_rhythm() -> None:
    first_tuesday = event(
        "m@x", "20260106T180000", "20260106T200000", "Carers' evening", "RRULE:FREQ=MONTHLY;BYDAY=1TU"
    )
    last_friday = event("l@x", "20260130T140000", "20260130T160000", "Memory cafe", "RRULE:FREQ=MONTHLY;BYDAY=-1FR")
    fortnightly = event("f@x", "20260302T100000", "20260302T110000", "Walk", "RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO")
    [record] = ICalImporter(now=NOW, weeks=10).parse(calendar(first_tuesday, last_friday, fortnightly)).records
    rules = [(s.byday, s.freq, s.interval, s.week_of_month, s.dtstart) for s in record.schedules or ()]
    assert rules == [
        ("MO", "WEEKLY", 2, None, "2026-03-02"),
        ("TU", "MONTHLY", 1, 1, None),
        ("FR", "MONTHLY", 1, -1, None),
    ]
    # One occurrence in a short window: the written rule still says monthly, so it is not a one-off.
    [short] = ICalImporter(now=NOW, weeks=4).parse(calendar(first_tuesday)).records
    assert [(s.freq, s.week_of_month, s.description) for s in short.schedules or ()] == [
        ("MONTHLY", 1, "Carers' evening")
    ]
