"""Importing the area data gap scores are built on: deprivation figures (the English Indices of Deprivation)
and LSOA boundaries, from the official files.

The files are read by the pure ``geo.readers``; each import replaces what it covers, rebuilds what
depends on it (authority outlines, deprivation carried across LSOA editions) and reports the join
coverage of boundaries and deprivation. Nothing is committed here: the command that imports
commits, so an import is all or nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import delete, select

from geo import WGS84
from geo.centres import lsoa_centres
from geo.readers.boundaries import read_boundaries
from geo.readers.deprivation import combine_deprivation, read_deprivation
from geo.readers.deprivation_headers import AGE_POPULATIONS

from ..core.clock import utcnow
from ..core.db import DbSession
from ..models import Deprivation, Lsoa
from .cache import bump_data_version
from .editions import Coverage, coverage
from .frames import insert_rows, plain
from .lsoa_lookup import carry_across
from .outlines import STORE_SIMPLIFY_M, build_outlines, simplified_geojson

DOMAIN_NAMES = {
    "income": "Income",
    "employment": "Employment",
    "education": "Education, skills and training",
    "health": "Health deprivation and disability",
    "crime": "Crime",
    "housing": "Barriers to housing and services",
    "environment": "Living environment",
}
Progress = Callable[[str], Any]


def quiet(_message: str) -> None:
    return None


@dataclass
class ImportReport:
    what: str
    rows: int
    edition: str
    source_kind: str
    coverage: list[Coverage] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [f"Imported {self.rows:,} {self.what} (LSOA {self.edition}; {self.source_kind})."]
        lines += [f"Join coverage: {c}" for c in self.coverage]
        lines += self.notes
        return "\n".join(lines)


def read_deprivation_files(paths: Sequence[str | Path]) -> pd.DataFrame:
    """Read and combine official IoD files (e.g. IoD2019 Files 1, 2, 5, 6, 7, or IoD2025 File 7)."""
    if not paths:
        raise ValueError("Name at least one deprivation file.")
    frames = [read_deprivation(path) for path in paths]
    return frames[0] if len(frames) == 1 else combine_deprivation(frames)


def import_deprivation(
    session: DbSession, paths: Sequence[str | Path], *, frame: pd.DataFrame | None = None, echo: Progress = quiet
) -> ImportReport:
    """Replace the deprivation figures of the files' LSOA edition with the files' figures (no commit).

    ``frame`` (as ``geo.readers.read_deprivation`` returns, e.g. the packaged IoD2019) may be given instead of
    ``paths``. Raises ``DataFileError`` (a ``ValueError``) naming the file when its headers or values are not
    official, and ``ValueError`` when files of different releases are mixed; nothing is written then.
    """
    if frame is None:
        frame = read_deprivation_files(paths)
    edition = str(frame.attrs["lsoa_edition"])
    source_kind = str(frame.attrs.get("source_kind", ""))
    echo(f"Read {len(frame):,} LSOAs ({source_kind}); storing ...")
    domain_columns = {
        domain: [c for c in (f"{domain}_rank", f"{domain}_decile", f"{domain}_score") if c in frame]
        for domain in DOMAIN_NAMES
    }
    now = utcnow()
    rows = []
    records = frame.to_dict("records")
    for record in records:
        domains = {
            domain: {c.rsplit("_", 1)[1]: plain(record[c]) for c in columns}
            for domain, columns in domain_columns.items()
            if columns
        }
        score = plain(record.get("imd_score"))
        rows.append(
            {
                "lsoa_code": record["lsoa_code"],
                "edition": edition,
                "lsoa_name": record.get("lsoa_name") or "",
                "lad_code": plain(record.get("lad_code")),
                "lad_name": record.get("lad_name") or "",
                "source_kind": source_kind[:128],
                "imd_score": score,
                "imd_rank": plain(record.get("imd_rank")),
                "imd_decile": plain(record.get("imd_decile")),
                "population": plain(record.get("population")),
                **{name: plain(record.get(name)) for name in AGE_POPULATIONS},
                "domains": domains,
                "has_scores": score is not None,
                "imported_at": now,
            }
        )
    session.execute(delete(Deprivation).where(Deprivation.edition == edition))
    insert_rows(session, Deprivation, rows)
    carried = carry_across(session)
    bump_data_version(session)
    report = ImportReport("LSOAs of deprivation figures", len(rows), edition, source_kind, coverage(session), carried)
    if not frame.attrs.get("has_scores"):
        report.notes.append(
            "These files hold IMD ranks and deciles but no scores: the gap score's deprivation part comes "
            "from the rank (see docs/gap-score.md). IoD2019 File 5 or 7 adds the scores."
        )
    if "population" not in frame:
        report.notes.append(
            "No population denominators (IoD2019 File 6 or 7): services per 1,000 residents cannot be worked out."
        )
    return report


def import_boundaries(
    session: DbSession,
    path: str | Path,
    areas: Iterable[str] = (),
    *,
    frame: Any = None,
    lad_codes: Mapping[str, str] | None = None,
    echo: Progress = quiet,
) -> ImportReport:
    """Store LSOA boundaries (simplified, WGS84 GeoJSON) and centroids (British National Grid) (no commit).

    Then rebuilds the outlines of the local authorities touched (``outlines.build_outlines``) and the
    deprivation carried across LSOA editions (``lsoa_lookup.carry_across``), in the same transaction.

    ``frame`` may be given instead of reading ``path`` (a GeoDataFrame as ``geo.readers.read_boundaries``
    returns); ``lad_codes`` fills local authorities a file lacks. LSOAs already stored with the same
    edition and code are replaced; others are kept.
    """
    wanted = [a.strip().upper() for a in areas if a.strip()]
    if frame is None:
        frame = read_boundaries(path, lad_codes=wanted or None)
    if frame.empty:
        raise ValueError(f"{path}: no LSOA boundaries found" + (f" in {', '.join(wanted)}" if wanted else "") + ".")
    edition = str(frame["lsoa_edition"].iloc[0])
    frame = frame.copy()
    notes: list[str] = []
    if lad_codes:
        missing_lad = frame["lad_code"].isna()
        frame.loc[missing_lad, "lad_code"] = frame.loc[missing_lad, "lsoa_code"].map(lad_codes)
    if frame["lad_code"].isna().any():
        published = dict(
            session.execute(
                select(Deprivation.lsoa_code, Deprivation.lad_code).where(Deprivation.edition == edition)
            ).all()
        )
        missing_lad = frame["lad_code"].isna()
        frame.loc[missing_lad, "lad_code"] = frame.loc[missing_lad, "lsoa_code"].map(published)
        filled = int(missing_lad.sum() - frame["lad_code"].isna().sum())
        if filled:
            notes.append(f"The file has no local authority column: {filled:,} LSOAs took theirs from the IoD file.")
        if frame["lad_code"].isna().any():
            notes.append(f"{int(frame['lad_code'].isna().sum()):,} LSOAs have no known local authority.")
    echo(f"Read {len(frame):,} LSOA {edition} boundaries; simplifying ...")
    centres = lsoa_centres(frame[["lsoa_code", "geometry"]].set_crs(WGS84, allow_override=True))
    geometry = simplified_geojson(frame.geometry, STORE_SIMPLIFY_M)
    now = utcnow()
    source = str(frame.attrs.get("source_kind") or Path(path).name)[:255]
    rows = [
        {"code": code, "edition": edition, "name": name or "", "lad_code": lad, "geometry": geom,
         "x": float(x), "y": float(y), "source": source, "imported_at": now}
        for code, name, lad, geom, x, y in zip(
            frame["lsoa_code"], frame["lsoa_name"], frame["lad_code"], geometry, centres["x"], centres["y"], strict=True
        )
    ]  # fmt: skip
    codes = [row["code"] for row in rows]
    lads = sorted({lad for lad in frame["lad_code"] if isinstance(lad, str)})
    # The authorities these LSOAs left (a re-import may move an LSOA) need their outlines rebuilt too.
    touched = set(lads)
    for start in range(0, len(codes), 900):
        chunk = codes[start : start + 900]
        old = session.scalars(select(Lsoa.lad_code).where(Lsoa.edition == edition, Lsoa.code.in_(chunk)))
        touched |= {lad for lad in old if lad}
        session.execute(delete(Lsoa).where(Lsoa.edition == edition, Lsoa.code.in_(chunk)))
    insert_rows(session, Lsoa, rows, chunk=2_000)
    echo(f"Dissolving the outlines of {len(touched)} local authorities ...")
    build_outlines(session, edition, sorted(touched))
    notes += carry_across(session)
    bump_data_version(session)
    notes.insert(0, f"Local authorities: {len(lads)} ({', '.join(lads[:8])}{' ...' if len(lads) > 8 else ''}).")
    return ImportReport("LSOA boundaries", len(rows), edition, source, coverage(session), notes)
