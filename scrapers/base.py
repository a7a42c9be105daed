"""The shape every importer has, and the plain records it produces.

An importer fetches a payload (bytes) from somewhere and parses it into :class:`ServiceRecord`
values. Parsing is pure: it takes bytes and returns records, rejects and notices, so it is tested
on bytes alone. Nothing here knows about Flask or the database: ``directory.imports`` writes the
records through the directory's one write path.

Failure is data: a bad row becomes a :class:`Rejected` naming where it was and why; a dead or
malformed source raises :class:`FetchFailed` (or :class:`ParseFailed`) with a message naming the
input, and the caller records it and changes nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, TypeAlias


class FetchFailed(Exception):
    """The source could not be fetched (down, slow, refused, too big, redirect loop ...)."""


class ParseFailed(Exception):
    """The whole payload is unreadable (malformed JSON, CSV, iCalendar or XML)."""


@dataclass(frozen=True)
class OrganisationRecord:
    """An organisation as a source describes it."""

    name: str
    external_id: str = ""
    description: str = ""
    website: str | None = None
    email: str | None = None
    phone: str | None = None
    charity_number: str | None = None
    sector: str | None = None


@dataclass(frozen=True)
class LocationRecord:
    """A place a service runs: what the directory's ``locations`` field takes."""

    name: str = ""
    address_1: str = ""
    city: str = ""
    postcode: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    accessibility: tuple[str, ...] = ()  # what the place offers, in words ("Step-free entrance")
    # The areas the feed says the place is in (this directory's own export gives them): used when the
    # directory cannot place it from its own postcode table.
    lsoa_code: str | None = None
    lad_code: str | None = None


@dataclass(frozen=True)
class ScheduleRecord:
    """A recurring session (``byday`` is MO..SU, times ``HH:MM``, dates ``YYYY-MM-DD``) or a by-appointment note.

    ``freq`` is WEEKLY or MONTHLY, every ``interval`` weeks or months; a monthly session falls on the
    ``week_of_month``-th ``byday`` (1..5, -1 the last: RRULE BYDAY=1TU, -1FR) or on day ``bymonthday``.
    """

    byday: str | None = None
    opens_at: str | None = None
    closes_at: str | None = None
    by_appointment: bool = False
    description: str = ""
    freq: str = "WEEKLY"
    interval: int = 1
    week_of_month: int | None = None
    bymonthday: int | None = None
    dtstart: str | None = None
    valid_from: str | None = None
    valid_to: str | None = None
    except_dates: tuple[str, ...] = ()


@dataclass(frozen=True)
class ContactRecord:
    """A named contact for a service."""

    name: str = ""
    title: str = ""
    phone: str = ""
    email: str = ""


@dataclass(frozen=True)
class ServiceRecord:
    """One listing from a source. ``None`` means "the source does not say": leave it alone.

    ``where`` names the record in the payload for reports ("row 7", "service 3f7b...").
    ``categories`` are already mapped onto the directory's category codes; terms that could not
    be mapped are kept in ``unmapped_terms`` so the report can name them.
    """

    external_id: str
    name: str
    where: str = ""
    organisation: OrganisationRecord | None = None
    description: str | None = None
    url: str | None = None
    email: str | None = None
    phone: str | None = None
    status: str | None = None
    minimum_age: int | None = None
    maximum_age: int | None = None
    gender: str | None = None
    eligibility_conditions: str | None = None
    is_free: bool | None = None
    cost_description: str | None = None
    referral_routes: tuple[str, ...] | None = None
    referral_form_url: str | None = None
    languages: tuple[str, ...] | None = None
    accessibility: tuple[str, ...] | None = None
    delivery_modes: tuple[str, ...] | None = None
    capacity: str | None = None
    funding_status: str | None = None
    funder: str | None = None
    funded_until: str | None = None
    assured_date: str | None = None
    categories: tuple[str, ...] | None = None
    unmapped_terms: tuple[str, ...] = ()
    service_areas: tuple[str, ...] | None = None
    locations: tuple[LocationRecord, ...] | None = None
    schedules: tuple[ScheduleRecord, ...] | None = None
    contacts: tuple[ContactRecord, ...] | None = None
    waiting_weeks: int | None = None
    waiting_reported_at: str | None = None
    last_modified: str | None = None

    def checksum(self) -> str:
        """A stable digest of the record's content (not of where it sat in the payload)."""
        # The repr of frozen dataclasses of plain values is stable and much faster than asdict + JSON.
        text = repr(replace(self, where="", last_modified=None))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Rejected:
    """A record that was not imported: where it was in the payload and why.

    ``external_id`` is the source's id for it when known: the source still publishes that listing (its detail
    failed, or it broke a rule), so it is not "removed from the source".
    """

    where: str
    reason: str
    external_id: str = ""


