"""Stored outlines: LSOA outlines as stored (simplified in British National Grid, WGS84 GeoJSON rounded to
5 decimals), and the local authority outlines dissolved from them (table ``lad_outline``).

An authority's outline is rebuilt whenever boundaries of its LSOAs are imported, and built by a
computation when it is missing (boundaries imported before outlines existed). Maps and tables of
areas too large to show LSOA by LSOA draw these.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from sqlalchemy import delete, insert, select

from geo import BRITISH_NATIONAL_GRID, WGS84
from geo.areas import dissolve

from ..core.clock import utcnow
from ..core.db import DbSession
from ..models import LadOutline, Lsoa

#: Boundaries are stored simplified to this many metres (British National Grid) and rounded to 5 decimals.
STORE_SIMPLIFY_M = 10.0
COORDINATE_DECIMALS = 5
#: Outlines are stored simplified by this many metres (from LSOA outlines already simplified by 10 m).
OUTLINE_SIMPLIFY_M = 20.0
#: Holes smaller than this (square metres) are slivers between simplified LSOAs, not real holes.
OUTLINE_MIN_HOLE_M2 = 1_000_000.0
#: Islands smaller than this are dropped (the largest part of an authority is always kept).
OUTLINE_MIN_PART_M2 = 10_000.0


def _rounded(geometry: Any) -> Any:
    return shapely.transform(geometry, lambda xy: np.round(xy, COORDINATE_DECIMALS))


def gpd_series(geometries: Any) -> Any:
    if isinstance(geometries, gpd.GeoSeries):
        return geometries
    return gpd.GeoSeries(geometries, crs=WGS84)


def simplified_geojson(geometries: Any, tolerance_m: float) -> list[str]:
    """GeoJSON text of polygons in WGS84 after simplifying them in British National Grid."""
    series = gpd_series(geometries)
    bng = series.to_crs(BRITISH_NATIONAL_GRID)
    if tolerance_m > 0:
        bng = bng.simplify(tolerance_m, preserve_topology=True)
    wgs = bng.to_crs(WGS84)
    rounded = _rounded(wgs.to_numpy())
    return [str(text) for text in shapely.to_geojson(rounded)]


def build_outlines(session: DbSession, edition: str, lads: Sequence[str]) -> int:
    """Dissolve the stored LSOAs of these authorities into outlines, replacing theirs (no commit)."""
    lads = [lad for lad in lads if lad]
    if not lads:
        return 0
    rows: list[Any] = []
    for start in range(0, len(lads), 500):
        chunk = lads[start : start + 500]
        rows += session.execute(
            select(Lsoa.lad_code, Lsoa.geometry).where(Lsoa.edition == edition, Lsoa.lad_code.in_(chunk))
        ).all()
    for start in range(0, len(lads), 500):
        session.execute(
            delete(LadOutline).where(LadOutline.edition == edition, LadOutline.lad_code.in_(lads[start : start + 500]))
        )
    if not rows:
        return 0
    frame = gpd.GeoDataFrame(
        {"lad_code": [row[0] for row in rows]}, geometry=shapely.from_geojson([row[1] for row in rows]), crs=WGS84
    )
    outlines = dissolve(
        frame, "lad_code", simplify_m=OUTLINE_SIMPLIFY_M, min_hole_m2=OUTLINE_MIN_HOLE_M2,
        min_part_m2=OUTLINE_MIN_PART_M2,
    )  # fmt: skip
    rounded = _rounded(outlines.geometry.to_numpy())
    now = utcnow()
    records = [
        {"edition": edition, "lad_code": str(lad), "lsoas": int(members), "geometry": str(text), "x": float(x),
         "y": float(y), "built_at": now}
        for lad, members, text, x, y in zip(
            outlines["lad_code"], outlines["members"], shapely.to_geojson(rounded), outlines["x"], outlines["y"],
            strict=True,
        )
    ]  # fmt: skip
    for start in range(0, len(records), 200):
        session.execute(insert(LadOutline), records[start : start + 200])
    return len(records)


def ensure_outlines(session: DbSession, edition: str) -> int:
    """Build the outlines of authorities that have LSOAs of ``edition`` but no outline yet (no commit)."""
    have = set(session.scalars(select(LadOutline.lad_code).where(LadOutline.edition == edition)))
    held = session.scalars(select(Lsoa.lad_code).where(Lsoa.edition == edition, Lsoa.lad_code.is_not(None)).distinct())
    return build_outlines(session, edition, sorted({lad for lad in held if lad} - have))


def read_outlines(session: DbSession, edition: str, lads: Sequence[str]) -> list[tuple[str, str, float, float]]:
    """(code, GeoJSON geometry, x, y) of the stored outlines of these authorities; x, y (British National Grid
    metres) is a point inside each, where its name goes on a map."""
    found: list[tuple[str, str, float, float]] = []
    lads = list(lads)
    for start in range(0, len(lads), 500):
        chunk = lads[start : start + 500]
        found += [
            (str(code), str(geometry), float(x), float(y))
            for code, geometry, x, y in session.execute(
                select(LadOutline.lad_code, LadOutline.geometry, LadOutline.x, LadOutline.y)
                .where(LadOutline.edition == edition, LadOutline.lad_code.in_(chunk))
                .order_by(LadOutline.lad_code)
            )
        ]
    return found
