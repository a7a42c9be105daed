"""Provision metrics per LSOA: how far to the nearest service, how many within reach, and demand.

Everything metric happens in British National Grid (EPSG:27700), in metres. Inputs in
longitude/latitude are converted with :func:`to_bng`; results for maps go back with
:func:`to_wgs84`.

* :func:`lsoa_centres`: one point per LSOA (geometric or population-weighted centroid);
* :func:`neighbours`: which LSOAs share a boundary (queen contiguity);
* :func:`provision`: for every LSOA x category, the distance to the nearest service, the
  count within a radius, that count per 1,000 residents, and whether a service that covers
  a whole local authority covers the LSOA;
* :func:`demand`: signposting and gap-flag events per LSOA x category, counted over the
  LSOA and its neighbours within a time window.

Nothing here loops over LSOAs or services in Python: one KD-tree per category answers
the nearest and within-radius questions for every LSOA at once.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
from pyproj import Transformer
from scipy.spatial import cKDTree

from geo import BRITISH_NATIONAL_GRID, WGS84

__all__ = [
    "BNG_BOUNDS",
    "DEFAULT_RADIUS_M",
    "DEMAND_KINDS",
    "demand",
    "lsoa_centres",
    "neighbours",
    "provision",
    "to_bng",
    "to_wgs84",
]

#: Default radius for counting services around an LSOA centre, metres (setting DIRECTORY_GAP_RADIUS_M).
DEFAULT_RADIUS_M = 5000.0
#: (min x, min y, max x, max y) of the British National Grid's valid area, metres.
BNG_BOUNDS = (0.0, 0.0, 700_000.0, 1_300_000.0)
#: The kinds of demand event :func:`demand` counts.
DEMAND_KINDS = ("signposting", "gap-flag")

FloatArray = npt.NDArray[np.float64]


# --------------------------------------------------------------------------------------
# Checks shared by the public functions


def require_columns(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    """Raise ValueError naming the columns ``frame`` lacks.

    Parameters
    ----------
    frame
        Any DataFrame.
    columns
        The column names it must have.
    what
        How to name the frame in the message, e.g. "provision needs services".
    """
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ValueError(
            f"{what} with columns {', '.join(repr(c) for c in columns)}; "
            f"missing {', '.join(repr(c) for c in missing)} (has {', '.join(map(repr, frame.columns))}).",
        )


def _coordinates(frame: pd.DataFrame, what: str) -> FloatArray:
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


def _unique_codes(values: pd.Series, what: str) -> None:
    duplicated = values.duplicated()
    if duplicated.any():
        raise ValueError(
            f"{what} repeats LSOA {values[duplicated].iloc[0]} ({int(duplicated.sum())} repeated rows); "
            "expected one row per LSOA.",
        )


def lsoa_edition_of(frame: pd.DataFrame) -> str | None:
    """The LSOA edition ("2011"/"2021") a frame is keyed by, from its attrs or its lsoa_edition column.

    Parameters
    ----------
    frame
        A frame from :mod:`geo.readers` (``read_deprivation`` sets ``attrs["lsoa_edition"]``,
        ``read_boundaries`` returns an ``lsoa_edition`` column) or from this module.

    Returns
    -------
    str or None
        None when the frame does not say.

    Raises
    ------
    ValueError
        When the frame mixes editions, or its attrs and column disagree.
    """
    editions: set[str] = set()
    if "lsoa_edition" in frame.columns:
        editions |= {str(value) for value in pd.unique(frame["lsoa_edition"].dropna())}
    if len(editions) > 1:
        raise ValueError(f"The frame mixes LSOA editions {sorted(editions)}; use one edition throughout.")
    from_attrs = frame.attrs.get("lsoa_edition")
    if from_attrs is not None and editions and str(from_attrs) not in editions:
        raise ValueError(
            f"The frame says LSOA {from_attrs} in attrs but its lsoa_edition column says {editions.pop()}.",
        )
    if from_attrs is not None:
        return str(from_attrs)
    return editions.pop() if editions else None


# --------------------------------------------------------------------------------------
# Coordinates


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


# --------------------------------------------------------------------------------------
# LSOA centres and neighbours


def _boundaries_in_bng(boundaries: gpd.GeoDataFrame, what: str) -> gpd.GeoDataFrame:
    if not isinstance(boundaries, gpd.GeoDataFrame):
        raise ValueError(f"{what} needs a GeoDataFrame of LSOA polygons (as from geo.readers.read_boundaries).")
    require_columns(boundaries, ["lsoa_code"], f"{what} needs boundaries")
    if boundaries.crs is None:
        raise ValueError(
            f"{what} needs boundaries with a CRS (EPSG:{WGS84} or EPSG:{BRITISH_NATIONAL_GRID}); set it first.",
        )
    _unique_codes(boundaries["lsoa_code"], f"{what}: the boundaries")
    if boundaries.crs.to_epsg() == BRITISH_NATIONAL_GRID:
        return boundaries
    return boundaries.to_crs(BRITISH_NATIONAL_GRID)


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
    projected = _boundaries_in_bng(boundaries, "lsoa_centres")
    centroids = projected.geometry.centroid
    x = centroids.x.to_numpy(dtype="float64").copy()
    y = centroids.y.to_numpy(dtype="float64").copy()
    kind = np.full(len(projected), "geometric", dtype=object)
    if population_weighted is not None:
        require_columns(population_weighted, ["lsoa_code", "x", "y"], "lsoa_centres needs population_weighted")
        _unique_codes(population_weighted["lsoa_code"], "lsoa_centres: population_weighted")
        weighted = _coordinates(population_weighted, "lsoa_centres: population_weighted")
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
        frame = _boundaries_in_bng(boundaries, "neighbours")
    else:
        if not isinstance(boundaries, gpd.GeoDataFrame) or boundaries.crs is None:
            raise ValueError("neighbours needs a GeoDataFrame of LSOA polygons with a CRS.")
        require_columns(boundaries, ["lsoa_code"], "neighbours needs boundaries")
        _unique_codes(boundaries["lsoa_code"], "neighbours: the boundaries")
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


# --------------------------------------------------------------------------------------
# Provision


def _codes(values: pd.Series) -> tuple[npt.NDArray[np.intp], pd.Index]:
    """Integer codes and the unique values they index (fast for categoricals)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        categorical = values.array
        assert isinstance(categorical, pd.Categorical)
        return np.asarray(categorical.codes, dtype=np.intp), pd.Index(categorical.categories)
    codes, uniques = pd.factorize(values)
    return np.asarray(codes, dtype=np.intp), pd.Index(uniques)


