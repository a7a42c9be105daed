"""Importers of outside listings: fetch and parse into plain records; no Flask, no database.

``IMPORTERS`` is the registry: a source's ``kind`` names the importer class that reads it.
"""

from __future__ import annotations

from .base import (
    ContactRecord,
    FetchFailed,
    Importer,
    LocationRecord,
    OrganisationRecord,
    ParseFailed,
    ParseResult,
    Rejected,
    RunResult,
    ScheduleRecord,
    ServiceRecord,
)
from .ical import ICalImporter
from .oruk import OrukImporter
from .spreadsheet import SpreadsheetImporter

IMPORTERS: dict[str, type[Importer]] = {
    OrukImporter.kind: OrukImporter,
    SpreadsheetImporter.kind: SpreadsheetImporter,
    ICalImporter.kind: ICalImporter,
}


def importer_for(kind: str) -> type[Importer]:
    """The importer class for a source kind; ``KeyError`` names the kinds there are."""
    try:
        return IMPORTERS[kind]
    except KeyError:
        raise KeyError(f"no importer for {kind!r}; there are: {', '.join(sorted(IMPORTERS))}") from None


__all__ = [
    "IMPORTERS",
    "ContactRecord",
    "FetchFailed",
    "ICalImporter",
    "Importer",
    "LocationRecord",
    "OrganisationRecord",
    "OrukImporter",
    "ParseFailed",
    "ParseResult",
    "Rejected",
    "RunResult",
    "ScheduleRecord",
    "ServiceRecord",
    "SpreadsheetImporter",
    "importer_for",
]
