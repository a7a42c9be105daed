"""Spreadsheets (CSV and XLSX), the way link workers keep their lists today.

Columns are mapped onto listing fields by a mapping ``{header: field}``: guessed from the headers
(:func:`guess_mapping`), confirmed by a person in the app or given as a JSON file on the command
line. Each row is validated on its own; a rejected row is named by its spreadsheet row number
(the header is row 1) with the reason.

XLSX files are read by openpyxl, which parses their XML through defusedxml when it is installed
(it is a dependency), so entity-expansion bombs are refused.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import zipfile
from collections.abc import Iterator, Mapping
from typing import Any

from rapidfuzz import fuzz, process

from . import http
from .base import (
    ContactRecord,
    FetchFailed,
    Importer,
    LocationRecord,
    OrganisationRecord,
    Parsed,
    ParseFailed,
    ParseResult,
    Rejected,
    ScheduleRecord,
    ServiceRecord,
    as_text,
    collect,
)

# Listing field -> header spellings seen in real lists (compared lower-case, punctuation as spaces).
FIELDS: dict[str, tuple[str, ...]] = {
    "external_id": ("id", "ref", "reference", "external id", "record id", "service id"),
    "name": ("name", "service", "service name", "group", "group name", "activity", "activity name", "title"),
    "organisation": ("organisation", "organization", "org", "provider", "run by", "organisation name"),
    "description": ("description", "about", "details", "what it is", "summary", "what they do"),
    "url": ("website", "url", "web", "link", "web address", "web site"),
    "email": ("email", "e mail", "email address"),
    "phone": ("phone", "telephone", "tel", "phone number", "contact number", "telephone number"),
    "venue": ("venue", "location", "place", "location name", "venue name"),
    "address_1": ("address", "address 1", "address line 1", "street", "venue address"),
    "city": ("town", "city", "town city"),
    "postcode": ("postcode", "post code", "postal code", "zip"),
    "categories": ("category", "categories", "need", "needs", "type", "theme"),
    "minimum_age": ("minimum age", "min age", "age from", "youngest"),
    "maximum_age": ("maximum age", "max age", "age to", "oldest"),
    "cost": ("cost", "price", "fee", "fees", "charge"),
    "day": ("day", "days", "day of week", "when"),
    "opens_at": ("start", "start time", "opens", "opens at", "from", "time from"),
    "closes_at": ("end", "end time", "closes", "closes at", "until", "time to"),
    "contact_name": ("contact", "contact name", "contact person"),
    "waiting_weeks": ("waiting time", "wait", "wait weeks", "waiting weeks", "waiting time weeks"),
}
IGNORE = ""  # a mapping value that means "leave this column out"
DAY_NAMES = {
    "mo": "MO", "mon": "MO", "monday": "MO", "tu": "TU", "tue": "TU", "tues": "TU", "tuesday": "TU",
    "we": "WE", "wed": "WE", "wednesday": "WE", "th": "TH", "thu": "TH", "thur": "TH", "thurs": "TH",
    "thursday": "TH", "fr": "FR", "fri": "FR", "friday": "FR", "sa": "SA", "sat": "SA", "saturday": "SA",
    "su": "SU", "sun": "SU", "sunday": "SU",
}  # fmt: skip
MAX_ROWS = 200_000
# Listings have about 30 fields; a sheet far wider is not a list of groups (a 20,000-column CSV would make a
# mapping page of tens of megabytes, and an XLSX can declare 16,384 columns in a few bytes).
MAX_COLUMNS = 200
PREVIEW_ROWS = 5


def _norm(header: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", header.lower()).split())


def guess_mapping(headers: list[str]) -> dict[str, str]:
    """Guess ``{header: field}`` from the headers: exact spellings first, then close ones.

    Each field is used at most once; headers that match nothing map to ``""`` (left out).
    """
    mapping = dict.fromkeys(headers, IGNORE)
    taken: set[str] = set()
    spellings = {spelling: name for name, options in FIELDS.items() for spelling in options}
    for header in headers:
        name = spellings.get(_norm(header))
        if name and name not in taken:
            mapping[header] = name
            taken.add(name)
    for header in headers:
        if mapping[header] or not _norm(header):
            continue
        found = process.extractOne(_norm(header), list(spellings), scorer=fuzz.token_sort_ratio, score_cutoff=86)
        if found and spellings[found[0]] not in taken:
            mapping[header] = spellings[found[0]]
            taken.add(spellings[found[0]])
    return mapping


def read_mapping(text: str) -> dict[str, str]:
    """A mapping file: a JSON object ``{"Spreadsheet header": "field"}``; checks the field names."""
    try:
        loaded = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"the mapping is not valid JSON: {exc}") from exc
    if not isinstance(loaded, dict):
        raise ValueError("the mapping must be a JSON object of header -> field")
    unknown = sorted({str(v) for v in loaded.values() if v and v not in FIELDS})
    if unknown:
        raise ValueError(f"unknown fields in the mapping: {', '.join(unknown)} (use: {', '.join(FIELDS)})")
    return {str(k): str(v or IGNORE) for k, v in loaded.items()}


def read_table(payload: bytes) -> tuple[list[str], list[list[str]]]:
    """Headers and rows of a CSV or XLSX payload, as text; ``ParseFailed`` if unreadable."""
    headers, rows = open_table(payload)
    return headers, list(rows)


def preview_table(payload: bytes) -> tuple[list[str], list[list[str]], int]:
    """Headers, the first rows and the number of rows: the whole file is read (so a fault anywhere is found
    now) but only ``PREVIEW_ROWS`` rows are kept, so memory stays flat however long the file."""
    headers, rows = open_table(payload)
    first: list[list[str]] = []
    count = 0
    for row in rows:
        count += 1
        if len(first) < PREVIEW_ROWS:
            first.append(row)
    return headers, first, count


def open_table(payload: bytes) -> tuple[list[str], Iterator[list[str]]]:
    """Headers, and the rows read one at a time as they are asked for (memory stays flat in rows).

    ``ParseFailed`` if the file is unreadable; a fault further down is raised when its row is reached.
    """
    rows = _narrow(_xlsx_rows(payload) if payload.startswith(b"PK\x03\x04") else _csv_rows(payload))
    for row in rows:
        if any(cell.strip() for cell in row):
            return [cell.strip() for cell in row], _capped(rows)
    raise ParseFailed("the spreadsheet is empty (no header row)")


def _capped(rows: Iterator[list[str]]) -> Iterator[list[str]]:
    for count, row in enumerate(rows, start=1):
        if count > MAX_ROWS:
            raise ParseFailed(f"the spreadsheet has more than {MAX_ROWS:,} rows")
        yield row


def _narrow(rows: Iterator[list[str]]) -> Iterator[list[str]]:
    """Rows, refusing the sheet at the first row wider than ``MAX_COLUMNS`` (trailing empty cells aside)."""
    for number, row in enumerate(rows, start=1):
        if len(row) > MAX_COLUMNS:
            while row and not row[-1].strip():
                row.pop()
            if len(row) > MAX_COLUMNS:
                raise ParseFailed(
                    f"row {number} has {len(row):,} columns; a list of groups has at most {MAX_COLUMNS} "
                    "(is this the right sheet?)"
                )
        yield row


def _csv_rows(payload: bytes) -> Iterator[list[str]]:
    if b"\x00" in payload[:4096]:
        raise ParseFailed("this is not a CSV file (it contains binary data)")
    for encoding in ("utf-8-sig", "cp1252"):
        if _decodes(payload, encoding):
            break
    else:  # pragma: no cover - cp1252 decodes almost anything; kept for the type checker
        raise ParseFailed("the CSV file's text encoding could not be read")
    sample = payload[:16384].decode(encoding, errors="ignore")[:4096]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    text = io.TextIOWrapper(io.BytesIO(payload), encoding=encoding, newline="")
    try:
        yield from csv.reader(text, dialect, strict=True)
    except csv.Error as exc:
        raise ParseFailed(f"the CSV file is malformed: {exc}") from exc


def _decodes(payload: bytes, encoding: str) -> bool:
    """Whether the whole payload is text in ``encoding``, checked a piece at a time (no second copy of it)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        for start in range(0, len(payload), 65536):
            decoder.decode(payload[start : start + 65536])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _xlsx_rows(payload: bytes) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(payload), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds (BadZipFile, KeyError, XML errors ...)
        raise ParseFailed(f"the XLSX file could not be read: {type(exc).__name__}: {exc}") from exc
    sheet = workbook.worksheets[0]
    # A sheet may declare any size (A1:XFD1048576) in a few bytes; reading by its stated size would pad every row
    # to 16,384 cells. Forget the stated size and read the cells that are there.
    sheet.reset_dimensions()
    try:
        for row in sheet.iter_rows(values_only=True):
            yield [_cell(value) for value in row]
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ParseFailed(f"the XLSX file could not be read: {exc}") from exc
    finally:
        workbook.close()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "strftime") and hasattr(value, "hour") and not hasattr(value, "year"):
        return str(value.strftime("%H:%M"))
    return str(value).strip()


