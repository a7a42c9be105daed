"""Loading the LSOA -> MSOA lookup (``lsoa_msoa``) from an official postcode file, so flags cluster by MSOA."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import select

from ..core.db import DbSession
from ..models.backlog import GapFlag, LsoaMsoa

_LSOA_COLUMNS = {"2011": ("lsoa11cd", "lsoa11"), "2021": ("lsoa21cd", "lsoa21")}
_MSOA_COLUMNS = {"2011": ("msoa11cd", "msoa11"), "2021": ("msoa21cd", "msoa21")}


@dataclass
class MsoaImport:
    path: str
    edition: str
    rows: int = 0
    pairs: int = 0
    added: int = 0
    updated: int = 0
    flags_placed: int = 0

    def __str__(self) -> str:
        return (
            f"Read {self.rows:,} rows of {self.path} (LSOA/MSOA {self.edition}): {self.pairs:,} LSOAs, "
            f"{self.added:,} added, {self.updated:,} updated; {self.flags_placed:,} gap flags given their MSOA."
        )


def _columns(header: list[str], edition: str | None, path: Path) -> tuple[str, str, str]:
    lowered = {h.strip().lower().lstrip("\ufeff"): h for h in header}
    for year in (edition,) if edition else ("2021", "2011"):
        assert year is not None
        lsoa = next((lowered[c] for c in _LSOA_COLUMNS[year] if c in lowered), None)
        msoa = next((lowered[c] for c in _MSOA_COLUMNS[year] if c in lowered), None)
        if lsoa and msoa:
            return lsoa, msoa, year
    wanted = " or ".join(
        f"{_LSOA_COLUMNS[y][0]} + {_MSOA_COLUMNS[y][0]}" for y in ((edition,) if edition else _LSOA_COLUMNS)
    )
    raise ValueError(
        f"{path.name} has no LSOA and MSOA columns ({wanted}, or ONSPD's lsoa11/msoa11): use the ONS Postcode "
        "Directory, the NSPL, or the ONS postcode/OA to LSOA to MSOA lookup."
    )


def load_msoa_lookup(
    session: DbSession,
    path: str | Path,
    *,
    edition: str | None = None,
    progress: Callable[[int], Any] = lambda _n: None,
) -> MsoaImport:
    """Fill ``lsoa_msoa`` from an official file (CSV, optionally gzipped).

    Then gives every gap flag without an MSOA its MSOA, so later flags cluster with it. Nothing is
    committed: the caller commits once, so the load is all or nothing.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"There is no file at {path}.")
    header = list(pd.read_csv(path, nrows=0, dtype=str, encoding="utf-8-sig").columns)
    lsoa_col, msoa_col, year = _columns(header, edition, path)
    report = MsoaImport(path=str(path), edition=year)
    pairs: dict[str, str] = {}
    for chunk in pd.read_csv(path, usecols=[lsoa_col, msoa_col], dtype=str, chunksize=200_000, encoding="utf-8-sig"):
        report.rows += len(chunk)
        chunk = chunk.dropna()
        for lsoa, msoa in chunk.drop_duplicates(lsoa_col).itertuples(index=False):
            lsoa, msoa = str(lsoa).strip(), str(msoa).strip()
            if lsoa.startswith(("E01", "W01")) and msoa.startswith(("E02", "W02")):
                pairs[lsoa] = msoa
        progress(len(chunk))
    report.pairs = len(pairs)
    existing = {row.lsoa_code: row for row in session.scalars(select(LsoaMsoa))}
    for lsoa, msoa in pairs.items():
        known = existing.get(lsoa)
        if known is None:
            session.add(LsoaMsoa(lsoa_code=lsoa, msoa_code=msoa))
            report.added += 1
        elif known.msoa_code != msoa:
            known.msoa_code = msoa
            report.updated += 1
    session.flush()
    for flag in session.scalars(select(GapFlag).where(GapFlag.msoa_code.is_(None))):
        if flag.lsoa_code in pairs:
            flag.msoa_code = pairs[flag.lsoa_code]
            report.flags_placed += 1
    session.flush()
    return report
