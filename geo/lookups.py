"""The official LSOA 2011 <-> LSOA 2021 lookup, and deprivation figures carried across it.

The English Indices of Deprivation 2019 are published on LSOA 2011; boundaries (and IoD2025) on
LSOA 2021. Most LSOAs did not change between the censuses, but some were split, some merged and a
few changed irregularly. The ONS "LSOA (2011) to LSOA (2021) to Local Authority District (2022)
Lookup for England and Wales" lists every 2011/2021 pair with a change indicator (CHGIND):

* ``U`` unchanged: one 2011 LSOA is one 2021 LSOA;
* ``S`` split: one 2011 LSOA became several 2021 LSOAs (one row per part);
* ``M`` merged: several 2011 LSOAs became one 2021 LSOA (one row per former LSOA);
* ``X`` irregular: the boundaries were redrawn across several LSOAs (rows for each overlap).

:func:`carry_deprivation` takes figures across in either direction: an LSOA with one source takes
its values as they are (unchanged, or a part of a split LSOA); an LSOA with several sources takes
their population-weighted mean (merged, or irregular: the best fit the lookup allows). Every
carried row says how it was carried and from which LSOAs, so nothing joins silently.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from geo.errors import DataFileError
from geo.gap_weights import NATIONAL_LSOAS
from geo.readers.shared import normalise_header, open_text

__all__ = ["CHANGES", "LOOKUP_SOURCE", "carry_deprivation", "describe", "read_lsoa_lookup"]

LOOKUP_SOURCE = (
    'the ONS Open Geography Portal, https://geoportal.statistics.gov.uk/ : "LSOA (2011) to LSOA (2021) to '
    'Local Authority District (2022) Lookup for England and Wales" (CSV download)'
)
#: CHGIND as published -> the word the directory shows.
CHANGES = {"U": "unchanged", "S": "split", "M": "merged", "X": "irregular"}
#: When one LSOA's sources changed in different ways, it is described by the most complex change.
_PRECEDENCE = ("irregular", "merged", "split", "unchanged")
_EXPECTED = "a CSV with the columns LSOA11CD, LSOA11NM, LSOA21CD, LSOA21NM, CHGIND, LAD22CD, LAD22NM"
_LSOA_CODE = re.compile(r"^[EW]01\d{6}$")
_LAD_COLUMN = re.compile(r"^lad\d{2}cd$")
Edition = Literal["2011", "2021"]


def read_lsoa_lookup(path: str | Path) -> pd.DataFrame:
    """Read the ONS LSOA (2011) to LSOA (2021) to LAD (2022) lookup (CSV, plain or gzipped).

    Headers are matched without regard to case or a byte-order mark; ``LSOA11CD``,
    ``LSOA21CD``, ``CHGIND`` and a ``LADnnCD`` column are required, names optional.

    Parameters
    ----------
    path
        The CSV file.

    Returns
    -------
    pandas.DataFrame
        One row per 2011/2021 pair: ``lsoa11_code``, ``lsoa11_name``, ``lsoa21_code``,
        ``lsoa21_name``, ``change`` ("U", "S", "M" or "X"), ``lad_code``, ``lad_name``
        (names "" when absent). ``attrs``: ``source_kind``, ``source_path``, ``changes``
        (rows per CHGIND).

    Raises
    ------
    DataFileError
        When the file is missing, is not this lookup (columns missing), has no rows, or a
        row holds a code that is not an LSOA code or a CHGIND other than U, S, M or X (a
        truncated file shows as a short or blank last row).
    """
    path = Path(path)
    if not path.is_file():
        raise DataFileError(path, "does not exist", expected=_EXPECTED, source=LOOKUP_SOURCE)
    try:
        with open_text(path) as handle:
            frame = pd.read_csv(handle, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError, OSError) as exc:
        raise DataFileError(path, f"cannot be read as CSV ({exc})", expected=_EXPECTED, source=LOOKUP_SOURCE) from exc
    columns = {normalise_header(name): name for name in frame.columns}
    lad = next((columns[name] for name in sorted(columns, reverse=True) if _LAD_COLUMN.match(name)), None)
    missing = [name for name in ("LSOA11CD", "LSOA21CD", "CHGIND") if name.lower() not in columns]
    if lad is None:
        missing.append("LAD22CD")
    if missing:
        found = ", ".join(str(name) for name in frame.columns[:8]) or "none"
        raise DataFileError(
            path,
            f"is not the ONS LSOA 2011 to LSOA 2021 lookup: missing the columns {', '.join(missing)} (found: {found})",
            expected=_EXPECTED,
            source=LOOKUP_SOURCE,
        )
    if frame.empty:
        raise DataFileError(path, "has headers but no rows", expected=_EXPECTED, source=LOOKUP_SOURCE)

    def text(name: str) -> pd.Series:
        column = columns.get(name)
        return frame[column].str.strip() if column is not None else pd.Series("", index=frame.index, dtype=object)

    out = pd.DataFrame(
        {
            "lsoa11_code": text("lsoa11cd").str.upper(),
            "lsoa11_name": text("lsoa11nm"),
            "lsoa21_code": text("lsoa21cd").str.upper(),
            "lsoa21_name": text("lsoa21nm"),
            "change": text("chgind").str.upper(),
            "lad_code": frame[lad].str.strip().str.upper(),
            "lad_name": text(normalise_header(lad)[:-2] + "nm"),
        }
    )
    for column in ("lsoa11_code", "lsoa21_code"):
        bad = ~out[column].str.match(_LSOA_CODE)
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise DataFileError(
                path,
                f"data row {row + 1} has {out[column].iloc[row]!r} in {column[:6].upper()}CD, which is not an LSOA "
                "code (the file may be truncated)",
                expected="codes such as E01000001 in LSOA11CD and LSOA21CD on every row",
                source=LOOKUP_SOURCE,
            )
    bad = ~out["change"].isin(list(CHANGES))
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataFileError(
            path,
            f"data row {row + 1} has CHGIND {out['change'].iloc[row]!r}",
            expected="CHGIND U (unchanged), S (split), M (merged) or X (irregular) on every row",
            source=LOOKUP_SOURCE,
        )
    out = out.drop_duplicates(["lsoa11_code", "lsoa21_code"]).reset_index(drop=True)
    out.attrs.update(
        source_kind="ONS LSOA (2011) to LSOA (2021) to LAD lookup",
        source_path=str(path),
        changes={code: int(n) for code, n in out["change"].value_counts().items()},
    )
    return out


def _kind(changes: pd.Series) -> str:
    words = {CHANGES[c] for c in changes}
    return next(word for word in _PRECEDENCE if word in words)


def carry_deprivation(
    deprivation: pd.DataFrame,
    lookup: pd.DataFrame,
    *,
    to_edition: Edition,
    source_lsoas: int | None = None,
) -> pd.DataFrame:
    """Deprivation figures of one LSOA edition carried onto the other through the ONS lookup.

    Parameters
    ----------
    deprivation
        One row per source LSOA: ``lsoa_code`` and numeric columns. ``population`` is a
        count: a source's population is shared equally among the LSOAs it maps to, and a
        carried LSOA's population is the sum of its shares. Columns ending ``_rank``,
        ``_score`` (and any other numeric column) are carried as the mean over the LSOA's
        sources weighted by those population shares (equal weights when any population
        is unknown); ranks are rounded. Columns ending ``_decile`` are copied from a
        single source, and for several sources worked out from the carried rank of the
        same measure (``imd_decile`` from ``imd_rank``: decile = ceil(10 x rank / N)).
    lookup
        From :func:`read_lsoa_lookup`.
    to_edition
        "2021" carries LSOA 2011 figures onto LSOA 2021; "2011" the other way.
    source_lsoas
        N, the number of LSOAs ranked in the source edition, for deciles; default the
        national count of that edition (32,844 for 2011, 33,755 for 2021).

    Returns
    -------
    pandas.DataFrame
        One row per target LSOA with at least one source in ``deprivation``: ``lsoa_code``
        (the target edition), the carried columns, ``carried`` ("unchanged", "split",
        "merged" or "irregular": the most complex change among its lookup rows),
        ``carried_from`` (the source codes, space-separated), ``sources`` (how many) and
        ``lad_code``/``lad_name`` from the lookup. ``attrs``: ``lsoa_edition``,
        ``from_edition``, ``weights`` ("population" or "equal"), ``carried`` (rows per
        kind), ``sources_unmatched`` (source LSOAs of ``deprivation`` not in the lookup).

    Raises
    ------
    ValueError
        When ``to_edition`` is not "2011" or "2021", equals the deprivation's own edition,
        or a column is missing.
    """
    if to_edition not in ("2011", "2021"):
        raise ValueError(f"carry_deprivation: to_edition must be '2011' or '2021', not {to_edition!r}.")
    from_edition = "2011" if to_edition == "2021" else "2021"
    own = deprivation.attrs.get("lsoa_edition")
    if own is not None and str(own) != from_edition:
        raise ValueError(f"carry_deprivation: these figures are already on LSOA {own}; nothing to carry.")
    if "lsoa_code" not in deprivation.columns:
        raise ValueError("carry_deprivation: deprivation needs an 'lsoa_code' column.")
    for column in ("lsoa11_code", "lsoa21_code", "change"):
        if column not in lookup.columns:
            raise ValueError(f"carry_deprivation: the lookup needs a {column!r} column (see read_lsoa_lookup).")
    source, target = ("lsoa11_code", "lsoa21_code") if to_edition == "2021" else ("lsoa21_code", "lsoa11_code")
    pairs = lookup.drop_duplicates([source, target])
    fan_out = pairs.groupby(source).size()
    figures = deprivation.drop_duplicates("lsoa_code").set_index("lsoa_code")
    values = [c for c in figures.columns if c != "population" and pd.api.types.is_numeric_dtype(figures[c])]

    edges = pd.DataFrame(
        {"source": pairs[source].to_numpy(), "target": pairs[target].to_numpy(), "change": pairs["change"].to_numpy()}
    )
    edges = edges[edges["source"].isin(figures.index)].reset_index(drop=True)
    edges["fan_out"] = fan_out.reindex(edges["source"]).to_numpy(dtype=float)
    population = (
        pd.to_numeric(figures["population"], errors="coerce").astype("float64")
        if "population" in figures.columns
        else pd.Series(np.nan, index=figures.index)
    )
    edges["share"] = population.reindex(edges["source"]).to_numpy(dtype=float) / edges["fan_out"]
    weighting = "population" if len(edges) and not edges["share"].isna().any() else "equal"
    edges["weight"] = edges["share"] if weighting == "population" else 1.0 / edges["fan_out"]

    grouped = edges.groupby("target", sort=True)
    out = pd.DataFrame(index=pd.Index(sorted(edges["target"].unique()), name="lsoa_code"))
    out["sources"] = grouped.size()
    out["carried_from"] = grouped["source"].agg(lambda s: " ".join(sorted(s)))
    out["carried"] = grouped["change"].agg(_kind)
    # Population is only carried when every source's is known: a partial sum would look like a real count.
    out["population"] = grouped["share"].sum() if weighting == "population" else np.nan
    single = out["sources"] == 1
    for column in values:
        value = pd.to_numeric(figures[column], errors="coerce").astype("float64").reindex(edges["source"]).to_numpy()
        known = ~np.isnan(value)
        weight = np.where(known, edges["weight"].to_numpy(), 0.0)
        frame = pd.DataFrame({"target": edges["target"], "wv": np.where(known, value, 0.0) * weight, "w": weight})
        sums = frame.groupby("target", sort=True)[["wv", "w"]].sum()
        mean = (sums["wv"] / sums["w"].where(sums["w"] > 0)).reindex(out.index)
        out[column] = mean.round() if column.endswith("_rank") else mean
    national = source_lsoas or NATIONAL_LSOAS[from_edition]
    for column in values:
        if not column.endswith("_decile"):
            continue
        rank = column[: -len("_decile")] + "_rank"
        if rank in out.columns:
            lsoas = max(float(national), float(out[rank].max(skipna=True) if out[rank].notna().any() else 1.0))
            out[column] = out[column].where(single, np.ceil(out[rank] * 10 / lsoas).clip(1, 10))
        else:
            out[column] = out[column].round()
    for column in values:
        if column.endswith(("_rank", "_decile")) or column == "population":
            out[column] = out[column].astype("Int64")
    out["population"] = out["population"].round().astype("Int64")
    names = lookup.drop_duplicates(target).set_index(target)
    for column in ("lad_code", "lad_name"):
        out[column] = names[column].reindex(out.index).to_numpy() if column in names.columns else None
    out = out.reset_index()
    counts = out["carried"].value_counts()
    out.attrs.update(
        lsoa_edition=to_edition,
        from_edition=from_edition,
        weights=weighting,
        carried={word: int(counts.get(word, 0)) for word in _PRECEDENCE[::-1]},
        sources_unmatched=int((~figures.index.isin(pairs[source])).sum()),
    )
    return out


def describe(carried: str, carried_from: str, from_edition: str) -> str:
    """A sentence saying how an LSOA's deprivation was carried across the editions (for pages and exports)."""
    if not carried:
        return ""
    sources = carried_from.split()
    many = len(sources) > 1
    how = {
        "unchanged": "unchanged",
        "split": "part of an LSOA that was split" if not many else "the population-weighted mean of its parts",
        "merged": "the population-weighted mean of the LSOAs merged into it" if many else "one of its parts",
        "irregular": "an irregular boundary change: the best fit, a population-weighted mean of the LSOAs it overlaps"
        if many
        else "an irregular boundary change: the best fit, from the LSOA it overlaps",
    }[carried]
    listed = ", ".join(sources[:6]) + (f" and {len(sources) - 6} more" if len(sources) > 6 else "")
    return f"Carried from LSOA {from_edition} {listed} by the ONS lookup ({how})."