@dataclass
class ParseResult:
    """What ``parse`` found in one payload."""

    records: list[ServiceRecord] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


@dataclass
class RunResult:
    """What one run did: counts, every rejected record with its reason, and notices."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    held: int = 0  # offered to staff as possible duplicates instead of being created
    removed: int = 0  # listings the source gave before and not this time (not among the items seen)
    rejected: list[Rejected] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    failure: str | None = None  # the whole run failed: nothing was changed
    skipped: bool = False  # the payload was the same as last time

    @property
    def seen(self) -> int:
        return self.created + self.updated + self.unchanged + self.held + len(self.rejected)

    def summary(self) -> str:
        """One line for a terminal or a log."""
        if self.failure:
            return f"Failed, nothing changed: {self.failure}"
        if self.skipped:
            return "Unchanged since the last run: skipped."
        return (
            f"{self.seen} items: {self.created} new, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.held} held as possible duplicates, {len(self.rejected)} rejected; "
            f"{self.removed} removed from the source."
        )


# What a streaming parse yields, in payload order: a record, a rejected record, or a notice (a str).
Parsed: TypeAlias = ServiceRecord | Rejected | str


def digest(payload: bytes) -> str:
    """SHA-256 of a payload, so an unchanged source can be skipped."""
    return hashlib.sha256(payload).hexdigest()


class Importer:
    """Base shape of an importer: a ``kind``, ``fetch`` (network) and ``parse`` (pure).

    ``fetch`` yields payloads (one for a file, one per service for a paged feed) so memory stays
    flat however big the source; ``parse`` turns one payload into records.
    """

    kind: ClassVar[str] = ""
    label: ClassVar[str] = ""

    def fetch(self, location: str) -> Iterator[bytes]:
        """Yield the payloads at ``location``; raise :class:`FetchFailed` naming the problem."""
        raise NotImplementedError

    def parse(self, payload: bytes) -> ParseResult:
        """Turn one payload into records; raise :class:`ParseFailed` if it is unreadable."""
        raise NotImplementedError

    def stream(self, payload: bytes) -> Iterator[Parsed]:
        """Parse one payload lazily: records, rejects and notices one at a time, in payload order.

        A payload of many records (a spreadsheet) then never has all its records in memory at once.
        Importers that can read lazily override this; by default it is :meth:`parse` at once.
        ``ParseFailed`` may be raised part-way: the caller then keeps nothing of the payload.
        """
        result = self.parse(payload)
        yield from result.notices
        yield from result.rejected
        yield from result.records


def collect(items: Iterator[Parsed]) -> ParseResult:
    """A :class:`ParseResult` gathered from a :meth:`Importer.stream`."""
    result = ParseResult()
    for item in items:
        if isinstance(item, ServiceRecord):
            result.records.append(item)
        elif isinstance(item, Rejected):
            result.rejected.append(item)
        else:
            result.notices.append(item)
    return result


def as_text(value: Any) -> str:
    """A source value as stripped text ("" for missing)."""
    if value is None:
        return ""
    return str(value).strip()
