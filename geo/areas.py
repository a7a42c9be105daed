"""Larger areas built from LSOAs: local authority outlines dissolved from their LSOAs' outlines."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import BRITISH_NATIONAL_GRID, WGS84

__all__ = ["dissolve"]


def _fill_small_holes(geometry: shapely.Geometry, min_hole_m2: float) -> shapely.Geometry:
    """The geometry without interior rings smaller than ``min_hole_m2`` (slivers between simplified LSOAs)."""
    parts = []
    for polygon in shapely.get_parts(geometry):
        if not isinstance(polygon, shapely.Polygon):
            continue
        holes = [ring for ring in polygon.interiors if shapely.Polygon(ring).area >= min_hole_m2]
        parts.append(shapely.Polygon(polygon.exterior, holes))
    if not parts:
        return shapely.Polygon()
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


def dissolve(
    areas: gpd.GeoDataFrame,
    by: str,
    *,
    simplify_m: float = 0.0,
    min_hole_m2: float = 0.0,
    min_part_m2: float = 0.0,
) -> gpd.GeoDataFrame:
    """Union the polygons of ``areas`` that share a value of ``by`` (e.g. LSOAs into local authorities).

    The work is done in British National Grid (EPSG:27700): the union, then dropping interior
    rings smaller than ``min_hole_m2`` and parts smaller than ``min_part_m2`` (square metres),
    then simplifying by ``simplify_m`` metres (topology kept within each result).

    Parameters
    ----------
    areas
        Polygons with a CRS (any; reprojected) and a column ``by``. Rows whose ``by`` is
        missing are left out.
    by
        The column to group by.
    simplify_m, min_hole_m2, min_part_m2
        Metres and square metres, as above; 0 keeps everything.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per value of ``by`` (sorted): ``by``, ``members`` (rows unioned),
        ``x``/``y`` (a point inside the result, British National Grid metres) and
        ``geometry`` (Polygon or MultiPolygon), CRS EPSG:4326.

    Raises
    ------
    ValueError
        When ``areas`` has no CRS or no column ``by``.
    """
    if areas.crs is None:
        raise ValueError("dissolve: the areas have no CRS; set one (EPSG:4326 or EPSG:27700) first.")
    if by not in areas.columns:
        raise ValueError(f"dissolve: there is no column {by!r} to group by.")
    kept = areas[areas[by].notna()]
    projected = kept.geometry.to_crs(BRITISH_NATIONAL_GRID).to_numpy()
    keys = kept[by].to_numpy()
    groups = pd.Series(np.arange(len(keys))).groupby(keys, sort=True).indices if len(keys) else {}
    names, members, outlines = [], [], []
    for key, positions in groups.items():
        # make_valid first: simplified LSOA outlines can self-touch, which union refuses.
        merged = shapely.union_all(shapely.make_valid(projected[positions]))
        polygons = [p for p in shapely.get_parts(merged) if isinstance(p, shapely.Polygon)]
        if min_part_m2 > 0 and len(polygons) > 1:
            largest = max(polygons, key=lambda p: p.area)
            polygons = [p for p in polygons if p.area >= min_part_m2 or p is largest]
        outline = shapely.MultiPolygon(polygons) if len(polygons) > 1 else polygons[0] if polygons else merged
        if min_hole_m2 > 0:
            outline = _fill_small_holes(outline, min_hole_m2)
        if simplify_m > 0:
            outline = shapely.simplify(outline, simplify_m, preserve_topology=True)
        names.append(key)
        members.append(len(positions))
        outlines.append(outline)
    inside = shapely.point_on_surface(np.array(outlines, dtype=object)) if outlines else np.array([])
    out = gpd.GeoDataFrame(
        {
            by: names,
            "members": np.array(members, dtype="int64"),
            "x": shapely.get_x(inside) if len(outlines) else [],
            "y": shapely.get_y(inside) if len(outlines) else [],
        },
        geometry=gpd.GeoSeries(outlines, crs=BRITISH_NATIONAL_GRID).to_crs(WGS84).to_numpy(),
        crs=WGS84,
    )
    return out
