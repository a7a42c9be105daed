"""Converting between WGS84 longitude/latitude and British National Grid, and checking BNG coordinates.

Everything metric in geo happens in British National Grid (EPSG:27700), in metres: inputs in
longitude/latitude (EPSG:4326, degrees) are converted with :func:`to_bng`; results for maps go
back with :func:`to_wgs84`.
"""

from __future__ import annotations

from functools import cache

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
from pyproj import Transformer

from geo import BRITISH_NATIONAL_GRID, WGS84

__all__ = ["BNG_BOUNDS", "bng_coordinates", "to_bng", "to_wgs84"]

#: (min x, min y, max x, max y) of the British National Grid's valid area, metres.
BNG_BOUNDS = (0.0, 0.0, 700_000.0, 1_300_000.0)

FloatArray = npt.NDArray[np.float64]


@cache
def _transformer(source: int, target: int) -> Transformer:
    return Transformer.from_crs(source, target, always_xy=True)


def to_bng(longitude: npt.ArrayLike, latitude: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert WGS84 longitude/latitude (EPSG:4326, degrees) to British National Grid (EPSG:27700).

    Parameters
    ----------
    longitude, latitude
        Array-likes of equal length, degrees. NaN stays NaN.

    Returns
    -------
    (x, y)
        Eastings and northings, metres, float64 arrays.

    Raises
    ------
    ValueError
        When the inputs differ in length, or a latitude is outside -90..90 (arguments swapped?).
    """
    lon = np.asarray(longitude, dtype="float64")
    lat = np.asarray(latitude, dtype="float64")
    if lon.shape != lat.shape:
        raise ValueError(f"to_bng needs longitude and latitude of equal length, not {lon.shape} and {lat.shape}.")
    if (np.abs(lat[np.isfinite(lat)]) > 90).any():
        raise ValueError("to_bng got a latitude outside -90..90: pass (longitude, latitude) in WGS84 degrees.")
    x, y = _transformer(WGS84, BRITISH_NATIONAL_GRID).transform(lon, lat)
    return np.asarray(x, dtype="float64"), np.asarray(y, dtype="float64")


def to_wgs84(x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert British National Grid (EPSG:27700, metres) to WGS84 longitude/latitude (EPSG:4326).

    Parameters
    ----------
    x, y
        Eastings and northings, metres, array-likes of equal length.

    Returns
    -------
    (longitude, latitude)
        Degrees, float64 arrays.

    Raises
    ------
    ValueError
        When the inputs differ in length.
    """
    east = np.asarray(x, dtype="float64")
    north = np.asarray(y, dtype="float64")
    if east.shape != north.shape:
        raise ValueError(f"to_wgs84 needs x and y of equal length, not {east.shape} and {north.shape}.")
    lon, lat = _transformer(BRITISH_NATIONAL_GRID, WGS84).transform(east, north)
    return np.asarray(lon, dtype="float64"), np.asarray(lat, dtype="float64")


def bng_coordinates(frame: pd.DataFrame, what: str) -> FloatArray:
    """The frame's x, y columns as an (n, 2) float array, checked to be British National Grid metres."""
    if isinstance(frame, gpd.GeoDataFrame) and frame.crs is not None and frame.crs.to_epsg() != BRITISH_NATIONAL_GRID:
        raise ValueError(
            f"{what} must be in British National Grid (EPSG:{BRITISH_NATIONAL_GRID}) metres, "
            f"not {frame.crs.to_string()}; reproject with .to_crs({BRITISH_NATIONAL_GRID}) or use to_bng().",
        )
    x = pd.to_numeric(frame["x"], errors="coerce").to_numpy(dtype="float64")
    y = pd.to_numeric(frame["y"], errors="coerce").to_numpy(dtype="float64")
    bad = ~(np.isfinite(x) & np.isfinite(y))
    if bad.any():
        raise ValueError(
            f"{what} has {int(bad.sum())} rows without a usable x/y (first at row {int(np.flatnonzero(bad)[0])}); "
            "pass located rows only.",
        )
    if len(x) and bool((np.abs(x) <= 180).all() and (np.abs(y) <= 90).all()):
        raise ValueError(
            f"{what} x/y look like longitude/latitude degrees, not British National Grid "
            f"(EPSG:{BRITISH_NATIONAL_GRID}) metres; convert them with geo.provision.to_bng().",
        )
    min_x, min_y, max_x, max_y = BNG_BOUNDS
    outside = (x < min_x) | (x > max_x) | (y < min_y) | (y > max_y)
    if outside.any():
        first = int(np.flatnonzero(outside)[0])
        raise ValueError(
            f"{what} has {int(outside.sum())} points outside the British National Grid "
            f"(EPSG:{BRITISH_NATIONAL_GRID}), e.g. x={x[first]}, y={y[first]}; are they in another CRS?",
        )
    return np.column_stack([x, y])
