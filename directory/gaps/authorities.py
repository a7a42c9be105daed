"""Gap figures aggregated to local authorities, for maps and tables of areas too large to show LSOA by LSOA.

An authority's figures are plain aggregates of its LSOAs' figures for one category, named for what
they are: the population-weighted mean gap score, the LSOAs in the most deprived decile of England,
the LSOAs with no live service of the category within the radius, the live services of the category
placed in it, and the gap flags raised in it. Its outline (``outlines.py``) comes with them for maps.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree
from sqlalchemy import select

from geo.crs import to_bng

from ..core.db import DbSession
from ..models import Deprivation, GapScore, LadOutline, Lsoa
from .demand import gap_flag_counts
from .editions import latest_run, page_edition
from .frames import query_frame
from .live_services import live_services


@dataclass
class AuthorityRow:
    """One local authority's figures for one category, aggregated from its LSOAs."""

    code: str
    name: str
    lsoas: int
    population: int | None  # sum over LSOAs with a known population; None when none is known
    mean_score: float | None  # mean gap score of its scored LSOAs, population-weighted when populations are known
    weighted: bool  # whether mean_score is population-weighted
    scored: int  # LSOAs with a gap score
    deprivation_known: int  # LSOAs with an IMD decile
    most_deprived: int  # LSOAs in IMD decile 1 (the most deprived 10% of England)
    measured: int  # LSOAs with provision measured for the category
    no_service: int  # LSOAs with no live service of the category within the radius
    live_services: int  # live services of the category placed in the authority (nearest LSOA centre)
    flags: int | None  # gap flags raised in its LSOAs (None when the backlog feature is absent)
    carried: int  # LSOAs whose deprivation was carried from the other LSOA edition
    x: float | None = None  # a point inside its outline, British National Grid metres
    y: float | None = None
    geometry: str | None = None  # its outline (GeoJSON, WGS84), when built

    @property
    def most_deprived_share(self) -> float | None:
        return None if not self.deprivation_known else 100.0 * self.most_deprived / self.deprivation_known

    @property
    def no_service_share(self) -> float | None:
        return None if not self.measured else 100.0 * self.no_service / self.measured


