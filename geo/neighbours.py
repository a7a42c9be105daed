"""Which LSOAs are neighbours: they share a boundary or a corner (queen contiguity), or lie within a tolerance."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from geo.frames import boundaries_in_bng, lsoa_edition_of, require_columns, unique_codes

__all__ = ["neighbours"]


def neighbours(boundaries: gpd.GeoDataFrame, *, tolerance_m: float = 0.0) -> pd.DataFrame:
    """Pairs of LSOAs that share a boundary or a corner (queen contiguity).

    Parameters
    ----------
    boundaries
        LSOA polygons with ``lsoa_code`` and a CRS (any; reprojected to EPSG:27700 when a
        tolerance is given).
    tolerance_m
        Also count polygons within this many metres as neighbours, to bridge slivers left
        by generalised boundaries. 0 means they must touch or overlap.

    Returns
    -------
    pandas.DataFrame
        Columns ``lsoa_code``, ``neighbour_code``: every ordered pair (both directions),
        never an LSOA with itself, sorted. ``attrs["lsoa_edition"]`` when known.

    Raises
    ------
    ValueError
        When ``lsoa_code`` or the CRS is missing, an LSOA is repeated, or the tolerance is negative.
    """
    if tolerance_m < 0:
        raise ValueError(f"neighbours needs tolerance_m >= 0, not {tolerance_m}.")
    if tolerance_m > 0:
        frame = boundaries_in_bng(boundaries, "neighbours")
    else:
        if not isinstance(boundaries, gpd.GeoDataFrame) or boundaries.crs is None:
            raise ValueError("neighbours needs a GeoDataFrame of LSOA polygons with a CRS.")
        require_columns(boundaries, ["lsoa_code"], "neighbours needs boundaries")
        unique_codes(boundaries["lsoa_code"], "neighbours: the boundaries")
        frame = boundaries
    geometry = frame.geometry.reset_index(drop=True)
    if tolerance_m > 0:
        left, right = geometry.sindex.query(geometry, predicate="dwithin", distance=tolerance_m)
    else:
        left, right = geometry.sindex.query(geometry, predicate="intersects")
    keep = left != right
    codes = frame["lsoa_code"].to_numpy(dtype=object)
    pairs = pd.DataFrame({"lsoa_code": codes[left[keep]], "neighbour_code": codes[right[keep]]})
    pairs = pairs.drop_duplicates().sort_values(["lsoa_code", "neighbour_code"], ignore_index=True)
    edition = lsoa_edition_of(boundaries)
    if edition is not None:
        pairs.attrs["lsoa_edition"] = edition
    return pairs