def unique_values(values: pd.Series) -> pd.Index:
    """The distinct values of a column, in first-seen order (categories actually used, for a categorical).

    Parameters
    ----------
    values
        Codes (text or categorical).

    Returns
    -------
    pandas.Index
    """
    codes, uniques = _codes(values)
    if isinstance(values.dtype, pd.CategoricalDtype):
        used = pd.unique(codes[codes >= 0])
        return uniques[used]
    return uniques


def positions_in(values: pd.Series, index: pd.Index) -> npt.NDArray[np.intp]:
    """Where each value sits in ``index`` (unique), -1 when absent; vectorised, fast for categoricals.

    Parameters
    ----------
    values
        Codes to look up (text or categorical).
    index
        Unique codes.

    Returns
    -------
    numpy.ndarray
        Integer positions, aligned with ``values``.
    """
    codes, uniques = _codes(values)
    lookup = np.asarray(index.get_indexer(uniques), dtype=np.intp)
    out = np.full(len(codes), -1, dtype=np.intp)
    present = codes >= 0
    out[present] = lookup[codes[present]]
    return out


def provision(
    centres: pd.DataFrame,
    services: pd.DataFrame,
    *,
    categories: Sequence[str],
    radius_m: float = DEFAULT_RADIUS_M,
    population: pd.DataFrame | None = None,
    service_area_lads: pd.DataFrame | None = None,
    centre_lads: pd.DataFrame | None = None,
    workers: int = -1,
) -> pd.DataFrame:
    """Provision of each category of service around each LSOA centre.

    One KD-tree per category answers, for every LSOA at once, the distance to the nearest
    service (``cKDTree.query``); the count within ``radius_m`` comes from one dual-tree walk
    between that tree and a tree of the centres (``sparse_distance_matrix``; the same count
    as ``query_ball_point(..., return_length=True)``, faster). Categories run on a thread
    pool. Distances are straight-line, metres, in EPSG:27700.

    Parameters
    ----------
    centres
        One row per LSOA: ``lsoa_code``, ``x``, ``y`` in EPSG:27700 metres (as from
        :func:`lsoa_centres`; a GeoDataFrame must be in EPSG:27700). An ``lad_code``
        column is used for ``area_covered`` when ``centre_lads`` is not given.
    services
        Located services, one row per service x category: ``service_id``, ``category``,
        ``x``, ``y`` in EPSG:27700 metres. The caller keeps only live, fresh services.
        Rows of categories not in ``categories`` are ignored; repeated (service_id,
        category) rows count once.
    categories
        Every category to report, including those with no service at all.
    radius_m
        Radius for ``within_radius``, metres (setting ``DIRECTORY_GAP_RADIUS_M``).
    population
        Optional ``lsoa_code``, ``population`` (residents) for ``per_1000``.
    service_area_lads
        Optional services that serve whole local authorities rather than a place:
        ``category``, ``lad_code``.
    centre_lads
        Optional ``lsoa_code``, ``lad_code``: the local authority of each LSOA.
    workers
        Threads, each measuring one category at a time (-1: one per core).

    Returns
    -------
    pandas.DataFrame
        One row per category x LSOA (category-major, LSOAs in ``centres`` order), columns:

        * ``lsoa_code``, ``category`` (categoricals);
        * ``nearest_m`` (float, metres; NaN when the category has no located service);
        * ``within_radius`` (int, services of the category within ``radius_m``, inclusive);
        * ``per_1000`` (float, ``within_radius`` per 1,000 residents of the LSOA; NaN when
          its population is unknown or zero);
        * ``area_covered`` (bool, a service-area service of the category covers the LSOA's
          local authority).

        ``attrs``: ``radius_m``, ``lsoa_edition`` (when ``centres`` says), ``services``
        (rows used), ``categories``.

    Raises
    ------
    ValueError
        When a column is missing, coordinates are missing, not British National Grid
        metres or in another CRS, an LSOA is repeated, ``radius_m`` is not positive, or
        ``service_area_lads`` is given without any way to know the LSOAs' local authorities.
    """
    require_columns(centres, ["lsoa_code", "x", "y"], "provision needs centres")
    require_columns(services, ["service_id", "category", "x", "y"], "provision needs services")
    if not radius_m > 0:
        raise ValueError(f"provision needs radius_m > 0 metres, not {radius_m}.")
    category_list = list(dict.fromkeys(str(c) for c in categories))
    if not category_list:
        raise ValueError("provision needs at least one category.")
    _unique_codes(centres["lsoa_code"], "provision: centres")
    query = _coordinates(centres, "provision: centres")
    n_lsoa, n_cat = len(query), len(category_list)

    in_scope = services[services["category"].isin(category_list)]
    if in_scope.duplicated(["service_id", "category"]).any():
        in_scope = in_scope.drop_duplicates(["service_id", "category"])
    points = _coordinates(in_scope, "provision: services")
    service_category = positions_in(in_scope["category"], pd.Index(category_list))
    order = np.argsort(service_category, kind="stable")
    bounds = np.searchsorted(service_category[order], np.arange(n_cat + 1))

    residents = np.full(n_lsoa, np.nan)
    if population is not None:
        require_columns(population, ["lsoa_code", "population"], "provision needs population")
        _unique_codes(population["lsoa_code"], "provision: population")
        where = pd.Index(centres["lsoa_code"]).get_indexer(population["lsoa_code"])
        known = where >= 0
        residents[where[known]] = pd.to_numeric(population["population"], errors="coerce").to_numpy("float64")[known]
    residents[residents <= 0] = np.nan

    lad_of_centre: npt.NDArray[np.object_] | None = None
    if service_area_lads is not None:
        require_columns(service_area_lads, ["category", "lad_code"], "provision needs service_area_lads")
        if centre_lads is not None:
            require_columns(centre_lads, ["lsoa_code", "lad_code"], "provision needs centre_lads")
            first = centre_lads.drop_duplicates("lsoa_code")
            at = np.asarray(pd.Index(first["lsoa_code"]).get_indexer(centres["lsoa_code"]), dtype=np.intp)
            lads = first["lad_code"].to_numpy(dtype=object)
            lad_of_centre = lads[np.maximum(at, 0)].copy()
            lad_of_centre[at < 0] = None
        elif "lad_code" in centres.columns and centres["lad_code"].notna().any():
            lad_of_centre = centres["lad_code"].to_numpy(dtype=object)
        else:
            raise ValueError(
                "provision was given service_area_lads but cannot tell which local authority each LSOA is in: "
                "pass centre_lads (lsoa_code, lad_code) or centres with a lad_code column.",
            )

    nearest = np.full(n_cat * n_lsoa, np.nan)
    within = np.zeros(n_cat * n_lsoa, dtype=np.int64)
    covered = np.zeros(n_cat * n_lsoa, dtype=bool)
    centre_tree = cKDTree(query, leafsize=64)

    def measure(k: int) -> tuple[FloatArray, npt.NDArray[np.int64]] | None:
        """Nearest distance and count within the radius of category k's services, for every centre."""
        chosen = points[order[bounds[k] : bounds[k + 1]]]
        if not len(chosen):
            return None
        tree = cKDTree(chosen, leafsize=32)
        distance, _ = tree.query(query)
        # Counting by a dual-tree walk against the centres' tree (built once) is about 1.6x faster
        # at national scale than one query_ball_point(return_length=True) per centre; same answer.
        pairs = centre_tree.sparse_distance_matrix(tree, radius_m, output_type="ndarray")
        return np.asarray(distance, dtype="float64"), np.bincount(pairs["i"], minlength=n_lsoa).astype(np.int64)

    threads = max(1, os.cpu_count() or 1) if workers < 1 else workers
    with ThreadPoolExecutor(max_workers=min(threads, n_cat)) as pool:  # the KD-tree walks release the GIL
        measured = list(pool.map(measure, range(n_cat)))
    for k, category in enumerate(category_list):  # a loop over categories only
        rows = slice(k * n_lsoa, (k + 1) * n_lsoa)
        found = measured[k]
        if found is not None:
            nearest[rows], within[rows] = found
        if lad_of_centre is not None and service_area_lads is not None:
            lads_here = service_area_lads.loc[service_area_lads["category"] == category, "lad_code"]
            covered[rows] = pd.Index(lads_here.dropna().unique()).get_indexer(lad_of_centre) >= 0

    per_1000 = within / np.tile(residents, n_cat) * 1000.0
    out = pd.DataFrame(
        {
            "lsoa_code": pd.Categorical.from_codes(
                np.tile(np.arange(n_lsoa), n_cat),
                categories=pd.Index(centres["lsoa_code"].to_numpy(dtype=object)),
            ),
            "category": pd.Categorical.from_codes(
                np.repeat(np.arange(n_cat), n_lsoa),
                categories=pd.Index(category_list, dtype=object),
            ),
            "nearest_m": nearest,
            "within_radius": within,
            "per_1000": per_1000,
            "area_covered": covered,
        },
    )
    out.attrs.update(radius_m=float(radius_m), services=len(in_scope), categories=category_list)
    edition = lsoa_edition_of(centres)
    if edition is not None:
        out.attrs["lsoa_edition"] = edition
    return out


