"""The gap score in words: one sentence per row saying how its score was made, for the gap table and area page.

The text is built with numpy string operations over whole columns, not row by row, so that
explaining every LSOA x category of England costs about as much as scoring it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from geo.gap_weights import NATIONAL_LSOAS, GapWeights

__all__ = ["explain"]

TEXT = np.dtypes.StringDType()


def _number(values: npt.ArrayLike, decimals: int) -> npt.NDArray[Any]:
    """Numbers as text rounded to ``decimals`` places ("unknown" for NaN), vectorised in numpy.

    Each distinct rounded value is formatted once (a table over the range of values) and
    looked up, which is much faster than formatting every row.
    """
    numbers = np.asarray(values, dtype="float64")
    unit = 10**decimals
    scaled = np.round(np.nan_to_num(numbers, nan=0.0, posinf=0.0, neginf=0.0) * unit).astype("int64")
    if not len(scaled):
        return np.asarray([], dtype=TEXT)
    low, high = int(scaled.min()), int(scaled.max())
    if high - low <= max(1_000_000, len(scaled)):
        table = _format_scaled(np.arange(low, high + 1, dtype="int64"), decimals)
        text = table[scaled - low]
    else:
        text = _format_scaled(scaled, decimals)
    text[np.isnan(numbers)] = "unknown"
    return np.asarray(text, dtype=TEXT)


def _format_scaled(scaled: npt.NDArray[np.int64], decimals: int) -> npt.NDArray[Any]:
    unit = 10**decimals
    magnitude = np.abs(scaled)
    text = np.strings.add(np.where(scaled < 0, "-", "").astype(TEXT), (magnitude // unit).astype(TEXT))
    if decimals:
        fraction = np.strings.zfill((magnitude % unit).astype(TEXT), decimals)
        text = np.strings.add(np.strings.add(text, "."), fraction)
    return text


def _choose(condition: npt.ArrayLike, if_true: Any, if_false: Any) -> npt.NDArray[Any]:
    """np.where for text: scalars or arrays in, a numpy StringDType array out."""
    mask = np.asarray(condition, dtype=bool)
    out = np.broadcast_to(np.asarray(if_false, dtype=TEXT), mask.shape).copy()
    chosen = np.broadcast_to(np.asarray(if_true, dtype=TEXT), mask.shape)
    out[mask] = chosen[mask]
    return out


def _join(*parts: Any) -> npt.NDArray[Any]:
    text = np.asarray(parts[0], dtype=TEXT)
    for part in parts[1:]:
        text = np.strings.add(text, np.asarray(part, dtype=TEXT))
    return text


def explain(
    scores: pd.DataFrame,
    weights: GapWeights | None = None,
    *,
    radius_m: float | None = None,
    lsoa_edition: str | None = None,
) -> pd.Series:
    """One sentence per row saying how its gap score was made, for the gap table and area page.

    Parameters
    ----------
    scores
        Rows of :func:`gap_scores` (any subset).
    weights
        The weights the scores were made with; None uses ``scores.attrs["weights"]`` or the defaults.
    radius_m
        The counting radius, metres; None uses ``scores.attrs["radius_m"]``.
    lsoa_edition
        "2011" or "2021", for "rank r of N"; None uses ``scores.attrs["lsoa_edition"]``.

    Returns
    -------
    pandas.Series
        Text aligned with ``scores.index``, e.g. "Gap score 71 of 100 = deprivation 0.97
        x 0.4 + provision gap 0.75 x 0.4 + demand 0.23 x 0.2. Deprivation: IMD rank 1000 of
        32844 (1 = most deprived). Provision: nearest service 3.2 km; 1 within 5.0 km; 0.6
        per 1,000 residents. Demand: 1 signposting or gap flag here or next door."
    """
    if weights is None:
        stored = scores.attrs.get("weights")
        weights = GapWeights(**stored) if isinstance(stored, dict) else GapWeights()
    radius = radius_m if radius_m is not None else scores.attrs.get("radius_m")
    edition = lsoa_edition if lsoa_edition is not None else scores.attrs.get("lsoa_edition")
    n = len(scores)
    if n == 0:
        return pd.Series([], index=scores.index, dtype="str", name="explanation")
    score = scores["gap_score"].to_numpy(dtype="float64", na_value=np.nan)
    dep = scores["deprivation_part"].to_numpy(dtype="float64", na_value=np.nan)
    basis = scores["deprivation_basis"].astype(str).to_numpy(dtype=object)
    nearest = scores["nearest_m"].to_numpy(dtype="float64", na_value=np.nan)
    per_1000 = scores["per_1000"].to_numpy(dtype="float64", na_value=np.nan)
    events = scores["demand_events"].to_numpy(dtype="float64", na_value=np.nan)

    def weight(value: float) -> str:
        return f"{value:g}"

    unscored = np.isnan(score)
    head = _join(
        _choose(unscored, "No gap score (no deprivation data for this LSOA); provision gap ", "Gap score "),
        _choose(unscored, "", _join(_number(score, 0), " of 100 = deprivation ", _number(dep, 2))),
        _choose(unscored, "", f" x {weight(weights.deprivation)} + provision gap "),
        _number(scores["provision_part"], 2),
        _choose(unscored, "; demand ", f" x {weight(weights.provision)} + demand "),
        _number(scores["demand_part"], 2),
        _choose(unscored, ".", f" x {weight(weights.demand)}."),
    )
    national = f" of {NATIONAL_LSOAS[str(edition)]}" if str(edition) in NATIONAL_LSOAS else ""
    rank = scores["imd_rank"].astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
    imd_score = scores["imd_score"].to_numpy(dtype="float64", na_value=np.nan)
    deprivation_words = _choose(
        basis == "score",
        _join(" Deprivation: IMD score ", _number(imd_score, 1), " (scaled between the lowest and highest)."),
        _choose(
            basis == "rank",
            _join(" Deprivation: IMD rank ", _number(rank, 0), national, " (1 = most deprived)."),
            " Deprivation: not known for this LSOA.",
        ),
    )
    within = f" within {float(radius) / 1000:g} km" if radius is not None else " within the radius"
    provision_words = _join(
        _choose(
            np.isnan(nearest),
            " Provision: no located service of this category",
            _join(" Provision: nearest service ", _number(nearest / 1000.0, 1), " km"),
        ),
        "; ",
        _number(scores["within_radius"].to_numpy(dtype="float64"), 0),
        within,
        _choose(np.isnan(per_1000), "", _join("; ", _number(per_1000, 1), " per 1,000 residents")),
        _choose(
            scores["area_covered"].to_numpy(dtype=bool, na_value=False),
            "; a service covering the whole local authority also serves it.",
            ".",
        ),
    )
    demand_words = _choose(
        events > 0,
        _join(
            " Demand: ",
            _number(events, 0),
            _choose(events == 1, " signposting or gap flag", " signpostings and gap flags"),
            " here or next door.",
        ),
        " Demand: none recorded here or next door.",
    )
    text = _join(head, deprivation_words, provision_words, demand_words)
    return pd.Series(text.astype(object), index=scores.index, dtype="str", name="explanation")
