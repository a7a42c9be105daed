"""Reading the English Indices of Deprivation (IoD2019 on LSOA 2011, IoD2025 on LSOA 2021), and combining files.

The files are recognised by their headers (:mod:`geo.readers.deprivation_headers`), as CSV,
gzipped CSV or the published XLSX.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from geo.errors import DataFileError
from geo.readers.deprivation_headers import (
    AGE_POPULATIONS,
    DEPRIVATION_SOURCE,
    DOMAINS,
    DeprivationLayout,
    deprivation_layout,
    official_measure_header,
)
from geo.readers.shared import (
    base_suffix,
    csv_header,
    estimate_text_rows,
    integer_column,
    number_column,
    refusing_unparsable_csv,
    require_file,
    require_suffix,
    text_column,
    xlsx_frame,
    xlsx_sheets,
)


def deprivation_source(path: Path) -> tuple[DeprivationLayout, str | None, int | None]:
    """Layout, sheet (for XLSX) and row estimate of a deprivation file; raises if unusable."""
    require_file(path, DEPRIVATION_SOURCE)
    if base_suffix(path) in (".xlsx", ".xlsm"):
        sheets = xlsx_sheets(path, DEPRIVATION_SOURCE)
        failures: list[str] = []
        for title, header, max_row in sheets:
            try:
                layout = deprivation_layout(header, path)
            except DataFileError as exc:
                failures.append(f"sheet {title!r}: {exc.problem}")
                continue
            return layout, title, (max_row - 1 if max_row else None)
        tried = "; ".join(failures)
        raise DataFileError(
            path,
            f"no sheet has English Indices of Deprivation headers in its first row ({tried})",
            expected="a sheet such as 'IMD2019' or 'IoD2019 Domains' whose first row is "
            "'LSOA code (2011)', 'LSOA name (2011)', ...",
            source=DEPRIVATION_SOURCE,
        )
    require_suffix(
        path,
        (".csv", ".txt"),
        "is not a CSV, CSV.gz or XLSX file",
        expected="an English Indices of Deprivation file as published (.csv or .xlsx)",
        source=DEPRIVATION_SOURCE,
    )
    first_row = csv_header(path, expected="a UTF-8 CSV (optionally gzipped)", source=DEPRIVATION_SOURCE)
    return deprivation_layout(first_row, path), None, estimate_text_rows(path)


def read_deprivation(path: str | Path) -> pd.DataFrame:
    """Read an English Indices of Deprivation file into one row per LSOA.

    Recognises, by their headers, IoD2019 Files 1 (IMD ranks and deciles), 2 (IMD and
    domain ranks and deciles), 5 (scores), 6 (population denominators) and 7 (all of
    them) keyed by "LSOA code (2011)", and the IoD2025 files keyed by "LSOA code (2021)",
    as CSV, gzipped CSV or the published XLSX (the sheet whose first row matches is
    used). A UTF-8 byte-order mark and thousands separators ("29,199") are handled.

    Parameters
    ----------
    path
        The file.

    Returns
    -------
    pandas.DataFrame
        One row per LSOA, in file order, with columns:

        * ``lsoa_code``, ``lsoa_name``, ``lad_code``, ``lad_name`` (text);
        * ``lsoa_edition``: "2011" or "2021";
        * ``imd_score`` (float; NaN throughout when the file has no scores);
        * when the file has them: ``imd_rank``, ``imd_decile`` (int, rank 1 is the most
          deprived LSOA in England, decile 1 the most deprived 10%); for each domain
          ``income``, ``employment``, ``education``, ``health``, ``crime``, ``housing``
          (Barriers to Housing and Services) and ``environment`` (Living Environment):
          ``<domain>_rank``, ``<domain>_decile`` (int) and ``<domain>_score`` (float;
          income and employment scores are rates, 0 to 1); ``population`` (int, the
          total population denominator: mid 2015 for IoD2019, mid 2022 for IoD2025) and the
          age denominators ``population_0_15``, ``population_16_59``, ``population_60_plus``
          and ``population_working_age`` (18-59/64, for the Employment domain) (int).

        ``attrs``: ``source_kind`` (e.g. "IoD2019 File 1"), ``has_scores`` (False when
        only ranks and deciles are available: downstream code must then work from ranks),
        ``lsoa_edition`` and ``source_path``.

    Raises
    ------
    DataFileError
        When the headers are not those of an IoD file (the message names the missing
        columns), a value is not a number, a rank is blank, or an LSOA is repeated.
    """
    path = Path(path)
    layout, sheet, _ = deprivation_source(path)
    if sheet is not None:
        raw = xlsx_frame(path, sheet)
    else:
        # Narrower than the postcode reader's: a gzip cut short (EOFError) has always surfaced as itself here.
        with refusing_unparsable_csv(
            path,
            expected="a well-formed CSV with the official headers",
            source=DEPRIVATION_SOURCE,
            errors=(ValueError, OSError, UnicodeDecodeError),
        ):
            raw = pd.read_csv(
                path,
                dtype=str,
                usecols=list(layout.columns),
                encoding="utf-8-sig",
                keep_default_na=False,
            )
    raw = raw.rename(columns=layout.columns)[list(layout.columns.values())]
    raw = raw[text_column(raw["lsoa_code"]).notna()].reset_index(drop=True)

    out = pd.DataFrame(index=raw.index)
    for name in ("lsoa_code", "lsoa_name", "lad_code", "lad_name"):
        out[name] = text_column(raw[name])
    out["lsoa_edition"] = pd.Series(layout.lsoa_edition, index=out.index, dtype=object)
    out["imd_score"] = np.nan
    if "imd_score" in raw:
        out["imd_score"] = number_column(raw["imd_score"], "imd_score", path, DEPRIVATION_SOURCE)
    for prefix in ("imd", *DOMAINS):
        for measure in ("score", "rank", "decile"):
            name = f"{prefix}_{measure}"
            if name not in raw or name == "imd_score":
                continue
            header = official_measure_header(prefix, measure)
            if measure == "score":
                out[name] = number_column(raw[name], header, path, DEPRIVATION_SOURCE)
            else:
                out[name] = integer_column(raw[name], header, path, DEPRIVATION_SOURCE)
    if "population" in raw:
        out["population"] = integer_column(
            raw["population"],
            "Total population",
            path,
            DEPRIVATION_SOURCE,
        )
    for name in AGE_POPULATIONS:
        if name in raw:
            out[name] = integer_column(raw[name], AGE_HEADERS[name], path, DEPRIVATION_SOURCE)

    duplicated = out["lsoa_code"].duplicated()
    if duplicated.any():
        raise DataFileError(
            path,
            f"LSOA {out.loc[duplicated, 'lsoa_code'].iloc[0]} appears more than once "
            f"({int(duplicated.sum())} repeated rows)",
            expected="one row per LSOA",
            source=DEPRIVATION_SOURCE,
        )
    out.attrs.update(
        source_kind=layout.source_kind,
        has_scores=layout.has_scores,
        lsoa_edition=layout.lsoa_edition,
        source_path=str(path),
    )
    return out


#: The age denominators' headers as named in errors.
AGE_HEADERS = {
    "population_0_15": "Dependent Children aged 0-15",
    "population_16_59": "Population aged 16-59",
    "population_60_plus": "Older population aged 60 and over",
    "population_working_age": "Working age population 18-59/64",
}
_INTEGER_COLUMNS = ("imd_rank", "imd_decile", "population", *AGE_POPULATIONS) + tuple(
    f"{prefix}_{measure}" for prefix in DOMAINS for measure in ("rank", "decile")
)


def combine_deprivation(frames: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """Merge several ``read_deprivation`` frames (e.g. Files 1, 2 and 6) on ``lsoa_code``.

    Parameters
    ----------
    frames
        Frames returned by :func:`read_deprivation`, all of one LSOA edition.

    Returns
    -------
    pandas.DataFrame
        One row per LSOA found in any frame, with the union of their columns (the same
        names and meanings as :func:`read_deprivation`). A column present in several
        frames must agree wherever both have a value. Integer columns stay ``int64``
        when every LSOA has a value, and become nullable ``Int64`` otherwise.
        ``attrs["source_kind"]`` joins the inputs' kinds with " + ";
        ``attrs["has_scores"]`` is True when any input had IMD scores.

    Raises
    ------
    ValueError
        When the frames mix LSOA 2011 and LSOA 2021 (IoD2019 with IoD2025), when no
        frame is given, or when two frames disagree on a value.
    """
    frames = list(frames)
    if not frames:
        raise ValueError("combine_deprivation needs at least one deprivation frame.")
    editions: dict[str, list[str]] = {}
    for frame in frames:
        if "lsoa_code" not in frame or "lsoa_edition" not in frame:
            raise ValueError(
                "combine_deprivation takes frames from geo.readers.read_deprivation "
                "(with lsoa_code and lsoa_edition columns).",
            )
        label = str(frame.attrs.get("source_kind", "a deprivation frame"))
        for edition in frame["lsoa_edition"].dropna().unique():
            editions.setdefault(str(edition), []).append(label)
    if len(editions) > 1:
        described = "; ".join(f"LSOA {e}: {', '.join(ls)}" for e, ls in sorted(editions.items()))
        raise ValueError(
            "Cannot combine deprivation files keyed by different LSOA editions "
            f"({described}). LSOA 2011 codes (IoD2019) and LSOA 2021 codes (IoD2025) do not "
            "match one to one: use files from one release of the English Indices of "
            "Deprivation.",
        )

    combined = frames[0].copy()
    for frame in frames[1:]:
        shared = [c for c in frame.columns if c in combined.columns and c != "lsoa_code"]
        merged = combined.merge(frame, on="lsoa_code", how="outer", suffixes=("", "__new"))
        for column in shared:
            left, right = merged[column], merged[f"{column}__new"]
            both = left.notna() & right.notna()
            if column == "imd_score":
                clash = both & ~np.isclose(
                    left.astype("float64"),
                    right.astype("float64"),
                    equal_nan=True,
                )
            else:
                clash = both & (left.astype(object) != right.astype(object))
            if clash.any():
                code = merged.loc[clash, "lsoa_code"].iloc[0]
                raise ValueError(
                    f"Deprivation files disagree on {column} for LSOA {code} "
                    f"({int(clash.sum())} LSOAs differ); are they from the same release?",
                )
            merged[column] = left.where(left.notna(), right)
            merged = merged.drop(columns=f"{column}__new")
        combined = merged

    for column in _INTEGER_COLUMNS:
        if column in combined:
            values = combined[column]
            complete = bool(values.notna().all())
            combined[column] = values.astype("int64" if complete else "Int64")
    for column in ("lsoa_code", "lsoa_name", "lad_code", "lad_name", "lsoa_edition"):
        if column in combined:
            combined[column] = text_column(combined[column])
    combined["imd_score"] = combined["imd_score"].astype("float64")
    order = ["lsoa_code", "lsoa_name", "lad_code", "lad_name", "lsoa_edition", "imd_score"]
    combined = combined[order + [c for c in combined.columns if c not in order]]
    combined.attrs = {
        "source_kind": " + ".join(str(f.attrs.get("source_kind", "?")) for f in frames),
        "has_scores": any(bool(f.attrs.get("has_scores")) for f in frames)
        and bool(combined["imd_score"].notna().any()),
        "lsoa_edition": next(iter(editions), None),
        "source_path": [f.attrs.get("source_path") for f in frames],
    }
    return combined.reset_index(drop=True)
