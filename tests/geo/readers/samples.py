"""Small sample rows and shapes shared by the reader tests, with answers worked out by hand."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
from pyproj import Transformer
from shapely.geometry import box

from geo import BRITISH_NATIONAL_GRID, WGS84

BLACKPOOL = "E06000009"
BURNLEY = "E07000117"

FILE1_ROWS = [
    ["E01012678", "Blackpool 010A", BLACKPOOL, "Blackpool", "1", "1"],
    ["E01012679", "Blackpool 010B", BLACKPOOL, "Blackpool", "29,199", "9"],
    ["E01024897", "Burnley 001A", BURNLEY, "Burnley", "32,844", "10"],
]


def file2_rows() -> list[list[str]]:
    rows = []
    for number, (code, name, lad, lad_name, rank, decile) in enumerate(FILE1_ROWS):
        row = [code, name, lad, lad_name, rank.replace(",", ""), decile]
        for domain in range(7):  # domain d gets rank 100*(d+1)+row, decile d+1
            row += [str(100 * (domain + 1) + number), str(domain + 1)]
        rows.append(row)
    return rows


# Postcodes: NSPL as published.

NSPL_HEADERS = [
    "pcd",
    "pcd2",
    "pcds",
    "dointr",
    "doterm",
    "usertype",
    "oseast1m",
    "osnrth1m",
    "osgrdind",
    "oa11",
    "cty",
    "ced",
    "laua",
    "ward",
    "lsoa11",
    "msoa11",
    "lsoa21",
    "msoa21",
    "lat",
    "long",
]


def nspl_row(
    pcds: str,
    laua: str,
    lsoa11: str,
    lsoa21: str,
    lat: str,
    long: str,
    doterm: str = "",
) -> list[str]:
    pcd7 = pcds.replace(" ", "").ljust(7)
    return [
        pcd7,
        pcds,
        pcds,
        "199001",
        doterm,
        "0",
        "330711",
        "436623",
        "1",
        "E00063923",
        "E99999999",
        "E99999999",
        laua,
        "E05015190",
        lsoa11,
        "E02002638",
        lsoa21,
        "E02006800",
        lat,
        long,
    ]


NSPL_ROWS = [
    nspl_row("FY1 1AN", BLACKPOOL, "E01012681", "E01033001", "53.821250", "-3.054000"),
    nspl_row("FY1 1AP", BLACKPOOL, "E01012736", "E01033002", "53.817330", "-3.056380"),
    nspl_row(
        "FY1 1ZZ",
        BLACKPOOL,
        "E01012736",
        "E01033002",
        "53.817000",
        "-3.056000",
        doterm="201901",
    ),
    nspl_row("FY1 9ZZ", BLACKPOOL, "", "", "99.999999", "0.000000"),  # no grid reference
    nspl_row("BB11 1AA", BURNLEY, "E01024897", "E01033500", "53.789000", "-2.243000"),
]


# Boundaries: four 1 km squares in British National Grid.

TO_WGS84 = Transformer.from_crs(BRITISH_NATIONAL_GRID, WGS84, always_xy=True)
ORIGIN = (330000.0, 436000.0)  # Blackpool, in British National Grid metres


def bng_squares() -> gpd.GeoDataFrame:
    """Four 1 km squares in a 2 x 2 grid: A (south-west), B (south-east), C, D (north)."""
    x, y = ORIGIN
    squares = {
        "E01000001": box(x, y, x + 1000, y + 1000),
        "E01000002": box(x + 1000, y, x + 2000, y + 1000),
        "E01000003": box(x, y + 1000, x + 1000, y + 2000),
        "E01000004": box(x + 1000, y + 1000, x + 2000, y + 2000),
    }
    return gpd.GeoDataFrame(
        {
            "lsoa11cd": list(squares),
            "lsoa11nm": [f"Square {n}" for n in "ABCD"],
            "lad11cd": [BLACKPOOL, BLACKPOOL, BURNLEY, BURNLEY],
        },
        geometry=list(squares.values()),
        crs=BRITISH_NATIONAL_GRID,
    )


def geojson(path: Path, frame: gpd.GeoDataFrame) -> Path:
    frame.to_file(path, driver="GeoJSON")
    return path


def bng_point(east: float, north: float) -> tuple[float, float]:
    """(lat, long) of a British National Grid point."""
    long, lat = TO_WGS84.transform(east, north)
    return float(lat), float(long)