def _lsoa_figures(
    session: DbSession, edition: str, lads: Sequence[str], run_id: int | None, category: str | None
) -> pd.DataFrame:
    """One row per LSOA of the authorities: its authority, centre, deprivation and, for the category, provision."""

    columns = [Lsoa.code, Lsoa.lad_code, Lsoa.x, Lsoa.y, Deprivation.imd_decile, Deprivation.population,
               Deprivation.carried]  # fmt: skip
    names = ["code", "lad_code", "x", "y", "decile", "population", "carried"]
    query = select(*columns).outerjoin(
        Deprivation, (Deprivation.lsoa_code == Lsoa.code) & (Deprivation.edition == Lsoa.edition)
    )
    if run_id is not None and category:
        query = query.add_columns(GapScore.within_radius, GapScore.score).outerjoin(
            GapScore, (GapScore.lsoa_code == Lsoa.code) & (GapScore.run_id == run_id)
            & (GapScore.category_code == category),
        )  # fmt: skip
        names += ["within_radius", "score"]
    frames = []
    for start in range(0, len(lads), 500):
        chunk = list(lads[start : start + 500])
        frames.append(query_frame(session, query.where(Lsoa.edition == edition, Lsoa.lad_code.in_(chunk)), names))
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=names)
    for column in ("within_radius", "score"):
        if column not in frame:
            frame[column] = np.nan
    for column in ("decile", "population", "within_radius", "score", "x", "y"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    return frame


def _services_per_authority(
    session: DbSession, config: Mapping[str, Any], edition: str, category: str | None
) -> dict[str, int]:
    """Live services of the category per authority, each counted in the authority of the LSOA centre nearest it."""
    if not category:
        return {}
    services = live_services(session, config, category=category).dropna(subset=["latitude", "longitude"])
    if services.empty:
        return {}
    centres = query_frame(
        session, select(Lsoa.x, Lsoa.y, Lsoa.lad_code).where(Lsoa.edition == edition), ["x", "y", "lad_code"]
    )
    if centres.empty:
        return {}
    x, y = to_bng(services["longitude"].to_numpy(float), services["latitude"].to_numpy(float))
    _distance, nearest = cKDTree(centres[["x", "y"]].to_numpy(float)).query(np.column_stack([x, y]))
    lad = centres["lad_code"].to_numpy()[nearest]
    placed = pd.DataFrame({"service_id": services["service_id"].to_numpy(), "lad": lad})
    # A service with places in two authorities counts once in each.
    counts = placed.dropna().drop_duplicates().groupby("lad").size()
    return {str(lad): int(n) for lad, n in counts.items()}


def authority_rows(
    session: DbSession,
    config: Mapping[str, Any],
    lads: Sequence[str],
    category: str | None,
    *,
    names: Mapping[str, str] | None = None,
    with_outlines: bool = True,
) -> list[AuthorityRow]:
    """Every chosen authority's figures for ``category`` from the latest gap run, ranked highest mean score first."""
    edition = page_edition(session)
    if edition is None or not lads:
        return []
    run = latest_run(session)
    frame = _lsoa_figures(session, edition, lads, run.id if run is not None else None, category)
    if frame.empty:
        return []
    flags = gap_flag_counts(session, category)
    frame["flags"] = frame["code"].map(flags or {}).fillna(0) if flags is not None else 0
    services = _services_per_authority(session, config, edition, category)
    outlines: dict[str, tuple[str, float, float]] = {}
    if with_outlines:
        for start in range(0, len(lads), 500):
            chunk = list(lads[start : start + 500])
            for lad, geometry, x, y in session.execute(
                select(LadOutline.lad_code, LadOutline.geometry, LadOutline.x, LadOutline.y)
                .where(LadOutline.edition == edition, LadOutline.lad_code.in_(chunk))
            ):  # fmt: skip
                outlines[lad] = (geometry, x, y)
    names = names or {}
    scored = frame["score"].notna()
    frame = frame.assign(
        scored=scored, weighted_score=frame["score"] * frame["population"],
        scored_population=frame["population"].where(scored), unweighable=scored & frame["population"].isna(),
        known=frame["decile"].notna(), deprived=frame["decile"].eq(1), measured=frame["within_radius"].notna(),
        unserved=frame["within_radius"].eq(0), carried_rows=frame["carried"].fillna("").ne(""),
    )  # fmt: skip
    groups = frame.groupby("lad_code", sort=True)
    sums = groups[["scored", "weighted_score", "scored_population", "unweighable", "score", "known", "deprived",
                   "measured", "unserved", "carried_rows", "flags"]].sum()  # fmt: skip
    sums["lsoas"] = groups.size()
    sums["population"] = groups["population"].sum(min_count=1)
    sums[["mean_x", "mean_y"]] = groups[["x", "y"]].mean()
    out = []
    for lad, row in zip(sums.index, cast(Any, sums).itertuples(index=False), strict=True):
        weighted = bool(row.scored and not row.unweighable and row.scored_population > 0)
        mean = (
            None
            if not row.scored
            else row.weighted_score / row.scored_population
            if weighted
            else row.score / row.scored
        )
        outline = outlines.get(str(lad))
        out.append(
            AuthorityRow(
                code=str(lad), name=names.get(str(lad), str(lad)), lsoas=int(row.lsoas),
                population=None if pd.isna(row.population) else int(row.population),
                mean_score=None if mean is None else float(mean), weighted=weighted, scored=int(row.scored),
                deprivation_known=int(row.known), most_deprived=int(row.deprived), measured=int(row.measured),
                no_service=int(row.unserved), live_services=services.get(str(lad), 0),
                flags=int(row.flags) if flags is not None else None, carried=int(row.carried_rows),
                x=outline[1] if outline else float(row.mean_x), y=outline[2] if outline else float(row.mean_y),
                geometry=outline[0] if outline else None,
            )
        )  # fmt: skip
    return ranked_authorities(out)


def ranked_authorities(rows: Iterable[AuthorityRow]) -> list[AuthorityRow]:
    """Highest mean gap score first; authorities without one last, by name."""
    return sorted(rows, key=lambda r: (r.mean_score is None, -(r.mean_score or 0.0), r.name, r.code))
