"""The ONS LSOA 2011 <-> 2021 lookup: importing it, and carrying deprivation across LSOA editions with it.

Deprivation is carried onto an edition only when that edition has boundaries and no published
deprivation of its own (IoD2019 is LSOA 2011; boundaries may be LSOA 2021, or the other way
round with IoD2025). Carried rows are ordinary ``deprivation`` rows marked with how they were
carried (``carried``) and from which LSOAs (``carried_from``), so the map, table, area page and
exports can say so; they are rebuilt from the published rows after every import. Nothing is
committed here: the command that imports the lookup commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pandas as pd
from sqlalchemy import delete, func, select

from geo.gap_weights import NATIONAL_LSOAS
from geo.lookups import CHANGES, carry_deprivation, read_lsoa_lookup

from ..core.clock import utcnow
from ..core.db import DbSession
from ..models import Deprivation, Lsoa, LsoaLookup
from .cache import bump_data_version
from .editions import Coverage, coverage, other_edition
from .frames import insert_rows, plain

EDITIONS = ("2011", "2021")
_MEASURES = ("rank", "decile", "score")


def _published(session: DbSession, edition: str) -> pd.DataFrame:
    """Published deprivation of one edition as columns: lsoa_code, imd_*, population, <domain>_<measure>."""
    rows = session.execute(
        select(Deprivation.lsoa_code, Deprivation.imd_score, Deprivation.imd_rank, Deprivation.imd_decile,
               Deprivation.population, Deprivation.domains, Deprivation.source_kind, Deprivation.has_scores)
        .where(Deprivation.edition == edition, Deprivation.carried == "")
    ).all()  # fmt: skip
    base = pd.DataFrame(
        [row[:5] for row in rows], columns=["lsoa_code", "imd_score", "imd_rank", "imd_decile", "population"]
    )
    domains = pd.DataFrame(
        [
            {f"{domain}_{measure}": value for domain, figures in (row[5] or {}).items()
             for measure, value in figures.items() if measure in _MEASURES}
            for row in rows
        ],
        index=base.index,
    )  # fmt: skip
    frame = pd.concat([base, domains], axis=1)
    for column in frame.columns[1:]:
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    frame.attrs.update(
        lsoa_edition=edition,
        source_kind=str(rows[0][6]) if rows else "",
        has_scores=bool(rows) and all(row[7] for row in rows),
    )
    return frame


def _lookup_frame(session: DbSession) -> pd.DataFrame:
    rows = session.execute(
        select(LsoaLookup.lsoa11_code, LsoaLookup.lsoa21_code, LsoaLookup.change, LsoaLookup.lsoa11_name,
               LsoaLookup.lsoa21_name, LsoaLookup.lad_code, LsoaLookup.lad_name)
    ).all()  # fmt: skip
    return pd.DataFrame(
        rows, columns=["lsoa11_code", "lsoa21_code", "change", "lsoa11_name", "lsoa21_name", "lad_code", "lad_name"]
    )


def carry_across(session: DbSession) -> list[str]:
    """Rebuild every carried deprivation row from the published ones and the lookup (no commit).

    Returns a sentence per edition carried onto, for import reports.
    """
    session.execute(delete(Deprivation).where(Deprivation.carried != ""))
    if not session.scalar(select(func.count()).select_from(LsoaLookup)):
        return []
    lookup: pd.DataFrame | None = None
    notes = []
    now = utcnow()
    for edition in EDITIONS:
        source = other_edition(edition)
        has_boundaries = session.scalar(select(func.count()).select_from(Lsoa).where(Lsoa.edition == edition))
        own = session.scalar(select(func.count()).select_from(Deprivation).where(Deprivation.edition == edition))
        if not has_boundaries or own:
            continue
        published = _published(session, source)
        if published.empty:
            continue
        lookup = _lookup_frame(session) if lookup is None else lookup
        carried = carry_deprivation(published, lookup, to_edition=edition)  # type: ignore[arg-type]
        key = f"lsoa{edition[2:]}"
        names = lookup.drop_duplicates(f"{key}_code").set_index(f"{key}_code")[f"{key}_name"]
        domain_columns = [c for c in carried.columns if c.rsplit("_", 1)[-1] in _MEASURES and not c.startswith("imd_")]
        kind = f"{published.attrs['source_kind']}, carried from LSOA {source}"[:128]
        rows = []
        for record in carried.to_dict("records"):
            domains: dict[str, dict[str, Any]] = {}
            for column in domain_columns:
                value = plain(record[column])
                if value is not None:
                    domain, measure = column.rsplit("_", 1)
                    domains.setdefault(domain, {})[measure] = int(value) if measure != "score" else float(value)
            score = plain(record.get("imd_score"))
            rows.append(
                {
                    "lsoa_code": record["lsoa_code"], "edition": edition,
                    "lsoa_name": str(names.get(record["lsoa_code"], "") or ""),
                    "lad_code": plain(record.get("lad_code")) or None,
                    "lad_name": plain(record.get("lad_name")) or "",
                    "source_kind": kind, "imd_score": score, "imd_rank": plain(record.get("imd_rank")),
                    "imd_decile": plain(record.get("imd_decile")), "population": plain(record.get("population")),
                    "domains": domains, "has_scores": score is not None, "imported_at": now,
                    "carried": record["carried"], "carried_from": record["carried_from"],
                }
            )  # fmt: skip
        insert_rows(session, Deprivation, rows)
        counts = carried.attrs["carried"]
        detail = ", ".join(f"{counts[word]:,} {word}" for word in CHANGES.values() if counts.get(word))
        weights = "population-weighted" if carried.attrs["weights"] == "population" else "equally weighted"
        notes.append(
            f"Deprivation carried from LSOA {source} onto {len(rows):,} LSOA {edition} areas by the ONS lookup "
            f"({detail}; several sources {weights})."
        )
    return notes


def rank_scale(edition: str) -> tuple[int, int]:
    """(LSOAs ranked in the edition a carried rank came from, LSOAs in ``edition``), for rescaling ranks."""
    return NATIONAL_LSOAS[other_edition(edition)], NATIONAL_LSOAS[edition]


@dataclass
class LookupReport:
    rows: int
    changes: dict[str, int]
    before: list[Coverage]
    after: list[Coverage]
    notes: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        changes = ", ".join(f"{self.changes.get(code, 0):,} {word}" for code, word in CHANGES.items())
        lines = [f"Imported the ONS LSOA 2011 to 2021 lookup: {self.rows:,} pairs ({changes})."]
        lines += [f"Join coverage before: {c}" for c in self.before]
        lines += self.notes
        lines += [f"Join coverage after: {c}" for c in self.after]
        return "\n".join(lines)


def import_lsoa_lookup(session: DbSession, path: str | Path) -> LookupReport:
    """Replace the stored lookup with the file's rows and carry deprivation across with it (no commit).

    Raises ``DataFileError`` (a ``ValueError``) naming the file when it is not the official lookup.
    """
    frame = read_lsoa_lookup(path)
    before = coverage(session)
    source = Path(path).name[:255]
    now = utcnow()
    records = cast(list[dict[str, Any]], frame.assign(source=source, imported_at=now).to_dict("records"))
    session.execute(delete(LsoaLookup))
    insert_rows(session, LsoaLookup, records)
    notes = carry_across(session)
    bump_data_version(session)
    if not notes:
        notes.append(
            "Nothing was carried: deprivation is carried onto an LSOA edition that has boundaries and no "
            "published deprivation of its own."
        )
    return LookupReport(len(records), frame.attrs["changes"], before, coverage(session), notes)
