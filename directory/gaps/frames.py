"""The stored area data read into DataFrames for the ``geo`` library, and DataFrame values made plain for
storing.

``query_frame`` turns any Core query into a DataFrame column by column (fast for the 100,000s of rows
of all of England); ``lsoa_frame`` and ``deprivation_frame`` read one LSOA edition's outlines and
deprivation in the shape ``geo.provision`` and ``geo.gapscore`` take. ``plain`` turns a value of a
DataFrame record (NumPy numbers, NaN, ``pd.NA``) into what a database column takes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import insert, select

from geo import WGS84
from geo.readers.deprivation_headers import AGE_POPULATIONS

from ..core.db import DbSession
from ..models import Deprivation, Lsoa


def query_frame(session: DbSession, query: Any, columns: Sequence[str]) -> pd.DataFrame:
    """A Core query's rows as a DataFrame, column by column (much faster than from Row objects for 100,000s)."""
    rows = session.connection().execute(query).all()
    if not rows:
        return pd.DataFrame(columns=list(columns))
    return pd.DataFrame(dict(zip(columns, (list(values) for values in zip(*rows, strict=True)), strict=True)))


def lsoa_frame(session: DbSession, edition: str, lads: Sequence[str] | None = None) -> Any:
    """Stored LSOAs of one edition as a GeoDataFrame (EPSG:4326) with x/y in British National Grid."""
    query = select(Lsoa.code, Lsoa.name, Lsoa.lad_code, Lsoa.x, Lsoa.y, Lsoa.geometry).where(Lsoa.edition == edition)
    if lads:
        query = query.where(Lsoa.lad_code.in_(list(lads)))
    rows = session.execute(query.order_by(Lsoa.code)).all()
    frame = pd.DataFrame(rows, columns=["lsoa_code", "lsoa_name", "lad_code", "x", "y", "geometry"])
    geometry = shapely.from_geojson(frame["geometry"].to_numpy()) if len(frame) else []
    out = gpd.GeoDataFrame(frame.drop(columns="geometry"), geometry=geometry, crs=WGS84)
    out["lsoa_edition"] = edition
    out.attrs["lsoa_edition"] = edition
    return out


def deprivation_frame(session: DbSession, edition: str) -> pd.DataFrame:
    """Deprivation of one edition: lsoa_code, imd_score, imd_rank, imd_decile, population, the age denominators
    (population_0_15, population_16_59, population_60_plus, population_working_age), carried ("" if published)."""
    rows = session.execute(
        select(Deprivation.lsoa_code, Deprivation.imd_score, Deprivation.imd_rank, Deprivation.imd_decile,
               Deprivation.population, *(getattr(Deprivation, name) for name in AGE_POPULATIONS),
               Deprivation.carried).where(Deprivation.edition == edition)
    ).all()  # fmt: skip
    frame = pd.DataFrame(
        rows, columns=["lsoa_code", "imd_score", "imd_rank", "imd_decile", "population", *AGE_POPULATIONS, "carried"]
    )
    frame["imd_score"] = pd.to_numeric(frame["imd_score"], errors="coerce").astype("float64")
    for column in ("imd_rank", "imd_decile", "population", *AGE_POPULATIONS):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("Int64")
    frame["lsoa_edition"] = edition
    frame.attrs["lsoa_edition"] = edition
    return frame


def plain(value: Any) -> Any:
    """A DataFrame record's value as a database column takes it: missing (None, NA, NaN) as None, NumPy
    numbers as Python ones."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def insert_rows(session: DbSession, model: Any, rows: Sequence[dict[str, Any]], chunk: int = 5_000) -> None:
    """Insert plain rows into ``model``'s table in multi-row statements of ``chunk`` rows (national tables hold
    tens of thousands; one statement each would be slow, one statement for all too large for some drivers)."""
    for start in range(0, len(rows), chunk):
        session.execute(insert(model), rows[start : start + chunk])