def _time(value: str) -> str | None:
    text = value.strip().lower().replace(".", ":")
    if not text:
        return None
    match = re.match(r"^(\d{1,2})(?::(\d{2}))?(?::\d{2})?\s*(am|pm)?$", text)
    if not match:
        raise ValueError(f"{value!r} is not a time (use HH:MM)")
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if match.group(3) == "pm" and hour < 12:
        hour += 12
    if match.group(3) == "am" and hour == 12:
        hour = 0
    if hour > 23 or minute > 59:
        raise ValueError(f"{value!r} is not a time of day")
    return f"{hour:02d}:{minute:02d}"


WEEK_WORDS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4,
              "fifth": 5, "5th": 5, "last": -1}  # fmt: skip
MONTHLY_WORDS = re.compile(r"\b(?:of|in) (?:the|each|every) month\b|\bmonthly\b|\bof month\b")


def _days(value: str) -> list[tuple[int | None, str]]:
    """Days as (week of the month or None, MO..SU): "Tuesdays", "Mon & Thu", "first Tuesday of the month",
    "1st and 3rd Wednesday" (a week word counts for the next day named)."""
    days: list[tuple[int | None, str]] = []
    weeks: list[int | None] = []
    for part in re.split(r"[,;/&]|\band\b", MONTHLY_WORDS.sub(" ", value.lower())):
        words = part.split()
        while words and words[0] in WEEK_WORDS:
            weeks.append(WEEK_WORDS[words.pop(0)])
        part = " ".join(words)
        part = part.strip().rstrip("s") if part.strip() not in ("tues", "thurs") else part.strip()
        if not part:
            continue
        code = DAY_NAMES.get(part) or DAY_NAMES.get(part + "s")
        if code is None:
            raise ValueError(f"{part!r} is not a day of the week")
        for week in weeks or [None]:
            if (week, code) not in days:
                days.append((week, code))
        weeks = []
    if weeks:
        raise ValueError(f"{value!r} names a week of the month without its day")
    return days


