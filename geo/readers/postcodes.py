"""Reading a postcode directory: ONSPD, NSPL, the ONS postcode lookups and OS Code-Point Open.

Files may be plain, gzipped or zipped; they are read in chunks and filtered by local authority
while reading. Coordinates come back in WGS84 (EPSG:4326) longitude/latitude degrees.
"""

from __future__ import annotations

import csv
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from geo.errors import DataFileError
from geo.postcodes import pcds_series
from geo.readers.codepoint import codepoint_members, read_codepoint
from geo.readers.postcode_headers import POSTCODE_EXPECTED, POSTCODES_SOURCE, PostcodeLayout, postcode_layout
from geo.readers.shared import (
    SAMPLE_BYTES,
    LsoaEdition,
    average_line_length,
    csv_header,
    estimate_text_rows,
    is_gz,
    refusing_unparsable_csv,
    require_file,
    require_suffix,
    text_column,
)

_CHUNK_ROWS = 250_000


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
        sample = raw.read(SAMPLE_BYTES)
    text = sample.decode("utf-8-sig", errors="replace")
    first_line = text.splitlines()[0] if text else ""
    return next(csv.reader([first_line]), []), sample


@dataclass(frozen=True)
class PostcodeSource:
    """How to read one postcode file: its layout (None for Code-Point Open) and where in a zip."""

    layout: PostcodeLayout | None  # None for Code-Point Open
    member: str | None  # zip member holding the CSV, if zipped
    codepoint_members: tuple[str, ...]
    rows_estimate: int | None

    @property
    def source_kind(self) -> str:
        return "OS Code-Point Open" if self.layout is None else self.layout.source_kind


def postcode_source(path: Path) -> PostcodeSource:
    """Work out how to read a postcode file; raises DataFileError if it is not one."""
    require_file(path, POSTCODES_SOURCE)
    if path.name.lower().endswith(".zip"):
        members = _zip_members(path)
        codepoint, estimate = codepoint_members(path, members)
        if codepoint:
            return PostcodeSource(None, None, codepoint, estimate)
        best: tuple[int, PostcodeSource] | None = None
        problems: list[str] = []
        for info in members:
            if not info.filename.lower().endswith(".csv"):
                continue
            header, sample = _zip_member_header(path, info.filename)
            try:
                layout = postcode_layout(header, path)
            except DataFileError as exc:
                problems.append(f"{info.filename}: {exc.problem}")
                continue
            average = average_line_length(sample)
            estimate = int(info.file_size / average) if average else None
            if best is None or info.file_size > best[0]:
                best = (info.file_size, PostcodeSource(layout, info.filename, (), estimate))
        if best is None:
            detail = "; ".join(problems[:3]) or "it holds no CSV files"
            raise DataFileError(
                path,
                f"no CSV in the zip has postcode directory headers ({detail})",
                expected=POSTCODE_EXPECTED,
                source=POSTCODES_SOURCE,
            )
        return best[1]
    require_suffix(
        path,
        (".csv", ".txt"),
        "is not a CSV, CSV.gz or zip file",
        expected=POSTCODE_EXPECTED,
        source=POSTCODES_SOURCE,
    )
    header = csv_header(path, expected=POSTCODE_EXPECTED, source=POSTCODES_SOURCE)
    return PostcodeSource(postcode_layout(header, path), None, (), estimate_text_rows(path))


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
    layout: PostcodeLayout,
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
        out["lsoa_code"] = text_column(chunk[lsoa_column])
    out["lsoa_edition"] = (
        pd.Series(edition, index=out.index, dtype=object).where(out["lsoa_code"].notna(), None)
        if edition is not None
        else None
    )
    out["lad_code"] = text_column(chunk[layout.lad])
    out["terminated"] = terminated.astype(bool)
    return out[valid]


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
    source = postcode_source(path)
    lad_set = None if lad_codes is None else {code.strip() for code in lad_codes}
    if source.layout is None:
        if lsoa_edition is not None:
            raise DataFileError(
                path,
                f"OS Code-Point Open has no LSOA {lsoa_edition} column",
                expected="an ONSPD, NSPL or ONS postcode lookup file for LSOA codes",
                source=POSTCODES_SOURCE,
            )
        out = read_codepoint(path, source.codepoint_members, lad_set)
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
        with (
            _csv_handle(path, source.member) as handle,
            refusing_unparsable_csv(path, expected=POSTCODE_EXPECTED, source=POSTCODES_SOURCE),
        ):
            reader = pd.read_csv(
                handle,
                dtype=str,
                usecols=usecols,
                chunksize=_CHUNK_ROWS,
                encoding="utf-8-sig",
                keep_default_na=False,
                na_values=[""],
                compression="gzip" if source.member is None and is_gz(path) else None,
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
