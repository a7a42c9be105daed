"""Import sources and their importers: the source of a name (made or brought up to date), the importer that reads
it, and the table that turns a source's terms into our categories."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from scrapers import importer_for
from scrapers.base import Importer
from scrapers.ical import ICalImporter
from scrapers.oruk import OrukImporter
from scrapers.spreadsheet import SpreadsheetImporter

from ..core.clock import utcnow
from ..core.db import DbSession
from ..models import TaxonomyTerm
from ..models.imports import ImportSource


class ImportError_(Exception):
    """A source cannot be set up (unknown kind, bad options)."""


def category_table(session: DbSession, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Term -> category code: every category's code and name (any case), then the source's own table."""
    table: dict[str, str] = {}
    for code, name in session.execute(select(TaxonomyTerm.code, TaxonomyTerm.name)):
        table[code.lower()] = code
        table[name.lower()] = code
    table.update({k.lower(): val for k, val in (extra or {}).items()})
    return table


def ensure_source(
    session: DbSession, *, name: str, kind: str, url: str = "", options: dict[str, Any] | None = None
) -> ImportSource:
    """The source with this name (its kind, address and options brought up to date), or a new one.

    Flushed so it has its id; the caller commits.
    """
    importer_for(kind)  # a KeyError names the kinds there are
    source = session.scalars(select(ImportSource).where(ImportSource.name == name)).first()
    if source is None:
        source = ImportSource(name=name, kind=kind, url=url, options=dict(options or {}))
        session.add(source)
    else:
        source.kind, source.url = kind, url or source.url
        if options is not None:
            source.options = {**(source.options or {}), **options}
    session.flush()
    return source


def make_importer(session: DbSession, source: ImportSource, config: dict[str, Any]) -> Importer:
    """An importer for ``source`` configured from its options and the app's settings."""
    options = source.options or {}
    common: dict[str, Any] = {
        "allow_private": bool(config.get("IMPORT_ALLOW_PRIVATE", False)),
        "timeout": float(config.get("IMPORT_TIMEOUT", 20)),
        "max_bytes": int(config.get("IMPORT_MAX_MB", 20)) * 1024 * 1024,
    }
    categories = category_table(session, options.get("category_map"))
    if source.kind == "oruk":
        return OrukImporter(categories, **common)
    if source.kind == "spreadsheet":
        return SpreadsheetImporter(options.get("mapping"), categories, **common)
    if source.kind == "ical":
        return ICalImporter(now=utcnow(), weeks=int(config.get("IMPORT_ICAL_WEEKS", 8)), **common)
    raise ImportError_(f"no importer for {source.kind!r}")