# --------------------------------------------------------------------------------------
# Demand


def _timestamp(value: object, what: str) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise ValueError(f"demand needs {what} as a date or datetime, not {value!r}.") from exc
    if pd.isna(stamp):
        raise ValueError(f"demand needs {what} as a date or datetime, not {value!r}.")
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def demand(
    events: pd.DataFrame,
    neighbours: pd.DataFrame,
    *,
    since: dt.date | dt.datetime | str,
    until: dt.date | dt.datetime | str | None = None,
) -> pd.DataFrame:
    """Signposting and gap-flag events per LSOA x category, over the LSOA and its neighbours.

    An event in LSOA B counts for LSOA A when A is B or A and B are neighbours, so demand
    recorded on one side of a boundary is seen on both.

    Parameters
    ----------
    events
        ``lsoa_code``, ``category``, ``kind`` ("signposting" or "gap-flag") and
        ``occurred_at`` (datetime or ISO text; naive times are taken as UTC).
    neighbours
        ``lsoa_code``, ``neighbour_code`` pairs (as from :func:`neighbours`).
    since
        Start of the window, inclusive (a date means its midnight, UTC).
    until
        End of the window, exclusive; None means no end.

    Returns
    -------
    pandas.DataFrame
        One row per (``lsoa_code``, ``category``) with at least one event in reach:
        ``signposting``, ``gap_flags`` and ``events`` (their sum), all int. Sorted by
        ``lsoa_code``, ``category``. ``attrs``: ``since``, ``until``, ``events_in_window``.

    Raises
    ------
    ValueError
        When a column is missing, a kind is not one of :data:`DEMAND_KINDS`, or a time
        cannot be read.
    """
    require_columns(events, ["lsoa_code", "category", "kind", "occurred_at"], "demand needs events")
    require_columns(neighbours, ["lsoa_code", "neighbour_code"], "demand needs neighbours")
    unknown = sorted(set(pd.unique(events["kind"].dropna().astype(str))) - set(DEMAND_KINDS))
    if unknown or events["kind"].isna().any():
        raise ValueError(
            f"demand counts events of kind {' or '.join(map(repr, DEMAND_KINDS))}; got {unknown or ['a blank kind']}.",
        )
    start = _timestamp(since, "since")
    end = _timestamp(until, "until") if until is not None else None
    try:
        occurred = pd.to_datetime(events["occurred_at"], utc=True, format="mixed")
    except (TypeError, ValueError) as exc:
        raise ValueError(f"demand cannot read the events' occurred_at times ({exc}).") from exc
    in_window = (occurred >= start).to_numpy(dtype=bool)
    if end is not None:
        in_window = in_window & (occurred < end).to_numpy(dtype=bool)
    chosen = events.loc[in_window, ["lsoa_code", "category", "kind"]].astype(str)
    chosen = chosen.assign(
        signposting=(chosen["kind"] == "signposting").astype("int64"),
        gap_flags=(chosen["kind"] == "gap-flag").astype("int64"),
    )
    counts = chosen.groupby(["lsoa_code", "category"], as_index=False)[["signposting", "gap_flags"]].sum()
    pairs = neighbours.loc[neighbours["lsoa_code"] != neighbours["neighbour_code"], ["lsoa_code", "neighbour_code"]]
    sources = counts["lsoa_code"].drop_duplicates()
    pairs = pd.concat(
        [pairs.astype(str), pd.DataFrame({"lsoa_code": sources, "neighbour_code": sources})],
        ignore_index=True,
    ).drop_duplicates()
    reached = pairs.merge(counts.rename(columns={"lsoa_code": "neighbour_code"}), on="neighbour_code")
    out = reached.groupby(["lsoa_code", "category"], as_index=False)[["signposting", "gap_flags"]].sum()
    out = out.astype({"signposting": "int64", "gap_flags": "int64"})
    out["events"] = out["signposting"] + out["gap_flags"]
    out = out.sort_values(["lsoa_code", "category"], ignore_index=True)
    out.attrs.update(since=start, until=end, events_in_window=int(in_window.sum()))
    edition = lsoa_edition_of(neighbours)
    if edition is not None:
        out.attrs["lsoa_edition"] = edition
    return out
