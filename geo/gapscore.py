"""The gap score: where deprivation is high, provision thin and demand recorded, per LSOA x category.

The score is a weighted mean of three parts, each between 0 and 1, scaled to 0..100::

    gap_score = 100 * (w_dep * deprivation_part + w_prov * provision_part + w_dem * demand_part)
                    / (w_dep + w_prov + w_dem)

* ``deprivation_part``: the IMD score scaled between the lowest and highest score in the
  deprivation frame when every LSOA has a score, else the IMD rank scaled so the most
  deprived LSOA in England is 1 and the least is 0 (IoD2019 Files 1 and 2 have ranks only);
* ``provision_part``: the mean of ``1 - exp(-nearest_m / distance_scale_m)`` (1 when there is
  no located service at all) and ``exp(-per_1000 / per_1000_reference)`` (left out when the
  population is unknown), multiplied by ``1 - area_covered_relief`` when a service covering
  the whole local authority covers the LSOA;
* ``demand_part``: ``log1p(events) / log1p(demand_full_at)``, capped at 1.

The weights are :class:`geo.gap_weights.GapWeights`; :func:`geo.gap_explanation.explain` puts a
score into words. docs/gap-score.md explains each part, the defaults, the settings and what the
score does not mean.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from geo.frames import lsoa_edition_of, positions_in, require_columns, unique_values
from geo.gap_explanation import explain
from geo.gap_weights import NATIONAL_LSOAS, GapWeights

__all__ = ["BASES", "gap_scores"]

#: Values of the ``deprivation_basis`` column.
BASES = ("score", "rank", "missing")

PROVISION_COLUMNS = ("lsoa_code", "category", "nearest_m", "within_radius", "per_1000", "area_covered")

FloatArray = npt.NDArray[np.float64]


# --------------------------------------------------------------------------------------
# Parts


def _deprivation_parts(deprivation: pd.DataFrame, edition: str) -> tuple[FloatArray, npt.NDArray[np.int8], str]:
    """Per deprivation row: the part (0..1), the basis code (index into BASES), and the frame's basis."""
    n = len(deprivation)
    part = np.full(n, np.nan)
    basis = np.full(n, BASES.index("missing"), dtype=np.int8)
    scores = (
        pd.to_numeric(deprivation["imd_score"], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        if "imd_score" in deprivation.columns
        else np.full(n, np.nan)
    )
    if n and not np.isnan(scores).any():
        low, high = float(scores.min()), float(scores.max())
        part = (scores - low) / (high - low) if high > low else np.full(n, 0.5)
        basis[:] = BASES.index("score")
        return part, basis, "score"
    if "imd_rank" not in deprivation.columns:
        return part, basis, "missing"
    ranks = pd.to_numeric(deprivation["imd_rank"], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    known = ~np.isnan(ranks)
    if (ranks[known] < 1).any():
        raise ValueError("gap_scores: deprivation imd_rank must be 1 or more (1 is the most deprived LSOA).")
    largest = float(ranks[known].max()) if known.any() else 1.0
    national = float(max(NATIONAL_LSOAS.get(edition, 0), largest))
    part[known] = (national - ranks[known]) / (national - 1) if national > 1 else 1.0
    basis[known] = BASES.index("rank")
    return part, basis, "rank"


def _provision_part(provision: pd.DataFrame, weights: GapWeights) -> FloatArray:
    nearest = provision["nearest_m"].to_numpy(dtype="float64", na_value=np.nan)
    per_1000 = provision["per_1000"].to_numpy(dtype="float64", na_value=np.nan)
    covered = provision["area_covered"].to_numpy(dtype=bool, na_value=False)
    if (nearest < 0).any() or (per_1000 < 0).any():
        raise ValueError("gap_scores: provision nearest_m and per_1000 must not be negative.")
    distance = np.where(np.isnan(nearest), 1.0, -np.expm1(-nearest / weights.distance_scale_m))
    shortage = np.exp(-per_1000 / weights.per_1000_reference)
    part = np.where(np.isnan(per_1000), distance, (distance + shortage) / 2.0)
    return np.where(covered, part * (1.0 - weights.area_covered_relief), part)


def _demand_events(provision: pd.DataFrame, demand: pd.DataFrame | None) -> FloatArray:
    """Demand events aligned with the provision rows (0 where none)."""
    if demand is None:
        return np.zeros(len(provision))
    require_columns(demand, ["lsoa_code", "category", "events"], "gap_scores needs demand")
    lsoa_index = unique_values(provision["lsoa_code"])
    category_index = unique_values(provision["category"])
    width = len(category_index)
    row_key = positions_in(provision["lsoa_code"], lsoa_index) * width + positions_in(
        provision["category"],
        category_index,
    )
    lsoa_at = positions_in(demand["lsoa_code"], lsoa_index)
    category_at = positions_in(demand["category"], category_index)
    found = (lsoa_at >= 0) & (category_at >= 0)
    counts = pd.to_numeric(demand["events"], errors="coerce").fillna(0).to_numpy(dtype="float64")
    if (counts < 0).any():
        raise ValueError("gap_scores: demand events must not be negative.")
    table = np.bincount(
        lsoa_at[found] * width + category_at[found],
        weights=counts[found],
        minlength=len(lsoa_index) * width,
    )
    return np.asarray(table[row_key], dtype="float64")


# --------------------------------------------------------------------------------------
# The score


def _check_editions(
    deprivation: pd.DataFrame,
    provision: pd.DataFrame,
    demand: pd.DataFrame | None,
    lsoa_edition: str | None,
) -> str:
    deprivation_edition = lsoa_edition_of(deprivation)
    if deprivation_edition is None:
        raise ValueError(
            "gap_scores cannot tell which LSOA edition the deprivation frame is keyed by: read it with "
            "geo.readers.read_deprivation (which sets attrs['lsoa_edition']) or give it an lsoa_edition column.",
        )
    provision_edition = lsoa_edition_of(provision)
    if lsoa_edition is not None and provision_edition is not None and str(lsoa_edition) != provision_edition:
        raise ValueError(
            f"gap_scores was told lsoa_edition={lsoa_edition!r} but the provision frame says LSOA {provision_edition}.",
        )
    provision_edition = str(lsoa_edition) if lsoa_edition is not None else provision_edition
    if provision_edition is None:
        raise ValueError(
            "gap_scores cannot tell which LSOA edition the provision LSOA codes are: build the centres from "
            "geo.readers.read_boundaries (which carries lsoa_edition) or pass lsoa_edition='2011' or '2021'.",
        )
    if deprivation_edition != provision_edition:
        source = deprivation.attrs.get("source_kind", "the deprivation file")
        raise ValueError(
            f"LSOA editions differ: deprivation ({source}) is keyed by LSOA {deprivation_edition} codes but the "
            f"provision LSOAs are LSOA {provision_edition} codes. E01 codes exist in both editions and many "
            "changed between them, so joining them would silently mismatch areas: use IoD2019 with LSOA 2011 "
            "boundaries, or IoD2025 with LSOA 2021 boundaries.",
        )
    demand_edition = lsoa_edition_of(demand) if demand is not None else None
    if demand_edition is not None and demand_edition != provision_edition:
        raise ValueError(
            f"LSOA editions differ: demand is keyed by LSOA {demand_edition} codes but the provision LSOAs are "
            f"LSOA {provision_edition} codes.",
        )
    return provision_edition


def gap_scores(
    deprivation: pd.DataFrame,
    provision: pd.DataFrame,
    demand: pd.DataFrame | None = None,
    weights: GapWeights | None = None,
    *,
    lsoa_edition: str | None = None,
    explain_rows: bool = True,
) -> pd.DataFrame:
    """The gap score (0..100) and its three parts for every LSOA x category of ``provision``.

    Parameters
    ----------
    deprivation
        One row per LSOA from :func:`geo.readers.read_deprivation` or
        :func:`geo.readers.combine_deprivation`: ``lsoa_code`` and ``imd_score`` and/or
        ``imd_rank`` (1 = most deprived); its LSOA edition comes from
        ``attrs["lsoa_edition"]`` or an ``lsoa_edition`` column. Pass the whole national
        file: scores are scaled between its lowest and highest.
    provision
        From :func:`geo.provision.provision`: ``lsoa_code``, ``category``, ``nearest_m``
        (metres, EPSG:27700), ``within_radius``, ``per_1000``, ``area_covered``.
    demand
        Optional, from :func:`geo.provision.demand`: ``lsoa_code``, ``category``,
        ``events``. None counts no demand anywhere.
    weights
        :class:`GapWeights`; None uses the defaults.
    lsoa_edition
        The LSOA edition ("2011"/"2021") of the provision codes, when ``provision.attrs``
        does not say.
    explain_rows
        Add the ``explanation`` text column (costs about as much as the score itself for all
        of England; the app can call :func:`explain` on the rows it shows instead).

    Returns
    -------
    pandas.DataFrame
        One row per provision row, in its order: ``lsoa_code``, ``category``,
        ``deprivation_basis`` ("score", "rank" or "missing": no deprivation row for the
        LSOA), ``imd_score`` (float), ``imd_rank`` (nullable int), ``nearest_m``,
        ``within_radius``, ``per_1000``, ``area_covered``, ``demand_events`` (float),
        ``deprivation_part``, ``provision_part``, ``demand_part`` (0..1), ``gap_score``
        (0..100; NaN where the basis is "missing") and, with ``explain_rows``,
        ``explanation``.

        ``attrs``: ``coverage`` (dict: ``lsoas`` in provision, ``matched`` in the
        deprivation frame, ``unmatched``, ``unmatched_examples``, ``deprivation_lsoas``),
        ``deprivation_basis``, ``lsoa_edition``, ``weights`` (dict), ``radius_m``.

    Raises
    ------
    ValueError
        When a column is missing, an LSOA is repeated in ``deprivation``, either edition
        is unknown, or the deprivation and provision LSOA editions differ.
    """
    weights = GapWeights() if weights is None else weights
    require_columns(provision, PROVISION_COLUMNS, "gap_scores needs provision")
    require_columns(deprivation, ["lsoa_code"], "gap_scores needs deprivation")
    if "imd_score" not in deprivation.columns and "imd_rank" not in deprivation.columns:
        raise ValueError("gap_scores needs deprivation with an 'imd_score' or 'imd_rank' column (IMD 2019 or 2025).")
    edition = _check_editions(deprivation, provision, demand, lsoa_edition)
    duplicated = deprivation["lsoa_code"].duplicated()
    if duplicated.any():
        raise ValueError(f"gap_scores: deprivation repeats LSOA {deprivation.loc[duplicated, 'lsoa_code'].iloc[0]}.")

    part_by_lsoa, basis_by_lsoa, frame_basis = _deprivation_parts(deprivation, edition)
    at = positions_in(provision["lsoa_code"], pd.Index(deprivation["lsoa_code"].to_numpy(dtype=object)))
    matched = at >= 0
    safe = np.maximum(at, 0)
    deprivation_part = np.where(matched, part_by_lsoa[safe] if len(part_by_lsoa) else np.nan, np.nan)
    basis_codes = np.where(matched, basis_by_lsoa[safe] if len(basis_by_lsoa) else 2, BASES.index("missing"))
    basis_codes = np.where(np.isnan(deprivation_part), BASES.index("missing"), basis_codes)

    provision_part = _provision_part(provision, weights)
    events = _demand_events(provision, demand)
    demand_part = np.minimum(1.0, np.log1p(events) / np.log1p(weights.demand_full_at))
    total = weights.deprivation * deprivation_part + weights.provision * provision_part + weights.demand * demand_part
    score = np.clip(100.0 * total / weights.total, 0.0, 100.0)

    columns: dict[str, Any] = {
        "lsoa_code": provision["lsoa_code"].array,
        "category": provision["category"].array,
        "deprivation_basis": pd.Categorical.from_codes(
            basis_codes.astype(np.int8),
            categories=pd.Index(list(BASES), dtype=object),
        ),
    }
    if "imd_score" in deprivation.columns:
        scores = pd.to_numeric(deprivation["imd_score"], errors="coerce").to_numpy("float64", na_value=np.nan)
        columns["imd_score"] = np.where(matched, scores[safe] if len(scores) else np.nan, np.nan)
    else:
        columns["imd_score"] = np.full(len(provision), np.nan)
    if "imd_rank" in deprivation.columns:
        ranks = pd.to_numeric(deprivation["imd_rank"], errors="coerce").to_numpy("float64", na_value=np.nan)
        gathered = np.where(matched, ranks[safe] if len(ranks) else np.nan, np.nan)
        missing = np.isnan(gathered)
        columns["imd_rank"] = pd.arrays.IntegerArray(np.where(missing, 0, gathered).astype("int64"), missing)
    else:
        columns["imd_rank"] = pd.array([pd.NA] * len(provision), dtype="Int64")
    for name in ("nearest_m", "within_radius", "per_1000", "area_covered"):
        columns[name] = provision[name].to_numpy()
    columns.update(
        demand_events=events,
        deprivation_part=deprivation_part,
        provision_part=provision_part,
        demand_part=demand_part,
        gap_score=score,
    )
    out = pd.DataFrame(columns, index=provision.index)

    lsoa_codes = unique_values(provision["lsoa_code"])
    lsoa_matched = lsoa_codes.isin(deprivation["lsoa_code"])
    radius = provision.attrs.get("radius_m")
    out.attrs.update(
        coverage={
            "lsoas": len(lsoa_codes),
            "matched": int(lsoa_matched.sum()),
            "unmatched": int((~lsoa_matched).sum()),
            "unmatched_examples": [str(code) for code in lsoa_codes[~lsoa_matched][:5]],
            "deprivation_lsoas": len(deprivation),
        },
        deprivation_basis=frame_basis,
        lsoa_edition=edition,
        weights=dataclasses.asdict(weights),
        radius_m=radius,
    )
    if explain_rows:
        out["explanation"] = explain(out, weights, radius_m=radius, lsoa_edition=edition)
    return out
