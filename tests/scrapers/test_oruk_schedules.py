"""scrapers.oruk: ORUK schedules (RFC 5545 rules in fields) become sessions, monthly ones included, and those
given on a service-at-location count too; what cannot be kept is named in a notice, never silently dropped."""

from __future__ import annotations

import json
from typing import Any

from scrapers.base import ScheduleRecord
from scrapers.oruk import EXTENSION, OrukImporter
from tests.scrapers.oruk_payloads import full_service


def parsed(schedules: list[dict[str, Any]], *, on_location: list[dict[str, Any]] | None = None) -> Any:
    service = full_service(1)
    service["schedules"] = schedules
    if on_location is not None:
        service["service_at_locations"][0]["schedules"] = on_location
    return OrukImporter().parse(json.dumps(service).encode())


def test_monthly_nth_weekday_rules_become_monthly_sessions() -> None:
    result = parsed(
        [
            {"id": "s1", "freq": "MONTHLY", "byday": "1TU", "opens_at": "10:00", "closes_at": "12:00"},
            {"id": "s2", "freq": "monthly", "byday": "-1FR", "opens_at": "14:00:00"},
            {"id": "s3", "freq": "MONTHLY", "byday": "2WE,4WE", "description": "Coffee morning"},
        ]
    )
    [record] = result.records
    rules = [(s.freq, s.byday, s.week_of_month, s.opens_at, s.by_appointment) for s in record.schedules]
    assert rules == [
        ("MONTHLY", "TU", 1, "10:00", False),
        ("MONTHLY", "FR", -1, "14:00", False),
        ("MONTHLY", "WE", 2, None, False),
        ("MONTHLY", "WE", 4, None, False),
    ]
    assert not [n for n in result.notices if "note" in n]


def test_month_days_intervals_and_dates_are_kept() -> None:
    result = parsed(
        [
            {"id": "a", "freq": "MONTHLY", "bymonthday": "15,-1", "valid_from": "2027-01-01", "valid_to": "2027-12-31"},
            {"id": "b", "freq": "WEEKLY", "interval": 2, "byday": "MO", "dtstart": "2026-11-30",
             EXTENSION: {"except_dates": ["2026-12-28", "not a date"]}},
        ]
    )  # fmt: skip
    [record] = result.records
    assert record.schedules[:2] == (
        ScheduleRecord(freq="MONTHLY", bymonthday=15, valid_from="2027-01-01", valid_to="2027-12-31"),
        ScheduleRecord(freq="MONTHLY", bymonthday=-1, valid_from="2027-01-01", valid_to="2027-12-31"),
    )
    fortnightly = record.schedules[2]
    assert (fortnightly.interval, fortnightly.dtstart, fortnightly.except_dates) == (2, "2026-11-30", ("2026-12-28",))
    assert any("'not a date' is not a date" in n for n in result.notices)


def test_schedules_on_a_service_at_location_are_imported_once() -> None:
    weekly = {"id": "w", "freq": "WEEKLY", "byday": "TH", "opens_at": "18:00", "closes_at": "20:00"}
    result = parsed([weekly], on_location=[{**weekly, "id": "w2"}, {"id": "m", "freq": "MONTHLY", "byday": "3SA"}])
    [record] = result.records
    assert [(s.byday, s.week_of_month) for s in record.schedules] == [("TH", None), ("SA", 3)]


def test_what_cannot_be_kept_is_named() -> None:
    result = parsed(
        [
            {"id": "x", "freq": "WEEKLY", "interval": 3, "byday": "MO"},  # every 3 weeks, from when?
            {"id": "y", "freq": "MONTHLY", "byday": "7TU"},
            {"id": "z", "freq": "MONTHLY", "byday": "TU"},  # every Tuesday of the month: weekly
            {"id": "v", "freq": "WEEKLY", "byday": "MO", "valid_from": "2027-02-01", "valid_to": "2027-01-01"},
        ]
    )
    [record] = result.records
    assert record.schedules[0] == ScheduleRecord(by_appointment=True, description="Every 3 weeks")
    assert [(s.freq, s.byday) for s in record.schedules[1:]] == [("WEEKLY", "TU"), ("WEEKLY", "MO")]
    assert record.schedules[2].valid_to is None and record.schedules[2].valid_from == "2027-02-01"
    notices = " | ".join(result.notices)
    assert "every 3 weeks with no start date" in notices
    assert "'7TU' is not a week of the month" in notices
    assert "before it starts" in notices


def test_the_schedules_module_reads_the_same_extension_key() -> None:
    from scrapers import oruk_schedules

    assert oruk_schedules.EXTENSION == EXTENSION
