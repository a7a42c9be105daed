"""One point per LSOA to measure distances from: the polygon's centroid, or ONS population-weighted centroids.

Centres are in British National Grid (EPSG:27700), metres, whatever CRS the boundaries come in.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import BRITISH_NATIONAL_GRID
from geo.crs import bng_coordinates
from geo.frames import boundaries_in_bng, lsoa_edition_of, require_columns, unique_codes

__all__ = ["lsoa_centres"]


def lsoa_centres(
    boundaries: gpd.GeoDataFrame,
    population_weighted: pd.DataFrame | None = None,
) -> gpd.GeoDataFrame:
    """One point per LSOA, in British National Grid, to measure distances from.

    Parameters
    ----------
    boundaries
        LSOA polygons with ``lsoa_code`` and a CRS (as :func:`geo.readers.read_boundaries`
        returns them, in EPSG:4326; any CRS is reprojected to EPSG:27700).
    population_weighted
        Optional ONS population-weighted centroids: columns ``lsoa_code``, ``x``, ``y`` in
        EPSG:27700 metres. LSOAs it lists use those coordinates; the others, and every LSOA
        when it is None, use the polygon's geometric centroid.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per boundary, in its order, CRS EPSG:27700: ``lsoa_code``, ``geometry``
        (points), ``x``, ``y`` (metres), ``centre_kind`` ("geometric" or
        "population-weighted"), and ``lsoa_edition`` / ``lad_code`` when the boundaries
        have them. ``attrs["lsoa_edition"]`` is set when known.

    Raises
    ------
    ValueError
        When a column or the CRS is missing, an LSOA is repeated, or the population-weighted
        coordinates are not British National Grid metres.
    """
    projected = boundaries_in_bng(boundaries, "lsoa_centres")
    centroids = projected.geometry.centroid
    x = centroids.x.to_numpy(dtype="float64").copy()
    y = centroids.y.to_numpy(dtype="float64").copy()
    kind = np.full(len(projected), "geometric", dtype=object)
    if population_weighted is not None:
        require_columns(population_weighted, ["lsoa_code", "x", "y"], "lsoa_centres needs population_weighted")
        unique_codes(population_weighted["lsoa_code"], "lsoa_centres: population_weighted")
        weighted = bng_coordinates(population_weighted, "lsoa_centres: population_weighted")
        positions = pd.Index(population_weighted["lsoa_code"]).get_indexer(projected["lsoa_code"])
        found = positions >= 0
        x[found] = weighted[positions[found], 0]
        y[found] = weighted[positions[found], 1]
        kind[found] = "population-weighted"
    columns: dict[str, Any] = {"lsoa_code": projected["lsoa_code"].to_numpy(), "x": x, "y": y, "centre_kind": kind}
    for extra in ("lsoa_edition", "lad_code"):
        if extra in projected.columns:
            columns[extra] = projected[extra].to_numpy()
    out = gpd.GeoDataFrame(columns, geometry=gpd.points_from_xy(x, y), crs=BRITISH_NATIONAL_GRID)
    extras = [column for column in ("lsoa_edition", "lad_code") if column in out]
    out = out[["lsoa_code", "geometry", "x", "y", "centre_kind", *extras]]
    edition = lsoa_edition_of(boundaries)
    if edition is not None:
        out.attrs["lsoa_edition"] = edition
    return out
