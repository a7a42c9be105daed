"""Listings, named after Open Referral UK: organization, service, location, service_at_location,
taxonomy_term, schedule, contact, service_area; with their waiting times, revisions and the postcode table."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    Time,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core import vocab
from ..core.clock import utcnow
from ..core.db import db
from .base import allowed

service_taxonomy = Table(
    "service_taxonomy",
    db.metadata,
    Column("service_id", ForeignKey("service.id", ondelete="CASCADE"), primary_key=True),
    Column("taxonomy_term_id", ForeignKey("taxonomy_term.id"), primary_key=True),
    # A need's services, for England-wide searches by need (migration 0015).
    Index("ix_service_taxonomy_term_service", "taxonomy_term_id", "service_id"),
)


service_at_location = Table(
    "service_at_location",
    db.metadata,
    Column("service_id", ForeignKey("service.id", ondelete="CASCADE"), primary_key=True),
    Column("location_id", ForeignKey("location.id"), primary_key=True),
    # Search starts from the locations near a postcode and needs their services without a full scan.
    Index("ix_service_at_location_location_id", "location_id"),
)


class Organization(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "organization"
    __table_args__ = (allowed("sector", vocab.SECTORS),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    sector: Mapped[str] = mapped_column(String(32), default="community")
    charity_number: Mapped[str | None] = mapped_column(String(32))
    website: Mapped[str | None] = mapped_column(String(500))
    email: Mapped[str | None] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(64))
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    services: Mapped[list[Service]] = relationship(back_populates="organization")

    __mapper_args__ = {"version_id_col": version}


class TaxonomyTerm(db.Model):  # type: ignore[name-defined,misc]
    """A category of need, from the shipped social prescribing taxonomy or added by an admin."""

    __tablename__ = "taxonomy_term"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    vocabulary: Mapped[str] = mapped_column(String(64), default="social-prescribing-needs")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Location(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "location"
    # Search finds places near a postcode with a bounding box on these two columns.
    __table_args__ = (db.Index("ix_location_latitude_longitude", "latitude", "longitude"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    address_1: Mapped[str] = mapped_column(String(255), default="")
    city: Mapped[str] = mapped_column(String(128), default="")
    postcode: Mapped[str | None] = mapped_column(String(16), index=True)
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    lsoa_code: Mapped[str | None] = mapped_column(String(16), index=True)
    lad_code: Mapped[str | None] = mapped_column(String(16), index=True)
    accessibility: Mapped[list[str]] = mapped_column(JSON, default=list)

    services: Mapped[list[Service]] = relationship(secondary=service_at_location, back_populates="locations")


class Service(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "service"
    __table_args__ = (
        allowed("status", vocab.SERVICE_STATUSES),
        allowed("capacity", vocab.CAPACITY),
        allowed("funding_status", vocab.FUNDING_STATUSES),
        allowed("gender", vocab.GENDERS),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    name: Mapped[str] = mapped_column(String(255), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str | None] = mapped_column(String(500))
    email: Mapped[str | None] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="active", index=True)
    paused_until: Mapped[date | None] = mapped_column(Date)  # a pause with a date ends by itself, with a check
    # Eligibility
    minimum_age: Mapped[int | None]
    maximum_age: Mapped[int | None]
    gender: Mapped[str] = mapped_column(String(32), default="any")
    eligibility_conditions: Mapped[str] = mapped_column(Text, default="")
    # Cost
    is_free: Mapped[bool] = mapped_column(Boolean, default=True)
    cost_description: Mapped[str] = mapped_column(Text, default="")
    # Referral
    referral_routes: Mapped[list[str]] = mapped_column(JSON, default=list)
    referral_form_url: Mapped[str | None] = mapped_column(String(500))
    referral_form_file: Mapped[str | None] = mapped_column(String(64))  # stored name, see referral_forms.py
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    accessibility: Mapped[list[str]] = mapped_column(JSON, default=list)
    delivery_modes: Mapped[list[str]] = mapped_column(JSON, default=list)
    capacity: Mapped[str] = mapped_column(String(16), default="accepting")
    # Funding
    funding_status: Mapped[str] = mapped_column(String(16), default="unknown")
    funder: Mapped[str] = mapped_column(String(255), default="")
    funded_until: Mapped[date | None] = mapped_column(Date)
    funding_notes: Mapped[str] = mapped_column(Text, default="")  # staff only
    internal_notes: Mapped[str] = mapped_column(Text, default="")  # staff only
    # Verification
    last_verified_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    verified_by: Mapped[str] = mapped_column(String(255), default="")
    verified_how: Mapped[str] = mapped_column(String(32), default="")

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    organization: Mapped[Organization] = relationship(back_populates="services")
    categories: Mapped[list[TaxonomyTerm]] = relationship(secondary=service_taxonomy, order_by=TaxonomyTerm.name)
    locations: Mapped[list[Location]] = relationship(secondary=service_at_location, back_populates="services")
    service_areas: Mapped[list[ServiceArea]] = relationship(
        cascade="all, delete-orphan", order_by="ServiceArea.lad_code"
    )
    schedules: Mapped[list[Schedule]] = relationship(cascade="all, delete-orphan", order_by="Schedule.id")
    contacts: Mapped[list[Contact]] = relationship(cascade="all, delete-orphan", order_by="Contact.id")
    waiting_times: Mapped[list[WaitingTimeReport]] = relationship(
        order_by="WaitingTimeReport.reported_at.desc()", viewonly=True
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def latest_wait(self) -> WaitingTimeReport | None:
        return self.waiting_times[0] if self.waiting_times else None


class ServiceArea(db.Model):  # type: ignore[name-defined,misc]
    """A local authority a service covers without a fixed place."""

    __tablename__ = "service_area"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"), index=True)
    lad_code: Mapped[str] = mapped_column(String(16), index=True)


class Schedule(db.Model):  # type: ignore[name-defined,misc]
    """A recurring session, as an RFC 5545 rule in ORUK's terms, or an 'by appointment' note.

    Weekly: ``byday`` every ``interval`` weeks (fortnightly counts from ``dtstart``). Monthly: the
    ``week_of_month``-th ``byday`` (1..5, -1 the last), or day ``bymonthday`` of the month (-1 the last).
    Sessions happen only between ``valid_from`` and ``valid_to`` and never on ``except_dates``
    (ISO dates: holidays, a cancelled week). See listings/timetable.py.
    """

    __tablename__ = "schedule"
    __table_args__ = (allowed("freq", vocab.FREQUENCIES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"), index=True)
    byday: Mapped[str | None] = mapped_column(String(2))
    opens_at: Mapped[time | None] = mapped_column(Time)
    closes_at: Mapped[time | None] = mapped_column(Time)
    by_appointment: Mapped[bool] = mapped_column(Boolean, default=False)
    description: Mapped[str] = mapped_column(String(255), default="")
    freq: Mapped[str] = mapped_column(String(8), default="WEEKLY", server_default="WEEKLY")
    interval: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    week_of_month: Mapped[int | None] = mapped_column(Integer)
    bymonthday: Mapped[int | None] = mapped_column(Integer)
    dtstart: Mapped[date | None] = mapped_column(Date)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    except_dates: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")


class Contact(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    title: Mapped[str] = mapped_column(String(255), default="")
    phone: Mapped[str] = mapped_column(String(64), default="")
    email: Mapped[str] = mapped_column(String(255), default="")


class WaitingTimeReport(db.Model):  # type: ignore[name-defined,misc]
    """One report of a service's wait; kept as history, the newest is shown."""

    __tablename__ = "waiting_time_report"
    __table_args__ = (
        allowed("source", vocab.WAIT_SOURCES),
        # The latest report per service, read for every search result.
        db.Index("ix_waiting_time_report_service_latest", "service_id", "reported_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"), index=True)
    weeks: Mapped[int]
    reported_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    reported_by: Mapped[str] = mapped_column(String(255), default="")  # staff only
    source: Mapped[str] = mapped_column(String(16), default="link-worker")


class Revision(db.Model):  # type: ignore[name-defined,misc]
    """Who changed which listing, when, from where, and what it was before and after."""

    __tablename__ = "revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(255))
    source: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any]] = mapped_column(JSON)

    __table_args__ = (db.Index("ix_revision_entity", "entity_type", "entity_id", "version"),)

    @property
    def changed_fields(self) -> list[str]:
        before = self.before or {}
        return sorted(k for k in self.after if before.get(k) != self.after.get(k))


class Postcode(db.Model):  # type: ignore[name-defined,misc]
    """A live postcode from the official ONS/OS files: its point, LSOA and local authority."""

    __tablename__ = "postcode"
    # A place with coordinates and no postcode takes the areas of the nearest postcode (``postcodes.areas_near``).
    __table_args__ = (db.Index("ix_postcode_latitude_longitude", "latitude", "longitude"),)

    postcode_key: Mapped[str] = mapped_column(String(8), primary_key=True)  # no spaces
    pcds: Mapped[str] = mapped_column(String(8), index=True)
    latitude: Mapped[float]
    longitude: Mapped[float]
    lsoa_code: Mapped[str | None] = mapped_column(String(16), index=True)
    lad_code: Mapped[str | None] = mapped_column(String(16), index=True)
