"""Models for: Deprivation, boundaries and gap scores (issue 4), the LSOA 2011/2021 lookup and authority outlines.

LSOA codes are only unique within an edition (2011 or 2021): every table keys them by both, so
IoD2019 (LSOA 2011) never joins silently onto LSOA 2021 boundaries.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..core.clock import utcnow
from ..core.db import db


class Lsoa(db.Model):  # type: ignore[name-defined,misc]
    """A Lower layer Super Output Area: its generalised outline for maps and its centre for distances."""

    __tablename__ = "lsoa"
    __table_args__ = (UniqueConstraint("edition", "code", name="uq_lsoa_edition_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), index=True)
    edition: Mapped[str] = mapped_column(String(4))  # "2011" or "2021"
    name: Mapped[str] = mapped_column(String(255), default="")
    lad_code: Mapped[str | None] = mapped_column(String(16), index=True)
    geometry: Mapped[str] = mapped_column(Text)  # GeoJSON geometry, WGS84, simplified, 5 decimals
    x: Mapped[float] = mapped_column(Float)  # geometric centroid, British National Grid metres
    y: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(255), default="")
    imported_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Deprivation(db.Model):  # type: ignore[name-defined,misc]
    """One LSOA's English Indices of Deprivation figures, as published."""

    __tablename__ = "deprivation"
    __table_args__ = (UniqueConstraint("edition", "lsoa_code", name="uq_deprivation_edition_lsoa_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lsoa_code: Mapped[str] = mapped_column(String(16), index=True)
    edition: Mapped[str] = mapped_column(String(4))
    lsoa_name: Mapped[str] = mapped_column(String(255), default="")
    lad_code: Mapped[str | None] = mapped_column(String(16), index=True)  # as published (LAD 2019 for IoD2019)
    lad_name: Mapped[str] = mapped_column(String(255), default="")
    source_kind: Mapped[str] = mapped_column(String(128))  # e.g. "IoD2019 File 1 + IoD2019 File 6"
    imd_score: Mapped[float | None] = mapped_column(Float)
    imd_rank: Mapped[int | None] = mapped_column(Integer)
    imd_decile: Mapped[int | None] = mapped_column(Integer)
    population: Mapped[int | None] = mapped_column(Integer)
    # The age denominators published beside the total (File 6/7): provision for children and older people is
    # measured against them.
    population_0_15: Mapped[int | None] = mapped_column(Integer)
    population_16_59: Mapped[int | None] = mapped_column(Integer)
    population_60_plus: Mapped[int | None] = mapped_column(Integer)
    population_working_age: Mapped[int | None] = mapped_column(Integer)
    domains: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # {"income": {"rank": .., "decile": ..}}
    has_scores: Mapped[bool] = mapped_column(Boolean, default=False)
    imported_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # "" when published for this edition; else carried across by the ONS LSOA 2011 <-> 2021 lookup, with the
    # boundary change it was carried over ("unchanged", "split", "merged", "irregular") and the source LSOAs.
    carried: Mapped[str] = mapped_column(String(16), default="", server_default="")
    carried_from: Mapped[str] = mapped_column(Text, default="", server_default="")


class GapRun(db.Model):  # type: ignore[name-defined,misc]
    """One computation of provision and gap scores: when, with what weights, and how much matched."""

    __tablename__ = "gap_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    computed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    lsoa_edition: Mapped[str] = mapped_column(String(4))
    deprivation_basis: Mapped[str] = mapped_column(String(16))  # score | rank | missing
    lsoas: Mapped[int] = mapped_column(Integer, default=0)
    matched: Mapped[int] = mapped_column(Integer, default=0)  # LSOAs with deprivation figures
    services: Mapped[int] = mapped_column(Integer, default=0)  # located service x category rows used
    events: Mapped[int] = mapped_column(Integer, default=0)  # demand events in the window
    radius_m: Mapped[float] = mapped_column(Float)
    weights: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    notes: Mapped[list[str]] = mapped_column(JSON, default=list)


class GapScore(db.Model):  # type: ignore[name-defined,misc]
    """Provision and the gap score of one LSOA for one category, from one run."""

    __tablename__ = "gap_score"
    __table_args__ = (UniqueConstraint("run_id", "lsoa_code", "category_code", name="uq_gap_score_run_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("gap_run.id", ondelete="CASCADE"), index=True)
    lsoa_code: Mapped[str] = mapped_column(String(16), index=True)
    category_code: Mapped[str] = mapped_column(String(64), index=True)
    nearest_m: Mapped[float | None] = mapped_column(Float)
    within_radius: Mapped[int] = mapped_column(Integer, default=0)
    per_1000: Mapped[float | None] = mapped_column(Float)
    area_covered: Mapped[bool] = mapped_column(Boolean, default=False)
    demand: Mapped[float] = mapped_column(Float, default=0.0)
    deprivation_basis: Mapped[str] = mapped_column(String(16))
    deprivation_part: Mapped[float | None] = mapped_column(Float)
    provision_part: Mapped[float] = mapped_column(Float)
    demand_part: Mapped[float] = mapped_column(Float)
    score: Mapped[float | None] = mapped_column(Float, index=True)
    computed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class LsoaLookup(db.Model):  # type: ignore[name-defined,misc]
    """One row of the ONS LSOA (2011) to LSOA (2021) to LAD (2022) lookup, as published."""

    __tablename__ = "lsoa_lookup"
    __table_args__ = (UniqueConstraint("lsoa11_code", "lsoa21_code", name="uq_lsoa_lookup_lsoa11_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lsoa11_code: Mapped[str] = mapped_column(String(16), index=True)
    lsoa11_name: Mapped[str] = mapped_column(String(255), default="")
    lsoa21_code: Mapped[str] = mapped_column(String(16), index=True)
    lsoa21_name: Mapped[str] = mapped_column(String(255), default="")
    change: Mapped[str] = mapped_column(String(1))  # CHGIND: U unchanged, S split, M merged, X irregular
    lad_code: Mapped[str] = mapped_column(String(16), default="")  # LAD22CD
    lad_name: Mapped[str] = mapped_column(String(255), default="")
    source: Mapped[str] = mapped_column(String(255), default="")
    imported_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class LadOutline(db.Model):  # type: ignore[name-defined,misc]
    """A local authority's outline, dissolved from its stored LSOAs, for maps aggregated to authorities."""

    __tablename__ = "lad_outline"
    __table_args__ = (UniqueConstraint("edition", "lad_code", name="uq_lad_outline_edition_lad_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    edition: Mapped[str] = mapped_column(String(4))  # the LSOA edition it was dissolved from
    lad_code: Mapped[str] = mapped_column(String(16), index=True)
    lsoas: Mapped[int] = mapped_column(Integer, default=0)
    geometry: Mapped[str] = mapped_column(Text)  # GeoJSON geometry, WGS84, simplified, 5 decimals
    x: Mapped[float] = mapped_column(Float)  # a point inside it, British National Grid metres
    y: Mapped[float] = mapped_column(Float)
    built_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
