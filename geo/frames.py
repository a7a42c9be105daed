"""Checks and lookups shared by the metric functions on the frames they take.

Required columns, one row per LSOA, the LSOA edition a frame is keyed by, boundaries brought
into British National Grid, and fast positions of codes in an index (for categoricals too).
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd

from geo import BRITISH_NATIONAL_GRID, WGS84

__all__ = ["boundaries_in_bng", "lsoa_edition_of", "positions_in", "require_columns", "unique_codes", "unique_values"]


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


def unique_codes(values: pd.Series, what: str) -> None:
    """Raise ValueError when ``values`` repeats an LSOA code, naming the first and how many."""
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


def boundaries_in_bng(boundaries: gpd.GeoDataFrame, what: str) -> gpd.GeoDataFrame:
    """LSOA polygons checked (a GeoDataFrame with ``lsoa_code``, a CRS, one row per LSOA) and in EPSG:27700."""
    if not isinstance(boundaries, gpd.GeoDataFrame):
        raise ValueError(f"{what} needs a GeoDataFrame of LSOA polygons (as from geo.readers.read_boundaries).")
    require_columns(boundaries, ["lsoa_code"], f"{what} needs boundaries")
    if boundaries.crs is None:
        raise ValueError(
            f"{what} needs boundaries with a CRS (EPSG:{WGS84} or EPSG:{BRITISH_NATIONAL_GRID}); set it first.",
        )
    unique_codes(boundaries["lsoa_code"], f"{what}: the boundaries")
    if boundaries.crs.to_epsg() == BRITISH_NATIONAL_GRID:
        return boundaries
    return boundaries.to_crs(BRITISH_NATIONAL_GRID)


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
