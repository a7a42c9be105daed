"""Loading the official postcode directory into the postcode table that search measures from."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from geo.readers.postcodes import read_postcodes

from ..core.db import DbSession
from ..models import Location, Postcode

BATCH = 10_000


@dataclass
class PostcodeImport:
    source_kind: str
    read: int = 0
    added: int = 0
    updated: int = 0
    without_point: int = 0
    locations_placed: int = 0

    def __str__(self) -> str:
        return (
            f"Read {self.read:,} live postcodes ({self.source_kind}): {self.added:,} added, "
            f"{self.updated:,} updated, {self.without_point:,} skipped for having no coordinates; "
            f"{self.locations_placed:,} listing locations placed."
        )


def _upsert(session: DbSession, rows: list[dict[str, Any]]) -> None:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(Postcode)
    statement = statement.on_conflict_do_update(
        index_elements=[Postcode.postcode_key],
        set_={c: getattr(statement.excluded, c) for c in ("pcds", "latitude", "longitude", "lsoa_code", "lad_code")},
    )
    # A list of parameter sets runs as one prepared statement many times (executemany): fast on both backends.
    session.execute(statement, rows)


def import_postcodes(
    session: DbSession,
    path: str | Path,
    *,
    areas: Iterable[str] = (),
    lsoa_edition: Literal["2011", "2021"] | None = "2011",
    progress: Callable[[int], Any] = lambda _n: None,
) -> PostcodeImport:
    """Read an official postcode file (ONSPD, NSPL, ONS lookups, Code-Point Open) and upsert it.

    All or nothing: nothing is committed here, so the caller commits once and a failure part-way leaves the table
    as it was.
    Terminated postcodes are not loaded. ``progress`` is called with each batch's size.
    """
    frame = read_postcodes(path, lad_codes=list(areas) or None, lsoa_edition=lsoa_edition)
    report = PostcodeImport(source_kind=str(frame.attrs.get("source_kind", "postcode file")), read=len(frame))
    located = frame.dropna(subset=["lat", "long"])
    report.without_point = len(frame) - len(located)
    existing = set(session.scalars(select(Postcode.postcode_key)))
    keys = located["postcode_key"]
    report.updated = int(keys.isin(existing).sum())
    report.added = int(keys.nunique()) - report.updated
    located = located.drop_duplicates("postcode_key", keep="last")
    for start in range(0, len(located), BATCH):
        chunk = located.iloc[start : start + BATCH]
        rows = [
            {"postcode_key": key, "pcds": pcds, "latitude": float(lat), "longitude": float(lon),
             "lsoa_code": lsoa if isinstance(lsoa, str) else None,
             "lad_code": lad if isinstance(lad, str) else None}
            for key, pcds, lat, lon, lsoa, lad in chunk[
                ["postcode_key", "pcds", "lat", "long", "lsoa_code", "lad_code"]].itertuples(index=False)
        ]  # fmt: skip
        _upsert(session, rows)
        progress(len(rows))
    report.locations_placed = _place_locations(session)
    return report


def _place_locations(session: DbSession) -> int:
    """Give listing locations typed before their postcode was known a point and an LSOA."""
    placed = 0
    for location in session.scalars(
        select(Location).where(Location.latitude.is_(None), Location.postcode.is_not(None))
    ):
        found = session.get(Postcode, (location.postcode or "").replace(" ", ""))
        if found is not None:
            location.latitude, location.longitude = found.latitude, found.longitude
            location.lsoa_code, location.lad_code = found.lsoa_code, found.lad_code
            placed += 1
    return placed
