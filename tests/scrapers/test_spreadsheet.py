"""scrapers.spreadsheet: CSV and XLSX on bytes, mapping guessed from headers, every bad row named."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import Workbook

from scrapers.base import ParseFailed, ServiceRecord
from scrapers.spreadsheet import SpreadsheetImporter, guess_mapping, preview_table, read_mapping, read_table

CATEGORIES = {"arts and crafts": "arts-crafts", "arts-crafts": "arts-crafts", "money": "money-debt"}
CSV = (
    "Group name,Run by,Post code,Category,Day,Start time,End time,Cost,Telephone\n"
    "Knit and natter,Blackpool Crafters,FY1 1PX,Arts and crafts,Tuesday,10am,12:00,Free,01253 000000\n"
    ",Nobody,FY1 1PX,,,,,,\n"
    "Walking group,Ramblers,FY1 1PX,Exercise,Funday,10:00,11:00,£2,\n"
    "Knit and natter,Blackpool Crafters,FY1 1PX,Arts and crafts,Tuesday,10am,12:00,Free,\n"
    "Debt advice,Citizens Advice,FY1 1PX,money; unknown thing,Mon & Wed,9.30,4pm,,\n"
)


def test_the_mapping_is_guessed_from_the_headers() -> None:
    headers = ["Group name", "Run by", "Post code", "Category", "Day", "Start time", "Misc", "E-mail"]
    assert guess_mapping(headers) == {
        "Group name": "name",
        "Run by": "organisation",
        "Post code": "postcode",
        "Category": "categories",
        "Day": "day",
        "Start time": "opens_at",
        "Misc": "",
        "E-mail": "email",
    }


def test_every_rejected_row_is_named_with_its_reason() -> None:
    result = SpreadsheetImporter(category_map=CATEGORIES).parse(CSV.encode())
    assert [r.name for r in result.records] == ["Knit and natter", "Debt advice"]
    assert [(r.where, r.reason) for r in result.rejected] == [
        ("row 3", "the service name is empty"),
        ("row 4", "'funday' is not a day of the week"),
        ("row 5", "the same listing as row 2 (a duplicate row)"),
    ]
    knit, debt = result.records
    assert knit.organisation is not None and knit.organisation.name == "Blackpool Crafters"
    assert knit.categories == ("arts-crafts",) and knit.is_free is True and knit.phone == "01253 000000"
    assert [(s.byday, s.opens_at, s.closes_at) for s in knit.schedules or ()] == [("TU", "10:00", "12:00")]
    assert [(s.byday, s.opens_at, s.closes_at) for s in debt.schedules or ()] == [
        ("MO", "09:30", "16:00"),
        ("WE", "09:30", "16:00"),
    ]
    assert "row 6: categories not recognised, left off: unknown thing" in result.notices


def test_a_given_mapping_is_used_and_checked() -> None:
    mapping = read_mapping('{"Group name": "name", "Post code": "postcode", "Run by": ""}')
    [first, *_] = SpreadsheetImporter(mapping).parse(CSV.encode()).records
    assert first.organisation is not None and first.organisation.name == "Knit and natter"
    with pytest.raises(ValueError, match="unknown fields in the mapping: nom"):
        read_mapping('{"Group name": "nom"}')
    with pytest.raises(ParseFailed, match="does not have: Nope"):
        SpreadsheetImporter({"Nope": "name"}).parse(CSV.encode())


def test_a_sheet_without_a_name_column_fails_naming_its_headers() -> None:
    with pytest.raises(ParseFailed, match="no column is mapped to the service name; headers found: Colour, Size"):
        SpreadsheetImporter().parse(b"Colour,Size\nred,9\n")


def test_xlsx_is_read_like_csv() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Service name", "Organisation", "Postcode", "Minimum age"])
    sheet.append(["Men's shed", "Shed Trust", "BB11 1JA", 50])
    sheet.append(["", "", "", ""])
    sheet.append(["Choir", "Sing Out", "BB11 1JA", "old"])
    buffer = io.BytesIO()
    book.save(buffer)
    result = SpreadsheetImporter().parse(buffer.getvalue())
    assert [(r.name, r.minimum_age) for r in result.records] == [("Men's shed", 50)]
    assert [(r.where, r.reason) for r in result.rejected] == [("row 4", "minimum age 'old' is not a number")]


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"", "empty"),
        (b"\x00\x01\x02binary", "binary"),
        (b'name,place\n"unterminated,FY1\n', "malformed"),
        (b"PK\x03\x04not really a zip", "XLSX file could not be read"),
    ],
)
def test_malformed_files_fail_with_a_clear_message(payload: bytes, message: str) -> None:
    with pytest.raises(ParseFailed, match=message):
        SpreadsheetImporter().parse(payload)


def test_an_xlsx_with_an_xml_bomb_is_refused() -> None:
    """openpyxl reads XLSX XML through defusedxml: entity expansion is refused, not expanded."""
    buffer = io.BytesIO()
    book = Workbook()
    book.save(buffer)
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>&lol2;</t></is></c></row></sheetData></worksheet>'
    )
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = bomb.encode() if item.filename == "xl/worksheets/sheet1.xml" else source.read(item)
            target.writestr(item, data)
    with pytest.raises(ParseFailed, match="could not be read"):
        SpreadsheetImporter().parse(out.getvalue())


def test_rows_are_read_one_at_a_time_in_order_and_a_fault_further_down_stops_there() -> None:
    """``stream`` gives each row as it is read (records, rejects and notes in row order), never the file at once."""
    items = SpreadsheetImporter(category_map=CATEGORIES).stream(CSV.encode())
    first = next(items)
    assert isinstance(first, ServiceRecord) and first.where == "row 2"
    following = [(type(i).__name__, getattr(i, "where", i)) for i in items]
    assert following == [
        ("Rejected", "row 3"),
        ("str", "row 4: categories not recognised, left off: Exercise"),
        ("Rejected", "row 4"),
        ("Rejected", "row 5"),
        ("str", "row 6: categories not recognised, left off: unknown thing"),
        ("ServiceRecord", "row 6"),
    ]
    broken = SpreadsheetImporter().stream(b'Name\nFirst group\nSecond group\n"never closed\n')
    assert [i.name for i in (next(broken), next(broken)) if isinstance(i, ServiceRecord)] == [
        "First group",
        "Second group",
    ]
    with pytest.raises(ParseFailed, match="the CSV file is malformed"):
        next(broken)


def test_an_xlsx_is_streamed_row_by_row_too() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Group name", "Post code"])
    for n in range(1, 4):
        sheet.append([f"Group {n}", "FY1 1PX"])
    out = io.BytesIO()
    book.save(out)
    items = SpreadsheetImporter().stream(out.getvalue())
    assert [(i.where, i.name) for i in items if isinstance(i, ServiceRecord)] == [
        ("row 2", "Group 1"),
        ("row 3", "Group 2"),
        ("row 4", "Group 3"),
    ]


def _far_corners_xlsx() -> bytes:
    """A sheet of two cells at opposite corners: it declares A1:XFD1048576 in about 1.5 KB."""
    book = Workbook()
    sheet = book.active
    sheet["A1"] = "Name"
    sheet["XFD1048576"] = "far"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_sheet_declaring_every_cell_is_refused_quickly_in_little_memory() -> None:
    import tracemalloc

    payload = _far_corners_xlsx()
    assert len(payload) < 10_000
    tracemalloc.start()
    try:
        with pytest.raises(ParseFailed, match="more than 200,000 rows|columns"):
            read_table(payload)
        _size, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 50 * 1024 * 1024, f"peak {peak:,} bytes"  # before: padded rows of 16,384 cells, gigabytes


def test_a_sheet_wider_than_any_list_of_groups_is_refused_naming_the_row() -> None:
    wide = ",".join(f"col{n}" for n in range(20_000)).encode() + b"\n" + b"x," * 19_999 + b"x\n"
    with pytest.raises(ParseFailed, match="row 1 has 20,000 columns; a list of groups has at most 200"):
        read_table(wide)
    book = Workbook()
    book.active["A1"], book.active["A2"], book.active["ZZ2"] = "Name", "Knit", "stray"
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(ParseFailed, match="row 2 has 702 columns"):
        read_table(out.getvalue())


def test_trailing_empty_columns_do_not_count_and_a_preview_keeps_only_the_first_rows() -> None:
    rows = "Name,Postcode" + "," * 300 + "\n" + "\n".join(f"Group {n},FY1 1AA" for n in range(50)) + "\n"
    headers, first, count = preview_table(rows.encode())
    assert headers[:2] == ["Name", "Postcode"] and count == 50
    assert [row[0] for row in first] == [f"Group {n}" for n in range(5)]


@pytest.mark.parametrize(
    ("day", "sessions"),
    [
        ("First Tuesday of the month", [(1, "TU")]),
        ("last Friday of each month", [(-1, "FR")]),
        ("1st and 3rd Wednesday", [(1, "WE"), (3, "WE")]),
        ("2nd Wed & 4th Wed", [(2, "WE"), (4, "WE")]),
        ("Mondays and Thursdays", [(None, "MO"), (None, "TH")]),
    ],
)
def test_a_monthly_day_in_words_becomes_a_monthly_session(day: str, sessions: list[tuple[int | None, str]]) -> None:
    sheet = f"Group name,Day,Start time\nMemory cafe,{day},10:00\n"
    [record] = SpreadsheetImporter().parse(sheet.encode()).records
    got = [(s.week_of_month, s.byday, s.freq) for s in record.schedules or ()]
    assert got == [(w, d, "MONTHLY" if w else "WEEKLY") for w, d in sessions]


def test_a_week_of_the_month_without_a_day_is_named() -> None:
    result = SpreadsheetImporter().parse(b"Group name,Day\nMemory cafe,first of the month\n")
    assert [r.reason for r in result.rejected] == ["'first of the month' names a week of the month without its day"]
