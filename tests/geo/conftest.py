"""Small files in the official formats, written per test, a loopback HTTP server, and a grid of 1 km squares.

Header strings are copied exactly from the official files (see docs/data.md), so the tests
check the readers against what the publishers actually write.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import box

from geo import BRITISH_NATIONAL_GRID

RANK = "Rank (where 1 is most deprived)"
DECILE = "Decile (where 1 is most deprived 10% of LSOAs)"
WORKING_AGE_2015 = "Working age population 18-59/64: for use with Employment Deprivation Domain"
DOMAIN_LABELS = [
    "Income",
    "Employment",
    "Education, Skills and Training",
    "Health Deprivation and Disability",
    "Crime",
    "Barriers to Housing and Services",
    "Living Environment",
]


def id_headers(lsoa_year: str = "2011", lad_year: str = "2019") -> list[str]:
    return [
        f"LSOA code ({lsoa_year})",
        f"LSOA name ({lsoa_year})",
        f"Local Authority District code ({lad_year})",
        f"Local Authority District name ({lad_year})",
    ]


# IoD2019 File 1 as saved to CSV from the official xlsx (short IMD headers).
FILE1_HEADERS = [
    *id_headers(),
    "Index of Multiple Deprivation (IMD) Rank",
    "Index of Multiple Deprivation (IMD) Decile",
]
# IoD2019 File 2: IMD and the seven domains, ranks and deciles.
FILE2_HEADERS = [
    *id_headers(),
    f"Index of Multiple Deprivation (IMD) {RANK}",
    f"Index of Multiple Deprivation (IMD) {DECILE}",
    *[f"{label} {kind}" for label in DOMAIN_LABELS for kind in (RANK, DECILE)],
]
# IoD2019 File 5: scores.
FILE5_HEADERS = [
    *id_headers(),
    "Index of Multiple Deprivation (IMD) Score",
    "Income Score (rate)",
    "Employment Score (rate)",
    "Education, Skills and Training Score",
    "Health Deprivation and Disability Score",
    "Crime Score",
    "Barriers to Housing and Services Score",
    "Living Environment Score",
    "Income Deprivation Affecting Children Index (IDACI) Score (rate)",
    "Income Deprivation Affecting Older People (IDAOPI) Score (rate)",
]
# IoD2019 File 6: population denominators.
FILE6_HEADERS = [
    *id_headers(),
    "Total population: mid 2015 (excluding prisoners)",
    "Dependent Children aged 0-15: mid 2015 (excluding prisoners)",
    "Population aged 16-59: mid 2015 (excluding prisoners)",
    "Older population aged 60 and over: mid 2015 (excluding prisoners)",
    f"{WORKING_AGE_2015} (excluding prisoners)",
]


def file7_headers(edition: str = "2019") -> list[str]:
    """IoD File 7 (all scores, ranks, deciles, denominators), 2019 or 2025 naming."""
    scores = {
        "Income": "Income Score (rate)",
        "Employment": "Employment Score (rate)",
    }
    headers = id_headers("2011", "2019") if edition == "2019" else id_headers("2021", "2024")
    headers += [
        "Index of Multiple Deprivation (IMD) Score",
        f"Index of Multiple Deprivation (IMD) {RANK}",
        f"Index of Multiple Deprivation (IMD) {DECILE}",
    ]
    for label in DOMAIN_LABELS:
        headers += [scores.get(label, f"{label} Score"), f"{label} {RANK}", f"{label} {DECILE}"]
    headers += [
        "Income Deprivation Affecting Children Index (IDACI) Score (rate)",
        f"Income Deprivation Affecting Children Index (IDACI) {RANK}",
        f"Income Deprivation Affecting Children Index (IDACI) {DECILE}",
        "Income Deprivation Affecting Older People (IDAOPI) Score (rate)",
        f"Income Deprivation Affecting Older People (IDAOPI) {RANK}",
        f"Income Deprivation Affecting Older People (IDAOPI) {DECILE}",
    ]
    for sub in (
        "Children and Young People",
        "Adult Skills",
        "Geographical Barriers",
        "Wider Barriers",
        "Indoors",
        "Outdoors",
    ):
        headers += [
            f"{sub} Sub-domain Score",
            f"{sub} Sub-domain {RANK}",
            f"{sub} Sub-domain {DECILE}",
        ]
    if edition == "2019":
        headers += [
            "Total population: mid 2015 (excluding prisoners)",
            "Dependent Children aged 0-15: mid 2015 (excluding prisoners)",
            "Population aged 16-59: mid 2015 (excluding prisoners)",
            "Older population aged 60 and over: mid 2015 (excluding prisoners)",
            f"{WORKING_AGE_2015} (excluding prisoners)",
        ]
    else:
        headers += [
            "Total population: mid 2022",
            "Dependent Children aged 0-15: mid 2022",
            "Population aged 16-59: mid 2022",
            "Older population aged 60 and over: mid 2022",
            "Working age population 18-66 (for use with Employment Deprivation Domain): mid 2022",
        ]
    return headers


def file7_row(headers: Sequence[str], code: str, name: str, lad: str, base: int) -> list[str]:
    """A File 7 row whose values can be told apart: scores end .5, ranks are base+i."""
    row = [code, name, lad, "Blackpool" if lad == "E06000009" else "Elsewhere"]
    for position, header in enumerate(headers[4:], start=4):
        if "Score" in header:
            row.append(f"{base / 100 + position:.3f}")
        elif "Rank" in header:
            row.append(f"{base + position:,}")
        elif "Decile" in header:
            row.append(str(1 + position % 10))
        else:
            row.append(f"{1000 + base + position:,}")
    return row


def csv_bytes(headers: Sequence[str], rows: Sequence[Sequence[object]], *, bom: bool) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(rows)
    return (("\ufeff" if bom else "") + buffer.getvalue()).encode("utf-8")


WriteCsv = Callable[..., Path]


@pytest.fixture
def write_csv(tmp_path: Path) -> WriteCsv:
    """Write a CSV (gzipped when the name ends .gz), by default with a BOM like MHCLG's."""

    def write(
        name: str,
        headers: Sequence[str],
        rows: Sequence[Sequence[object]],
        *,
        bom: bool = True,
    ) -> Path:
        path = tmp_path / name
        data = csv_bytes(headers, rows, bom=bom)
        if name.endswith(".gz"):
            path.write_bytes(gzip.compress(data, mtime=0))
        else:
            path.write_bytes(data)
        return path

    return write


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
        """Keep test output clean."""


