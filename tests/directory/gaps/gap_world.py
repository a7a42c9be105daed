"""A tiny world for the gap tests, in the official file formats, whose figures can be worked out by hand.

Three LSOA 2011 squares of 1 km side in a row in British National Grid (A, B, C west to east, in
Blackpool E06000009), so centres are 1 km apart; IoD2019 File 1 and File 6 rows for them; and
services placed at the centres through the real postcode table and write path.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask

from directory.cli import cli
from directory.core.db import db
from directory.core.writes import Actor
from directory.gaps.area_data import import_boundaries, import_deprivation
from directory.gaps.compute import compute_gaps
from directory.listings.operations import create
from directory.models import DemandEvent, Postcode
from geo.crs import to_wgs84
from tests.geo.conftest import FILE1_HEADERS, FILE6_HEADERS, csv_bytes

X0, Y0 = 331_000.0, 436_000.0  # Blackpool, British National Grid metres
CODES = ("E01900001", "E01900002", "E01900003")
NAMES = ("Gapton 001A", "Gapton 001B", '=HYPERLINK("http://x") 001C')  # C's name is a formula, as a file might hold
RANKS = (100, 16_422, 32_844)
DECILES = (1, 5, 10)
POPULATION = (1000, 2000, 1500)
LAD = "E06000009"
HOSTILE = "<img src=x onerror=alert(1)>${alert(2)}`</script><b>Carers</b>"
SEEDER = Actor(label="staff: gap-tests@example.org", source="staff")
POSTCODES = {"A": "FY4 1AA", "B": "FY4 1AB", "C": "FY4 1AD"}


def centre(index: int) -> tuple[float, float]:
    return X0 + 500.0 + 1000.0 * index, Y0 + 500.0


def write_iod(folder: Path) -> list[Path]:
    """IoD2019 File 1 (ranks, deciles) and File 6 (population) for the three LSOAs, with official headers."""
    file1 = folder / "File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv"
    file1.write_bytes(
        csv_bytes(
            FILE1_HEADERS,
            [
                [c, f"Gapton {c[-1]}", LAD, "Blackpool", f"{r:,}", d]
                for c, r, d in zip(CODES, RANKS, DECILES, strict=True)
            ],
            bom=True,
        )
    )
    file6 = folder / "File_6_-_IoD2019_Population_Denominators.csv"
    file6.write_bytes(
        csv_bytes(
            FILE6_HEADERS,
            [
                [c, f"Gapton {c[-1]}", LAD, "Blackpool", f"{p:,}", 200, 500, 300, 600]
                for c, p in zip(CODES, POPULATION, strict=True)
            ],
            bom=True,
        )
    )
    return [file1, file6]


def write_iod_rows(folder: Path, rows: list[tuple[str, int, int, int]], *, lad_name: str = "Blackpool") -> list[Path]:
    """IoD2019 File 1 and File 6 for any (code, rank, decile, population) rows, with official headers."""
    file1 = folder / "File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv"
    ranks = [[c, f"Gapton {c[-2:]}", LAD, lad_name, f"{r:,}", d] for c, r, d, _p in rows]
    file1.write_bytes(csv_bytes(FILE1_HEADERS, ranks, bom=True))
    file6 = folder / "File_6_-_IoD2019_Population_Denominators.csv"
    file6.write_bytes(
        csv_bytes(
            FILE6_HEADERS,
            [[c, f"Gapton {c[-2:]}", LAD, lad_name, f"{p:,}", 200, 500, 300, 600] for c, _r, _d, p in rows],
            bom=True,
        )
    )
    return [file1, file6]


LOOKUP_HEADERS = ["FID", "LSOA11CD", "LSOA11NM", "LSOA21CD", "LSOA21NM", "CHGIND", "LAD22CD", "LAD22NM", "LAD22NMW"]


def write_lookup(folder: Path, pairs: list[tuple[str, str, str]]) -> Path:
    """The ONS LSOA (2011) to LSOA (2021) to LAD (2022) lookup, in its published layout, for (2011, 2021, CHGIND)."""
    path = folder / "LSOA_(2011)_to_LSOA_(2021)_to_Local_Authority_District_(2022)_Lookup_for_England_and_Wales.csv"
    rows = [[i + 1, old, f"Old {old[-2:]}", new, f"New {new[-2:]}", change, LAD, "Blackpool", ""]
            for i, (old, new, change) in enumerate(pairs)]  # fmt: skip
    path.write_bytes(csv_bytes(LOOKUP_HEADERS, rows, bom=True))
    return path


def boundaries_geojson(codes: tuple[str, ...] = CODES, *, edition: str = "2011") -> dict[str, Any]:
    features = []
    for index, code in enumerate(codes):
        x, y = X0 + 1000.0 * index, Y0
        ring = [[x, y], [x + 1000, y], [x + 1000, y + 1000], [x, y + 1000], [x, y]]
        features.append(
            {
                "type": "Feature",
                "properties": {f"LSOA{edition[2:]}CD": code, f"LSOA{edition[2:]}NM": NAMES[index], "LADCD_ACTIVE": LAD},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )
    return {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::27700"}},
        "features": features,
    }


def write_boundaries(folder: Path, *, edition: str = "2011") -> Path:
    path = folder / f"lsoa{edition[2:]}_test_bgc.geojson"
    path.write_text(json.dumps(boundaries_geojson(edition=edition)))
    return path


def add_services(session: Any) -> dict[str, int]:
    """Postcodes at the three centres; a fresh carers' service at A (hostile name, funding ending in 30 days),
    a stale carers' service at C (ignored), and three recent carers' signpostings recorded in C."""
    for index, key in enumerate("ABC"):
        x, y = centre(index)
        lon, lat = to_wgs84([x], [y])
        pcds = POSTCODES[key]
        session.add(Postcode(postcode_key=pcds.replace(" ", ""), pcds=pcds, latitude=float(lat[0]),
                             longitude=float(lon[0]), lsoa_code=CODES[index], lad_code=LAD))  # fmt: skip
    session.commit()
    now = datetime.now(UTC).replace(tzinfo=None)
    organisation = create(session, "organization", {"name": "Gapton Carers' Trust", "sector": "voluntary"}, SEEDER)
    fresh = create(
        session,
        "service",
        {
            "organization_id": organisation.id,
            "name": HOSTILE,
            "categories": ["carers"],
            "last_verified_at": (now - timedelta(days=10)).isoformat(timespec="seconds"),
            "funding_status": "time-limited",
            "funded_until": (date.today() + timedelta(days=30)).isoformat(),
            "locations": [
                {"name": "Hall", "address_1": "1 Gap Street", "city": "Blackpool", "postcode": POSTCODES["A"]}
            ],
        },
        SEEDER,
    )
    stale = create(
        session,
        "service",
        {
            "organization_id": organisation.id,
            "name": "Old carers' group",
            "categories": ["carers"],
            "last_verified_at": (now - timedelta(days=400)).isoformat(timespec="seconds"),
            "locations": [
                {"name": "Chapel", "address_1": "3 Gap Street", "city": "Blackpool", "postcode": POSTCODES["C"]}
            ],
        },
        SEEDER,
    )
    for _ in range(3):
        session.add(DemandEvent(kind="signposting", category_code="carers", lsoa_code=CODES[2],
                                occurred_on=date.today() - timedelta(days=10)))  # fmt: skip
    session.commit()
    return {"fresh": fresh.id, "stale": stale.id}


def seed(session: Any, config: Any, folder: Path) -> dict[str, int]:
    """Import the files, add the services and compute gap scores: the whole world, for browser tests too."""
    folder.mkdir(parents=True, exist_ok=True)
    import_deprivation(session, write_iod(folder))
    import_boundaries(session, write_boundaries(folder))
    session.commit()
    ids = add_services(session)
    compute_gaps(session, config)
    session.commit()
    return ids


def load_with_commands(app: Flask, folder: Path) -> dict[str, Any]:
    """The whole world loaded as an operator loads it, through the import and compute commands; with the
    service ids and each command's output."""
    runner = app.test_cli_runner()
    imported = runner.invoke(cli, ["geo", "import-imd", *map(str, write_iod(folder))])
    assert imported.exit_code == 0, imported.output
    boundaries = runner.invoke(cli, ["geo", "import-boundaries", str(write_boundaries(folder))])
    assert boundaries.exit_code == 0, boundaries.output
    with app.app_context():
        ids = add_services(db.session)
        db.session.remove()
    computed = runner.invoke(cli, ["gaps", "compute"])
    assert computed.exit_code == 0, computed.output
    return {**ids, "imd_output": imported.output, "boundaries_output": boundaries.output, "compute": computed.output}
