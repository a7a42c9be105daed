"""Computing gap scores: provision and a gap score for every stored LSOA x active category, from live
services, demand and deprivation, replacing the last gap run.

Reads the stored area data into DataFrames, hands them to the pure ``geo`` library (provision,
neighbours, demand, gap scores) and writes the run and its scores back. Nothing is committed here:
the command or job that computes commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import pandas as pd
from sqlalchemy import delete, select

from geo.crs import to_bng
from geo.demand import demand as demand_counts
from geo.gap_weights import GapWeights
from geo.gapscore import gap_scores
from geo.neighbours import neighbours
from geo.provision import AGE_DENOMINATORS, provision

from ..core.clock import utcnow
from ..core.db import DbSession
from ..models import GapRun, GapScore, ServiceArea, TaxonomyTerm, service_taxonomy
from .area_data import Progress, quiet
from .cache import bump_data_version
from .demand import demand_events
from .editions import choose_edition, coverage, other_edition
from .frames import deprivation_frame, insert_rows, lsoa_frame
from .live_services import live_services
from .lsoa_lookup import rank_scale
from .outlines import ensure_outlines

#: Neighbouring LSOAs may not quite touch once simplified: bridge gaps this wide (metres).
NEIGHBOUR_TOLERANCE_M = 25.0


def weights_from(config: Mapping[str, Any]) -> GapWeights:
    return GapWeights(
        deprivation=float(config["GAP_WEIGHT_DEPRIVATION"]),
        provision=float(config["GAP_WEIGHT_PROVISION"]),
        demand=float(config["GAP_WEIGHT_DEMAND"]),
        distance_scale_m=float(config["GAP_DISTANCE_SCALE_M"]),
    )


@dataclass
class GapRunReport:
    run_id: int
    computed_at: datetime
    lsoas: int
    categories: int
    rows: int
    matched: int
    services: int
    events: int
    edition: str
    basis: str
    notes: list[str]

    def __str__(self) -> str:
        lines = [
            f"Gap scores computed at {self.computed_at:%Y-%m-%d %H:%M} UTC: {self.rows:,} rows "
            f"({self.lsoas:,} LSOA {self.edition} x {self.categories} categories) from {self.services:,} "
            f"located live service-category rows and {self.events:,} demand events.",
            f"Deprivation joined for {self.matched:,} of {self.lsoas:,} LSOAs (basis: {self.basis}).",
        ]
        return "\n".join(lines + self.notes)


def age_denominators(population: pd.DataFrame, categories: list[str], notes: list[str]) -> dict[str, str]:
    """The age group each age-specific category is counted against, where every LSOA with a total has it.

    A category keeps the total population when its age group is missing for some LSOAs (a file without the
    age columns, or figures carried across LSOA editions): one denominator per category keeps LSOAs comparable.
    """
    chosen: dict[str, str] = {}
    for category, column in AGE_DENOMINATORS.items():
        if category not in categories or population.empty:
            continue
        if column in population and bool(population[column].notna().all()):
            chosen[category] = column
        else:
            notes.append(
                f"No {column.replace('_', ' ')} figures for every LSOA: {category} per 1,000 uses all residents."
            )
    return chosen


class NothingToCompute(ValueError):
    """No LSOA boundaries are stored, so there is nothing to compute gap scores for."""


def compute_gaps(
    session: DbSession, config: Mapping[str, Any], *, now: datetime | None = None, echo: Progress = quiet
) -> GapRunReport:
    """Recompute provision and gap scores for every stored LSOA x active category, replacing the last run.

    Also builds any local authority outline still missing (boundaries imported before outlines existed).
    Writes in the caller's transaction (no commit).
    """
    now = now or utcnow()
    edition = choose_edition(session)
    if edition is None:
        raise NothingToCompute(
            "No LSOA boundaries are stored: run `asset-directory geo import-boundaries FILE` first "
            "(and `asset-directory geo import-imd FILE ...` for deprivation)."
        )
    notes = [str(c) for c in coverage(session) if c.note]
    lsoas = lsoa_frame(session, edition)
    deprivation = deprivation_frame(session, edition)
    if deprivation.empty:
        notes.append(
            f"No LSOA {edition} deprivation figures are stored: provision is computed, gap scores are left empty."
        )
    carried = (deprivation["carried"] != "").to_numpy()
    if carried.any():
        # A carried rank is a rank among the other edition's LSOAs: rescale it so the deprivation part (rank 1 is 1,
        # the last rank 0) means the same as for a published rank of this edition.
        n_from, n_to = rank_scale(edition)
        ranks = deprivation.loc[carried, "imd_rank"].astype("Float64")
        deprivation.loc[carried, "imd_rank"] = (1 + (ranks - 1) * (n_to - 1) / (n_from - 1)).round().astype("Int64")
        notes.append(
            f"Deprivation for {int(carried.sum()):,} LSOAs was carried from LSOA {other_edition(edition)} by the ONS "
            f"lookup; their IMD ranks (of {n_from:,}) are rescaled to {n_to:,} LSOAs for the score."
        )
    deprivation = deprivation.drop(columns="carried")
    deprivation.attrs["lsoa_edition"] = edition
    categories = list(session.scalars(select(TaxonomyTerm.code).where(TaxonomyTerm.active).order_by(TaxonomyTerm.code)))
    echo(f"Measuring provision for {len(lsoas):,} LSOAs x {len(categories)} categories ...")
    services = live_services(session, config, now)
    located = services.dropna(subset=["latitude", "longitude"])
    x, y = to_bng(located["longitude"].to_numpy(float), located["latitude"].to_numpy(float))
    points = pd.DataFrame({"service_id": located["service_id"].to_numpy(), "category": located["category"].to_numpy(),
                           "x": x, "y": y})  # fmt: skip
    area_rows = session.execute(
        select(ServiceArea.service_id, ServiceArea.lad_code, TaxonomyTerm.code)
        .join(service_taxonomy, service_taxonomy.c.service_id == ServiceArea.service_id)
        .join(TaxonomyTerm, TaxonomyTerm.id == service_taxonomy.c.taxonomy_term_id)
    ).all()
    live_ids = set(services["service_id"])
    service_area_lads = pd.DataFrame(
        [(category, lad) for service_id, lad, category in area_rows if service_id in live_ids],
        columns=["category", "lad_code"],
    )
    centres = pd.DataFrame({"lsoa_code": lsoas["lsoa_code"], "x": lsoas["x"], "y": lsoas["y"],
                            "lad_code": lsoas["lad_code"].fillna("")})  # fmt: skip
    centres.attrs["lsoa_edition"] = edition
    population = deprivation.dropna(subset=["population"])
    denominators = age_denominators(population, categories, notes)
    population = population[["lsoa_code", "population", *dict.fromkeys(denominators.values())]]
    measured = provision(
        centres,
        points,
        categories=categories,
        radius_m=float(config["GAP_RADIUS_M"]),
        population=population if len(population) else None,
        service_area_lads=service_area_lads if len(service_area_lads) else None,
        denominators=denominators,
    )
    events = demand_events(session)
    since = now - timedelta(days=int(config["GAP_DEMAND_DAYS"]))
    demand = None
    events_in_window = 0
    if len(events):
        pairs = neighbours(lsoas[["lsoa_code", "geometry"]], tolerance_m=NEIGHBOUR_TOLERANCE_M)
        demand = demand_counts(events, pairs, since=since, until=now + timedelta(days=1))
        events_in_window = int(demand.attrs.get("events_in_window", 0))
        demand.attrs["lsoa_edition"] = edition
    weights = weights_from(config)
    scores = gap_scores(deprivation, measured, demand, weights, lsoa_edition=edition, explain_rows=False)
    cover = scores.attrs["coverage"]
    echo(f"Storing {len(scores):,} gap scores ...")
    session.execute(delete(GapScore))
    session.execute(delete(GapRun))
    run = GapRun(
        computed_at=now, lsoa_edition=edition, deprivation_basis=str(scores.attrs["deprivation_basis"]),
        lsoas=int(cover["lsoas"]), matched=int(cover["matched"]), services=len(points),
        events=events_in_window, radius_m=float(config["GAP_RADIUS_M"]), weights=scores.attrs["weights"],
        notes=notes,
    )  # fmt: skip
    session.add(run)
    session.flush()
    table = pd.DataFrame(
        {
            "run_id": run.id,
            "lsoa_code": scores["lsoa_code"].astype(str),
            "category_code": scores["category"].astype(str),
            "nearest_m": scores["nearest_m"].round(1),
            "within_radius": scores["within_radius"].astype(int),
            "per_1000": scores["per_1000"].round(3),
            "area_covered": scores["area_covered"].astype(bool),
            "demand": scores["demand_events"].astype(float),
            "deprivation_basis": scores["deprivation_basis"].astype(str),
            "deprivation_part": scores["deprivation_part"].round(4),
            "provision_part": scores["provision_part"].round(4),
            "demand_part": scores["demand_part"].round(4),
            "score": scores["gap_score"].round(2),
            "computed_at": now,
        }
    )
    table = table.astype(object).where(table.notna(), None)
    records = cast(list[dict[str, Any]], table.to_dict("records"))
    insert_rows(session, GapScore, records, chunk=10_000)
    ensure_outlines(session, edition)
    bump_data_version(session)
    return GapRunReport(
        run_id=run.id, computed_at=now, lsoas=int(cover["lsoas"]), categories=len(categories), rows=len(records),
        matched=int(cover["matched"]), services=len(points), events=events_in_window, edition=edition,
        basis=str(scores.attrs["deprivation_basis"]), notes=notes,
    )  # fmt: skip