def _external_id(values: dict[str, str]) -> str:
    if values.get("external_id"):
        return values["external_id"]
    key = "|".join(_norm(values.get(k, "")) for k in ("name", "organisation", "postcode"))
    return "row-key:" + key


class SpreadsheetImporter(Importer):
    """A CSV or XLSX list of services with a column mapping (guessed when not given)."""

    kind = "spreadsheet"
    label = "Spreadsheet (CSV or XLSX)"

    def __init__(
        self,
        mapping: Mapping[str, str] | None = None,
        category_map: Mapping[str, str] | None = None,
        *,
        allow_private: bool = False,
        max_bytes: int = http.DEFAULT_MAX_BYTES,
        timeout: float = http.DEFAULT_TIMEOUT,
    ) -> None:
        self.mapping = dict(mapping) if mapping is not None else None
        self.category_map = {k.lower(): v for k, v in (category_map or {}).items()}
        self.allow_private = allow_private
        self.max_bytes = max_bytes
        self.timeout = timeout

    def fetch(self, location: str) -> Iterator[bytes]:
        """Download a published spreadsheet (files on disk are read by the caller, not here)."""
        if not location.lower().startswith(("http://", "https://")):
            raise FetchFailed(f"{location}: a spreadsheet source must be an http(s) address.")
        yield http.fetch(
            location, allow_private=self.allow_private, max_bytes=self.max_bytes, timeout=self.timeout
        ).body

    def parse(self, payload: bytes) -> ParseResult:
        """Validate every row; a rejected row is named with its row number and reason."""
        return collect(self.stream(payload))

    def stream(self, payload: bytes) -> Iterator[Parsed]:
        """Each row in turn: a record, or a rejected row with its row number and reason, and notices."""
        headers, rows = open_table(payload)
        mapping = self.mapping if self.mapping is not None else guess_mapping(headers)
        missing_headers = [h for h, f in mapping.items() if f and h not in headers]
        if missing_headers:
            raise ParseFailed(f"the mapping names columns the file does not have: {', '.join(missing_headers)}")
        if "name" not in mapping.values():
            raise ParseFailed(
                "no column is mapped to the service name; headers found: " + ", ".join(h for h in headers if h)
            )
        columns = {field: headers.index(header) for header, field in mapping.items() if field}
        first_seen: dict[str, int] = {}
        notices: list[str] = []
        for number, row in enumerate(rows, start=2):
            if not any(cell.strip() for cell in row):
                continue
            values = {field: (row[index].strip() if index < len(row) else "") for field, index in columns.items()}
            where = f"row {number}"
            try:
                record: ServiceRecord | Rejected = self._record(values, where, notices)
            except ValueError as exc:
                record = Rejected(where, str(exc))
            yield from notices
            notices.clear()
            if isinstance(record, Rejected):
                yield record
                continue
            if record.external_id in first_seen:
                yield Rejected(where, f"the same listing as row {first_seen[record.external_id]} (a duplicate row)")
                continue
            first_seen[record.external_id] = number
            yield record

    def _record(self, values: dict[str, str], where: str, notices: list[str]) -> ServiceRecord:
        name = values.get("name", "")
        if not name:
            raise ValueError("the service name is empty")
        categories: list[str] = []
        unmapped: list[str] = []
        for term in re.split(r"[;,|]", values.get("categories", "")):
            term = term.strip()
            if not term:
                continue
            code = self.category_map.get(term.lower())
            if code is None:
                unmapped.append(term)
            elif code not in categories:
                categories.append(code)
        if unmapped:
            notices.append(f"{where}: categories not recognised, left off: {', '.join(unmapped)}")
        schedules: tuple[ScheduleRecord, ...] | None = None
        if "day" in values or "opens_at" in values:
            opens = _time(values.get("opens_at", ""))
            closes = _time(values.get("closes_at", ""))
            days = _days(values.get("day", ""))
            if (opens or closes) and not days:
                raise ValueError("a session time is given without a day")
            schedules = tuple(
                ScheduleRecord(
                    byday=d, opens_at=opens, closes_at=closes, week_of_month=w, freq="MONTHLY" if w else "WEEKLY"
                )
                for w, d in days
            )
        cost = values.get("cost", "")
        organisation = values.get("organisation") or name
        location = LocationRecord(
            name=values.get("venue", ""),
            address_1=values.get("address_1", ""),
            city=values.get("city", ""),
            postcode=values.get("postcode") or None,
        )
        waiting: int | None = None
        if values.get("waiting_weeks"):
            match = re.match(r"^\s*(\d{1,3})\b", values["waiting_weeks"])
            if not match:
                raise ValueError(f"waiting time {values['waiting_weeks']!r} is not a number of weeks")
            waiting = int(match.group(1))
        return ServiceRecord(
            external_id=_external_id(values),
            name=name,
            where=where,
            organisation=OrganisationRecord(name=organisation),
            description=values.get("description") if "description" in values else None,
            url=values.get("url") or None if "url" in values else None,
            email=values.get("email") or None if "email" in values else None,
            phone=values.get("phone") or None if "phone" in values else None,
            minimum_age=_int(values.get("minimum_age"), "minimum age"),
            maximum_age=_int(values.get("maximum_age"), "maximum age"),
            is_free=(not cost or cost.strip().lower() in ("free", "0", "£0", "no charge", "none"))
            if "cost" in values
            else None,
            cost_description=cost if cost.strip().lower() not in ("free", "") else ("" if "cost" in values else None),
            categories=tuple(sorted(categories)) if "categories" in values else None,
            unmapped_terms=tuple(unmapped),
            locations=(location,)
            if any(as_text(v) for v in (location.name, location.address_1, location.postcode))
            else None,
            schedules=schedules,
            contacts=(ContactRecord(name=values["contact_name"]),) if values.get("contact_name") else None,
            waiting_weeks=waiting,
        )


def _int(value: str | None, label: str) -> int | None:
    if not value:
        return None
    try:
        return int(float(value))
    except ValueError:
        raise ValueError(f"{label} {value!r} is not a number") from None
