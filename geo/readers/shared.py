"""What the readers share: opening plain or gzipped text, XLSX sheets and packaged files, parsing columns,
and refusing a file in the one way every reader does (naming the file, what was expected, where to get it).
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
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from geo.errors import DataFileError

if TYPE_CHECKING:
    from openpyxl.workbook.workbook import Workbook

LsoaEdition = Literal["2011", "2021"]

SAMPLE_BYTES = 64 * 1024
#: A LAD code column with its year ("lad21cd"), as postcode files and boundary layers name it.
LAD_YEAR_COLUMN = re.compile(r"^lad(\d{2})cd$")


# --------------------------------------------------------------------------------------
# Names and text


def is_gz(path: Path) -> bool:
    return path.name.lower().endswith(".gz")


def base_suffix(path: Path) -> str:
    """The suffix before any ".gz", lower case (".csv", ".geojson", ".xlsx", ...)."""
    name = path.name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    return Path(name).suffix


@contextmanager
def open_text(path: Path) -> Iterator[IO[str]]:
    """Open a plain or gzipped text file as UTF-8, dropping a byte-order mark."""
    if is_gz(path):
        with gzip.open(path, "rt", encoding="utf-8-sig", newline="") as handle:
            yield handle
    else:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            yield handle


def first_row(handle: IO[str]) -> list[str]:
    """The first CSV row of an open text handle (quoted commas respected)."""
    line = handle.readline()
    if not line:
        return []
    return next(csv.reader([line]), [])


def normalise_header(name: object) -> str:
    """Header as compared: BOM and outer spaces dropped, inner spaces collapsed, lower case."""
    text = "" if name is None else str(name)
    return " ".join(text.replace("\ufeff", "").split()).lower()


def average_line_length(sample: bytes) -> float | None:
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


def estimate_text_rows(path: Path) -> int | None:
    """Rows in a CSV (plain or gzipped), excluding the header, from size and a sample."""
    try:
        if is_gz(path):
            with gzip.open(path, "rb") as handle:
                sample = handle.read(SAMPLE_BYTES)
            total = _gzip_uncompressed_size(path)
        else:
            with open(path, "rb") as handle:
                sample = handle.read(SAMPLE_BYTES)
            total = path.stat().st_size
    except OSError:
        return None
    if len(sample) < SAMPLE_BYTES:
        return max(sample.count(b"\n") - 1 + (0 if sample.endswith(b"\n") else 1), 0)
    average = average_line_length(sample)
    return None if average is None else int(total / average)


# --------------------------------------------------------------------------------------
# Refusing a file


def require_file(path: Path, source: str) -> None:
    """Refuse a path that is not a file, saying where to get the official one."""
    if not path.is_file():
        raise DataFileError(path, "no such file", source=source)


def require_suffix(path: Path, suffixes: Sequence[str], problem: str, *, expected: str, source: str) -> None:
    """Refuse a file whose suffix (before any ".gz") is not one of ``suffixes``."""
    if base_suffix(path) not in suffixes:
        raise DataFileError(path, problem, expected=expected, source=source)


def csv_header(path: Path, *, expected: str, source: str) -> list[str]:
    """The first row of a plain or gzipped CSV; refuses a file that cannot be read as UTF-8 text."""
    try:
        with open_text(path) as handle:
            return first_row(handle)
    except (OSError, UnicodeDecodeError, EOFError) as exc:
        raise DataFileError(
            path,
            f"cannot be read as UTF-8 CSV text ({exc})",
            expected=expected,
            source=source,
        ) from exc


@contextmanager
def refusing_unparsable_csv(
    path: Path,
    *,
    expected: str,
    source: str,
    errors: tuple[type[Exception], ...] = (ValueError, OSError, UnicodeDecodeError, EOFError),
) -> Iterator[None]:
    """Turn pandas' parsing errors inside the block into a DataFileError about ``path``."""
    try:
        yield
    except errors as exc:
        raise DataFileError(
            path,
            f"cannot be parsed as CSV ({exc})",
            expected=expected,
            source=source,
        ) from exc


# --------------------------------------------------------------------------------------
# Columns


def _refuse_first_bad_row(
    bad: npt.NDArray[np.bool_],
    path: Path,
    problem: Callable[[int], str],
    *,
    expected: str,
    source: str,
) -> None:
    """Refuse the file at the first data row flagged in ``bad``; ``problem`` words it from the row's position."""
    if bad.any():
        raise DataFileError(path, problem(int(np.flatnonzero(bad)[0])), expected=expected, source=source)


def text_column(values: pd.Series) -> pd.Series:
    """Object-dtype text column with ``None`` (not NaN) where a value is missing or blank."""
    as_text = values.astype("string").str.strip()
    present = as_text.notna() & (as_text != "")
    return as_text.astype(object).where(present.astype(bool), None)


def number_column(values: pd.Series, column: str, path: Path, source: str) -> pd.Series:
    """Float column from text or spreadsheet values; thousands separators allowed."""
    text = values.astype("string").str.replace(",", "", regex=False).str.strip()
    numbers = pd.to_numeric(text, errors="coerce").astype("float64")
    bad = (text.notna() & (text != "") & numbers.isna()).to_numpy(dtype=bool)
    _refuse_first_bad_row(
        bad,
        path,
        lambda row: (
            f"column {column!r} has the value {values.iloc[row]!r} on data row {row + 1}, which is not a number"
        ),
        expected='numbers in that column (thousands separators such as "29,199" are fine)',
        source=source,
    )
    return numbers


def integer_column(values: pd.Series, column: str, path: Path, source: str) -> pd.Series:
    """int64 column; every row must hold a whole number."""
    numbers = number_column(values, column, path, source)
    blank = numbers.isna().to_numpy(dtype=bool)
    _refuse_first_bad_row(
        blank,
        path,
        lambda row: (
            f"column {column!r} is blank on data row {row + 1} "
            f"({int(blank.sum())} blank rows in all); the file may be truncated"
        ),
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
# Workbooks and packaged files


def _load_workbook(path: Path) -> Workbook:
    from openpyxl import load_workbook

    with warnings.catch_warnings():
        # Official workbooks trip openpyxl's "no default style" notice; it is harmless.
        warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
        return load_workbook(path, read_only=True, data_only=True)


def xlsx_sheets(path: Path, source: str) -> list[tuple[str, list[object], int | None]]:
    """(sheet name, header row, max_row) for every sheet of a workbook."""
    try:
        workbook = _load_workbook(path)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise DataFileError(
            path,
            f"cannot be opened as an Excel workbook ({exc})",
            expected="an .xlsx workbook as published",
            source=source,
        ) from exc
    try:
        sheets: list[tuple[str, list[object], int | None]] = []
        for sheet in workbook.worksheets:
            first = next(sheet.iter_rows(max_row=1, values_only=True), ())
            sheets.append((sheet.title, list(first), sheet.max_row))
        return sheets
    finally:
        workbook.close()


def xlsx_frame(path: Path, sheet_name: str) -> pd.DataFrame:
    """One sheet as text-and-number cells, its first row as the headers, blank rows dropped."""
    workbook = _load_workbook(path)
    try:
        rows = workbook[sheet_name].iter_rows(values_only=True)
        header = [str(value) if value is not None else "" for value in next(rows, ())]
        body = [row for row in rows if any(value is not None for value in row)]
    finally:
        workbook.close()
    return pd.DataFrame(body, columns=header, dtype=object)


def packaged_file(package: str, parts: Sequence[str], install: str) -> Path:
    """A data file shipped inside an installed Python package; refused with how to install it."""
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