@pytest.fixture
def loopback_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A real HTTP server on 127.0.0.1 serving a fresh folder: yields (base URL, folder)."""
    folder = tmp_path / "served"
    folder.mkdir()
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host!s}:{port}", folder
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def real_data_dir() -> Path:
    """The folder of real official files named by DIRECTORY_DATA_DIR (skip when unset)."""
    value = os.environ.get("DIRECTORY_DATA_DIR")
    if not value:
        pytest.skip("DIRECTORY_DATA_DIR is not set: the real official files are not available")
    folder = Path(value)
    if not folder.is_dir():
        pytest.skip(f"DIRECTORY_DATA_DIR={value} is not a folder")
    return folder


# --------------------------------------------------------------------------------------
# A grid of 1 km squares in British National Grid, where every distance is obvious (provision, centres, neighbours,
# demand).

X0, Y0 = 330_000.0, 436_000.0  # near Blackpool, in metres
KM = 1000.0
BLACKPOOL = "E06000009"

Grid = Callable[..., gpd.GeoDataFrame]


def code(column: int, row: int, columns: int = 3) -> str:
    return f"E01{row * columns + column:06d}"


@pytest.fixture
def grid() -> Grid:
    """An n x m grid of 1 km squares from (X0, Y0); LSOA (c, r) has code(c, r) and centre X0 + 500 + c km."""

    def make(
        columns: int = 3, rows: int = 3, *, lad: str | None = BLACKPOOL, edition: str = "2011"
    ) -> gpd.GeoDataFrame:
        squares = [
            (code(c, r, columns), box(X0 + c * KM, Y0 + r * KM, X0 + (c + 1) * KM, Y0 + (r + 1) * KM))
            for r in range(rows)
            for c in range(columns)
        ]
        return gpd.GeoDataFrame(
            {"lsoa_code": [s[0] for s in squares], "lsoa_edition": edition, "lad_code": lad},
            geometry=[s[1] for s in squares],
            crs=BRITISH_NATIONAL_GRID,
        )

    return make
