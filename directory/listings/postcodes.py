"""Loading the official postcode directory into the postcode table that search measures from; placing a point."""

from __future__ import annotations

import math
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


# The nearest postcode centroid is looked for in boxes this many degrees of latitude across (each one wider):
# about 550 m, 2.2 km, then 9 km. Beyond that the nearest postcode says little about the area a point is in.
NEAR_STEPS = (0.005, 0.02, 0.08)


def areas_near(session: DbSession, latitude: float, longitude: float) -> tuple[str | None, str | None]:
    """(LSOA, local authority) of the live postcode whose centroid is nearest a point: how a place with coordinates
    but no postcode (or one not in the table) gets its areas without the LSOA boundaries loaded. (None, None) when
    no postcode is near."""
    stretch = 1 / max(math.cos(math.radians(latitude)), 0.1)  # a degree of longitude is shorter than one of latitude
    for step in NEAR_STEPS:
        query = select(Postcode.latitude, Postcode.longitude, Postcode.lsoa_code, Postcode.lad_code).where(
            Postcode.latitude.between(latitude - step, latitude + step),
            Postcode.longitude.between(longitude - step * stretch, longitude + step * stretch),
        )
        rows = list(session.execute(query))
        if rows:
            nearest = min(rows, key=lambda r: (r[0] - latitude) ** 2 + ((r[1] - longitude) / stretch) ** 2)
            return nearest[2], nearest[3]
    return None, None


def own_point(session: DbSession, fields: dict[str, Any], from_postcode: dict[str, Any] | None) -> dict[str, Any]:
    """A place's point and areas: its own coordinates (a feed's) when given, else its postcode's; its areas from
    its postcode, else the areas its record gives (another directory's export), else from the postcode nearest its
    own point."""
    placed = dict(from_postcode or {})
    if fields.get("latitude") is not None and fields.get("longitude") is not None:
        placed["latitude"], placed["longitude"] = fields["latitude"], fields["longitude"]
    if not placed.get("lad_code"):
        if fields.get("lad_code") or fields.get("lsoa_code"):
            # Areas the record's own directory worked out from the place's postcode beat a nearest-centroid guess.
            placed["lsoa_code"], placed["lad_code"] = fields.get("lsoa_code"), fields.get("lad_code")
        elif fields.get("latitude") is not None and fields.get("longitude") is not None:
            placed["lsoa_code"], placed["lad_code"] = areas_near(session, fields["latitude"], fields["longitude"])
    return placed
