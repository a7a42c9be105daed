"""The stored gap data as the pages show it: the local authorities to choose from, every LSOA of them with
its figures for a category (``AreaRow``, for the map, table and exports), and one LSOA with its gap
score explained for every category (the area page).

Rows are read as plain tuples, not ORM objects: all of England is tens of thousands of LSOAs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func, literal, select

from geo.gap_explanation import explain
from geo.gap_weights import GapWeights
from geo.lookups import describe

from ..core.db import DbSession
from ..listings.place_names import PlaceName, authority_names, name_area
from ..models import Deprivation, GapRun, GapScore, Lsoa, TaxonomyTerm
from .demand import flags_in, gap_flag_counts
from .editions import latest_run, other_edition, page_edition
from .live_services import services_near
from .score_words import score_in_words


def local_authorities(session: DbSession) -> list[tuple[str, str, int]]:
    """(code, name, LSOAs) of every local authority with stored boundaries, by name."""
    edition = page_edition(session)
    if edition is None:
        return []
    counts = session.execute(
        select(Lsoa.lad_code, func.count()).where(Lsoa.edition == edition, Lsoa.lad_code.is_not(None))
        .group_by(Lsoa.lad_code)
    ).all()  # fmt: skip
    names = authority_names(session)
    out = [(str(code), names.get(str(code), str(code)), int(count)) for code, count in counts]
    return sorted(out, key=lambda item: (item[1], item[0]))


def default_areas(session: DbSession, areas: list[tuple[str, str, int]] | None = None) -> list[str]:
    """The areas a map opens on without ``la``: all of them when there are four or fewer, else the largest.

    ``areas`` is ``local_authorities(session)`` when the caller has it already.
    """
    areas = local_authorities(session) if areas is None else areas
    if len(areas) <= 4:
        return [code for code, _name, _count in areas]
    return [max(areas, key=lambda item: item[2])[0]]


def category_names(session: DbSession) -> dict[str, str]:
    return dict(session.execute(select(TaxonomyTerm.code, TaxonomyTerm.name).order_by(TaxonomyTerm.name)).all())


def largest_gap(session: DbSession, lads: Sequence[str]) -> str | None:
    """The category whose gap scores are highest, on average, over the LSOAs of these authorities (the need a
    map opens on); None before any scores are computed."""
    run = latest_run(session)
    edition = page_edition(session)
    if run is None or edition is None or not lads:
        return None
    mean = func.avg(GapScore.score)
    found = session.execute(
        select(GapScore.category_code, mean)
        .join(Lsoa, (Lsoa.code == GapScore.lsoa_code) & (Lsoa.edition == edition))
        .where(GapScore.run_id == run.id, GapScore.score.is_not(None), Lsoa.lad_code.in_(list(lads)))
        .group_by(GapScore.category_code)
        .order_by(mean.desc(), GapScore.category_code)
        .limit(1)
    ).first()
    return None if found is None else str(found[0])


@dataclass
class AreaRow:
    """One LSOA as the map, table and exports show it, for one category."""

    code: str
    name: str
    lad_code: str | None
    geometry: str
    x: float
    y: float
    imd_decile: int | None = None
    imd_rank: int | None = None
    imd_score: float | None = None
    population: int | None = None
    nearest_m: float | None = None
    within_radius: int | None = None
    per_1000: float | None = None
    area_covered: bool = False
    demand: float = 0.0
    flags: int | None = None
    deprivation_part: float | None = None
    provision_part: float | None = None
    demand_part: float | None = None
    score: float | None = None
    basis: str = "missing"
    carried: str = ""  # how the deprivation figures were carried from the other LSOA edition; "" if published
    carried_from: str = ""


def area_rows(
    session: DbSession, lads: Sequence[str], category: str | None, *, with_geometry: bool = True
) -> list[AreaRow]:
    """Every LSOA of the chosen local authorities with its deprivation and, for ``category``, its gap score.

    Read as plain rows (no ORM objects: all of England is tens of thousands); ``with_geometry=False``
    leaves the outlines out (``geometry`` is then "null").
    """
    edition = page_edition(session)
    if edition is None or not lads:
        return []
    run = latest_run(session)
    lads = list(lads)
    query = (
        select(Lsoa.code, Lsoa.name, Lsoa.lad_code, Lsoa.geometry if with_geometry else literal("null"), Lsoa.x,
               Lsoa.y, Deprivation.imd_decile, Deprivation.imd_rank, Deprivation.imd_score, Deprivation.population,
               Deprivation.carried, Deprivation.carried_from)
        .outerjoin(Deprivation, (Deprivation.lsoa_code == Lsoa.code) & (Deprivation.edition == Lsoa.edition))
        .where(Lsoa.edition == edition, Lsoa.lad_code.in_(lads))
        .order_by(Lsoa.code)
    )  # fmt: skip
    rows = {}
    for record in session.connection().execute(query):
        code, name, lad, geometry, x, y, decile, rank, score, population, carried, carried_from = record
        rows[code] = AreaRow(
            code=code, name=name, lad_code=lad, geometry=geometry, x=x, y=y, imd_decile=decile, imd_rank=rank,
            imd_score=score, population=population, carried=carried or "", carried_from=carried_from or "",
        )  # fmt: skip
    if run is not None and category and rows:
        scores = (
            select(GapScore.lsoa_code, GapScore.nearest_m, GapScore.within_radius, GapScore.per_1000,
                   GapScore.area_covered, GapScore.demand, GapScore.score, GapScore.deprivation_part,
                   GapScore.provision_part, GapScore.demand_part, GapScore.deprivation_basis)
            .join(Lsoa, (Lsoa.code == GapScore.lsoa_code) & (Lsoa.edition == edition))
            .where(GapScore.run_id == run.id, GapScore.category_code == category, Lsoa.lad_code.in_(lads))
        )  # fmt: skip
        for code, *figures in session.connection().execute(scores):
            row = rows.get(code)
            if row is None:
                continue
            (row.nearest_m, row.within_radius, row.per_1000, row.area_covered, row.demand, row.score,
             row.deprivation_part, row.provision_part, row.demand_part, row.basis) = figures  # fmt: skip
    flags = gap_flag_counts(session, category)
    if flags is not None:
        for row in rows.values():
            row.flags = flags.get(row.code, 0)
    return list(rows.values())


def ranked(rows: list[AreaRow]) -> list[AreaRow]:
    """Highest gap score first; areas without a score last, then by deprivation decile."""
    return sorted(
        rows,
        key=lambda r: (r.score is None, -(r.score or 0.0), r.imd_decile if r.imd_decile is not None else 99, r.code),
    )


@dataclass
class AreaExplanation:
    lsoa: Lsoa
    deprivation: Deprivation | None
    run: GapRun | None
    scores: list[dict[str, Any]]
    services: list[dict[str, Any]]
    lad_name: str
    carried: str = ""  # a sentence saying how the deprivation was carried across LSOA editions, if it was
    place: PlaceName | None = None  # the name people know it by, with the ONS name and code for specialists


def explain_area(session: DbSession, config: Mapping[str, Any], code: str) -> AreaExplanation | None:
    """An LSOA's figures and, for every category, its gap score explained (``geo.gapscore.explain``)."""
    edition = page_edition(session)
    if edition is None:
        return None
    lsoa = session.scalars(select(Lsoa).where(Lsoa.edition == edition, Lsoa.code == code)).first()
    if lsoa is None:
        return None
    dep = session.scalars(
        select(Deprivation).where(Deprivation.edition == edition, Deprivation.lsoa_code == code)
    ).first()
    run = latest_run(session)
    names = category_names(session)
    scores: list[dict[str, Any]] = []
    if run is not None:
        stored = list(session.scalars(select(GapScore).where(GapScore.run_id == run.id, GapScore.lsoa_code == code)))
        if stored:
            frame = pd.DataFrame(
                {
                    "gap_score": [s.score for s in stored],
                    "deprivation_part": [s.deprivation_part for s in stored],
                    "deprivation_basis": [s.deprivation_basis for s in stored],
                    "nearest_m": [s.nearest_m for s in stored],
                    "per_1000": [s.per_1000 for s in stored],
                    "demand_events": [s.demand for s in stored],
                    "provision_part": [s.provision_part for s in stored],
                    "demand_part": [s.demand_part for s in stored],
                    "within_radius": [s.within_radius for s in stored],
                    "area_covered": [s.area_covered for s in stored],
                    "imd_rank": pd.array([dep.imd_rank if dep else None] * len(stored), dtype="Int64"),
                    "imd_score": [dep.imd_score if dep and dep.imd_score is not None else np.nan] * len(stored),
                }
            ).astype({"gap_score": float, "deprivation_part": float, "nearest_m": float, "per_1000": float})
            # A carried rank is a rank among the other edition's LSOAs, and says so ("rank r of N").
            rank_edition = other_edition(run.lsoa_edition) if dep is not None and dep.carried else run.lsoa_edition
            formulas = explain(frame, GapWeights(**run.weights), radius_m=run.radius_m, lsoa_edition=rank_edition)
            flags = flags_in(session, code)
            radius = float(run.radius_m)
            for item, text in zip(stored, formulas, strict=True):
                name = names.get(item.category_code, item.category_code)
                words = score_in_words(
                    category_name=name, decile=dep.imd_decile if dep else None, nearest_m=item.nearest_m,
                    within_radius=item.within_radius, radius_m=radius, area_covered=bool(item.area_covered),
                    flags=flags.get(item.category_code, 0), demand=item.demand,
                )  # fmt: skip
                scores.append({"category": item.category_code, "category_name": name, "score": item.score,
                               "row": item, "explanation": text, "words": words})  # fmt: skip
            scores.sort(key=lambda s: (s["score"] is None, -(s["score"] or 0.0), s["category_name"]))
    services = services_near(session, config, lsoa.x, lsoa.y)
    place = name_area(session, code)
    lad_name = place.authority or (dep.lad_name if dep and dep.lad_name else "")
    carried = describe(dep.carried, dep.carried_from, other_edition(edition)) if dep is not None else ""
    return AreaExplanation(lsoa, dep, run, scores, services, lad_name, carried, place)
