"""Next-session dates from weekly, fortnightly and monthly rules: month ends, leap years, 4- and 5-Friday
months, holidays and valid from/to. The expected dates are read off a calendar by hand."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

import pytest

from directory.core.validation import schedules as clean_schedules
from directory.listings.snapshots import schedule_columns
from directory.listings.timetable import clock, describe, next_sessions, session_dates
from directory.models import Schedule


def session(**fields: Any) -> Schedule:
    """A Schedule row built the way the write path builds one: cleaned, then turned into columns."""
    values = {"opens_at": "10:00", "closes_at": "12:00", **fields}
    return Schedule(**schedule_columns(clean_schedules([values])[0]))


def dates(item: Schedule, start: date, end: date) -> list[str]:
    return [d.isoformat() for d in session_dates(item, start, end)]


def test_first_tuesday_after_this_months_has_passed_is_next_months() -> None:
    first_tuesday = session(byday="TU", week_of_month=1)
    # 1 December 2026 is a Tuesday; on Saturday 5 December the next first Tuesday is 5 January 2027.
    assert next_sessions([first_tuesday], datetime(2026, 12, 5, 9), 2) == [
        "Tue 5 Jan, 10am to midday",
        "Tue 2 Feb, 10am to midday",
    ]
    # On the day itself, before it ends, it is today's.
    assert next_sessions([first_tuesday], datetime(2026, 12, 1, 11, 30), 1) == ["Tue 1 Dec, 10am to midday"]
    # After it has ended, next month's.
    assert next_sessions([first_tuesday], datetime(2026, 12, 1, 12, 1), 1) == ["Tue 5 Jan, 10am to midday"]
    assert describe(first_tuesday) == "First Tuesday of the month, 10am to midday"


def test_last_friday_in_four_and_five_friday_months() -> None:
    last_friday = session(byday="FR", week_of_month=-1)
    # January 2027 has five Fridays (1, 8, 15, 22, 29); February 2027 four (5, 12, 19, 26).
    assert dates(last_friday, date(2027, 1, 1), date(2027, 3, 1)) == ["2027-01-29", "2027-02-26"]
    fifth_friday = session(byday="FR", week_of_month=5)
    # Only months with five Fridays have a fifth: January and April 2027, not February or March.
    assert dates(fifth_friday, date(2027, 1, 1), date(2027, 5, 1)) == ["2027-01-29", "2027-04-30"]
    assert describe(last_friday).startswith("Last Friday of the month")


def test_second_and_fourth_wednesday() -> None:
    both = [session(byday="WE", week_of_month=2), session(byday="WE", week_of_month=4)]
    # December 2026's Wednesdays: 2, 9, 16, 23, 30.
    assert next_sessions(both, datetime(2026, 12, 10, 8), 3) == [
        "Wed 23 Dec, 10am to midday",
        "Wed 13 Jan, 10am to midday",
        "Wed 27 Jan, 10am to midday",
    ]


def test_month_ends_and_leap_years() -> None:
    last_day = session(bymonthday=-1)
    assert dates(last_day, date(2028, 1, 15), date(2028, 4, 30)) == [
        "2028-01-31", "2028-02-29", "2028-03-31", "2028-04-30",
    ]  # fmt: skip
    assert dates(last_day, date(2027, 2, 1), date(2027, 3, 1)) == ["2027-02-28"]
    # The 31st happens only in months that have one: none is invented at the end of February or April.
    thirty_first = session(bymonthday=31)
    assert dates(thirty_first, date(2027, 1, 1), date(2027, 6, 1)) == ["2027-01-31", "2027-03-31", "2027-05-31"]
    assert describe(thirty_first).startswith("31st of the month")
    # 29 February 2028 is a Tuesday and the fifth Tuesday of that month.
    assert dates(session(byday="TU", week_of_month=5), date(2028, 1, 1), date(2028, 3, 31)) == ["2028-02-29"]


def test_fortnightly_counts_from_its_first_date() -> None:
    fortnightly = session(byday="MO", interval=2, dtstart="2026-11-30")
    assert next_sessions([fortnightly], datetime(2026, 12, 5), 3) == [
        "Mon 14 Dec, 10am to midday",
        "Mon 28 Dec, 10am to midday",
        "Mon 11 Jan, 10am to midday",
    ]
    assert describe(fortnightly) == "Every other Monday, 10am to midday"


def test_holidays_and_valid_from_to_are_kept_out() -> None:
    saturdays = session(byday="SA", except_dates="2026-12-26, 2027-01-02", valid_to="2027-01-16")
    assert dates(saturdays, date(2026, 12, 19), date(2027, 2, 1)) == ["2026-12-19", "2027-01-09", "2027-01-16"]
    later = session(byday="TH", valid_from="2027-01-07")
    assert next_sessions([later], datetime(2026, 12, 5), 1) == ["Thu 7 Jan, 10am to midday"]
    ended = session(byday="TH", valid_to="2026-12-01")
    assert next_sessions([ended], datetime(2026, 12, 5), 1) == []


def test_by_appointment_only_says_so_and_weekly_sessions_still_work() -> None:
    assert next_sessions([session(by_appointment=True)], datetime(2026, 12, 5)) == ["By appointment"]
    weekly = Schedule(byday="SA", opens_at=time(10), closes_at=time(12), by_appointment=False)
    # A row saved before rules existed (no freq, interval or dates) is a weekly session.
    assert next_sessions([weekly], datetime(2026, 12, 5, 9), 2) == [
        "Sat 5 Dec, 10am to midday",
        "Sat 12 Dec, 10am to midday",
    ]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"byday": "TU", "week_of_month": 6}, "Week of the month 6 is out of range"),
        ({"byday": "TU", "week_of_month": "x"}, "is not a whole number"),
        ({"week_of_month": 1}, "a week of the month needs a day"),
        ({"byday": "TU", "week_of_month": 1, "bymonthday": 3}, "not both"),
        ({"bymonthday": 32}, "Day of the month 32 is out of range"),
        ({"byday": "MO", "interval": 2}, "needs a first date"),
        ({"byday": "MO", "valid_from": "2027-02-01", "valid_to": "2027-01-01"}, "on or after"),
        ({"byday": "MO", "except_dates": "next tuesday"}, "is not a date"),
        ({"byday": "MO", "freq": "DAILY"}, "not a frequency"),
    ],
)
def test_a_bad_rule_is_refused_naming_the_session(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match="Session 1: ") as raised:
        clean_schedules([fields])
    assert message in str(raised.value)


def test_dates_off_are_told_in_words_not_as_iso_dates() -> None:
    holidays = session(byday="TU", except_dates="2027-01-01, 2026-12-29")
    assert describe(holidays) == "Tuesdays, 10am to midday, not on 29 Dec 2026 or 1 Jan 2027"
    assert describe(session(byday="TU", except_dates="2026-12-29")).endswith(", not on 29 Dec 2026")
    three = session(byday="TU", except_dates="2026-12-22, 2026-12-29, 2027-01-05")
    assert describe(three).endswith("not on 22 Dec 2026, 29 Dec 2026 or 5 Jan 2027")


def test_times_are_written_as_gov_uk_writes_them() -> None:
    said = [clock(time(h, m)) for h, m in ((0, 0), (0, 30), (9, 5), (10, 0), (12, 0), (12, 30), (17, 30), (23, 59))]
    assert said == ["midnight", "12:30am", "9:05am", "10am", "midday", "12:30pm", "5:30pm", "11:59pm"]
