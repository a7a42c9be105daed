"""The English Indices of Deprivation 2019 shipped inside the package, so a fresh install (and the demo) has
real deprivation for every LSOA 2011 in England without a data folder or a network.

``geo/data/iod2019_lsoa11.csv.gz`` holds IoD2019 Files 1, 2 and 6 (MHCLG, OGL v3) combined: one row per
LSOA, IMD and the seven domain ranks and deciles, and the population denominators (total, 0-15, 16-59,
60 and over, working age). It is made from the official files by this module
(``python -m geo.readers.packaged_deprivation FOLDER``), with fixed gzip headers so a rebuild from the same
files gives the same bytes; its provenance and licence are in ``geo/data/PROVENANCE.md``.
"""

from __future__ import annotations

import gzip
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from geo.errors import DataFileError
from geo.readers.deprivation import combine_deprivation, read_deprivation
from geo.readers.deprivation_headers import AGE_POPULATIONS, DOMAINS
from geo.readers.recognition import find_official_files

PACKAGED_IOD2019 = Path(__file__).resolve().parent.parent / "data" / "iod2019_lsoa11.csv.gz"
PACKAGED_SOURCE_KIND = "IoD2019 Files 1 + 2 + 6 (packaged)"
IOD2019_LSOAS = 32_844  # every LSOA 2011 in England
_TEXT = ("lsoa_code", "lsoa_name", "lad_code", "lad_name")
PACKAGED_COLUMNS = (
    *_TEXT,
    "imd_rank",
    "imd_decile",
    *(f"{domain}_{measure}" for domain in DOMAINS for measure in ("rank", "decile")),
    "population",
    *AGE_POPULATIONS,
)


def build_packaged_deprivation(paths: Sequence[str | Path], out: str | Path = PACKAGED_IOD2019) -> pd.DataFrame:
    """Combine official IoD2019 Files 1, 2 and 6 into the packaged file; returns what was written.

    Raises ``ValueError`` (``DataFileError``) when the files are not IoD2019 on LSOA 2011, lack a column the
    package ships, or do not cover all 32,844 LSOAs; nothing is written then.
    """
    frame = combine_deprivation([read_deprivation(path) for path in paths])
    if frame.attrs.get("lsoa_edition") != "2011":
        raise ValueError("The packaged deprivation is IoD2019 (LSOA 2011); these files are for another edition.")
    missing = [c for c in PACKAGED_COLUMNS if c not in frame]
    if missing:
        raise ValueError(f"The files lack {', '.join(missing)}: give IoD2019 Files 1, 2 and 6 (or File 7).")
    frame = frame[list(PACKAGED_COLUMNS)]
    if len(frame) != IOD2019_LSOAS or frame.isna().any().any():
        raise ValueError(
            f"The files give {len(frame):,} LSOAs ({int(frame.isna().any(axis=1).sum()):,} incomplete); "
            f"IoD2019 has {IOD2019_LSOAS:,}, each with every column."
        )
    frame = frame.sort_values("lsoa_code").reset_index(drop=True)
    out = Path(out)
    text = frame.to_csv(index=False, lineterminator="\n").encode("utf-8")
    with open(out, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
        gz.write(text)
    return frame


def read_packaged_deprivation(lad_codes: Sequence[str] | None = None) -> pd.DataFrame:
    """The packaged IoD2019, as ``geo.readers.read_deprivation`` returns a file (no IMD scores: ranks only).

    ``lad_codes`` keeps the LSOAs of those local authorities (LAD 2019 codes, as published).
    Raises ``DataFileError`` when the packaged file is missing (an install without package data).
    """
    if not PACKAGED_IOD2019.is_file():
        raise DataFileError(
            PACKAGED_IOD2019,
            "is missing from this installation",
            expected="the package data file built by `python -m geo.readers.packaged_deprivation FOLDER`",
            source="https://www.gov.uk/government/statistics/english-indices-of-deprivation-2019",
        )
    frame = pd.read_csv(PACKAGED_IOD2019, dtype=dict.fromkeys(_TEXT, str), keep_default_na=False)
    if lad_codes is not None:
        frame = frame[frame["lad_code"].isin(list(lad_codes))].reset_index(drop=True)
    frame.insert(4, "lsoa_edition", "2011")
    frame.insert(5, "imd_score", float("nan"))
    for column in PACKAGED_COLUMNS[len(_TEXT) :]:
        frame[column] = frame[column].astype("int64")
    frame.attrs.update(
        source_kind=PACKAGED_SOURCE_KIND, has_scores=False, lsoa_edition="2011", source_path=str(PACKAGED_IOD2019)
    )
    return frame


def main(argv: Sequence[str]) -> int:
    """``python -m geo.readers.packaged_deprivation FOLDER``: rebuild the packaged file from a folder's files."""
    if len(argv) != 1:
        print("usage: python -m geo.readers.packaged_deprivation FOLDER_WITH_IOD2019_FILES_1_2_6", file=sys.stderr)
        return 2
    found = find_official_files(argv[0], "deprivation", lsoa_edition="2011")
    paths = list(dict.fromkeys(item.path for item in found))
    try:
        frame = build_packaged_deprivation(paths)
    except ValueError as exc:
        print(f"Not built: {exc}", file=sys.stderr)
        return 1
    print(f"Wrote {len(frame):,} LSOAs to {PACKAGED_IOD2019} ({PACKAGED_IOD2019.stat().st_size:,} bytes) from "
          f"{', '.join(p.name for p in paths)}.")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
