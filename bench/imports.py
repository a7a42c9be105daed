"""Import timing and peak memory: 10,000 services from an ORUK feed on loopback and from a spreadsheet.

    python bench/imports.py [--services 10000] [--small 2500]

Each measurement runs in a fresh child process (so peak RSS is its own) on a fresh SQLite database:
the feed is served by a real HTTP server on 127.0.0.1 (paged /services, then each /services/{id}),
the spreadsheet is a CSV of the same listings. Peak memory is reported as the growth of the child's
peak RSS over its RSS before the import, at two sizes, to show whether memory is flat in the rows.
Prints figures; nothing here is a test.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CATEGORIES = ["arts-crafts", "loneliness", "physical-activity", "mental-health", "food", "carers"]
POSTCODES = ["FY1 1PX", "FY4 4NW", "BB11 1JA", "BB9 7SR", "BB4 5AA", "FY3 8BP"]


def service(n: int) -> dict[str, Any]:
    org = n // 10
    return {
        "id": f"00000000-5e71-8000-8000-{n:012x}",
        "name": f"Bench group {n}",
        "description": f"Synthetic listing {n} for the import benchmark.",
        "status": "active",
        "url": f"https://example.org/group/{n}",
        "minimum_age": 18,
        "schedules": [{"id": f"{n:08x}-5c4e-8000-8000-000000000001", "freq": "WEEKLY", "byday": "TU",
                       "opens_at": "10:00", "closes_at": "12:00"}],
        "service_at_locations": [{"id": f"{n:08x}-5a10-8000-8000-000000000001", "location": {
            "id": f"00000000-10ca-8000-8000-{n:012x}", "location_type": "physical", "name": f"Hall {n % 500}",
            "addresses": [{"id": f"00000000-addd-8000-8000-{n:012x}", "address_1": f"{n % 200} High Street",
                           "city": "Blackpool", "state_province": "", "postal_code": POSTCODES[n % len(POSTCODES)],
                           "country": "GB", "address_type": "physical"}]}}],
        "organization": {"id": f"00000000-0e9a-8000-8000-{org:012x}", "name": f"Bench organisation {org}",
                         "description": ""},
        "attributes": [{"id": f"{n:08x}-a771-8000-8000-000000000001",
                        "taxonomy_term": {"id": f"00000000-7e12-8000-8000-{n % 6:012x}", "name": "x",
                                          "term": CATEGORIES[n % len(CATEGORIES)]}}],
    }  # fmt: skip


def serve(count: int) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as a real feed's server would
        disable_nagle_algorithm = True  # headers and body go out in separate writes

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            return

        def do_GET(self) -> None:  # noqa: N802
            parts = urlsplit(self.path)
            if parts.path == "/services":
                query = parse_qs(parts.query)
                page, per_page = int(query["page"][0]), int(query["per_page"][0])
                ids = range((page - 1) * per_page, min(count, page * per_page))
                pages = -(-count // per_page)
                body = json.dumps({"total_items": count, "total_pages": pages, "page_number": page,
                                   "size": len(ids), "first_page": page == 1, "last_page": page >= pages,
                                   "empty": not ids, "contents": [{"id": service(i)["id"], "name": "x",
                                   "status": "active"} for i in ids]}).encode()  # fmt: skip
            else:
                body = json.dumps(service(int(parts.path.rsplit("-", 1)[1], 16))).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}"


def spreadsheet(count: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["ID", "Name", "Organisation", "Description", "Website", "Venue", "Address", "Town", "Postcode",
                     "Category", "Day", "Start", "End", "Minimum age"])  # fmt: skip
    for n in range(count):
        writer.writerow([f"row-{n}", f"Bench group {n}", f"Bench organisation {n // 10}", f"Synthetic listing {n}",
                         f"https://example.org/group/{n}", f"Hall {n % 500}", f"{n % 200} High Street", "Blackpool",
                         POSTCODES[n % len(POSTCODES)], CATEGORIES[n % len(CATEGORIES)], "Tuesday", "10:00", "12:00",
                         18])  # fmt: skip
    return out.getvalue().encode()


def rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def one(kind: str, count: int) -> dict[str, Any]:
    from directory import create_app
    from directory.cli import init_database
    from directory.db import db
    from directory.imports import ensure_source, run_source

    folder = Path(tempfile.mkdtemp(prefix="bench-imports-"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'b.sqlite'}", "INSTANCE_PATH": str(folder),
                      "SECRET_KEY": "bench", "IMPORT_ALLOW_PRIVATE": True, "IMPORT_TIMEOUT": 60})  # fmt: skip
    with app.app_context():
        init_database()
        payloads = None
        if kind == "oruk":
            httpd, url = serve(count)
            source = ensure_source(db.session, name="bench feed", kind="oruk", url=url)
        else:
            payloads = [spreadsheet(count)]
            source = ensure_source(db.session, name="bench sheet", kind="spreadsheet")
        before = rss_kb()
        started = time.perf_counter()
        run = run_source(db.session, source, app.config, payloads=payloads)
        elapsed = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        assert run.status == "succeeded" and run.created == count, (run.status, run.failure, run.created)
        started = time.perf_counter()
        again = run_source(db.session, source, app.config, payloads=payloads, force=True)
        rerun = time.perf_counter() - started
        assert again.unchanged == count, (again.unchanged, again.failure)
        if kind == "oruk":
            httpd.shutdown()
    return {"kind": kind, "count": count, "seconds": elapsed, "rerun_seconds": rerun,
            "peak_growth_mb": (peak - before) / 1024, "peak_mb": peak / 1024}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--services", type=int, default=10_000)
    parser.add_argument("--small", type=int, default=2_500, help="a second, smaller size to show memory is flat")
    parser.add_argument("--one", nargs=2, metavar=("KIND", "COUNT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one[0], int(args.one[1]))))
        return
    print(f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, SQLite")
    for kind in ("oruk", "spreadsheet"):
        for count in (args.small, args.services):
            output = subprocess.run(  # noqa: S603 - our own script
                [sys.executable, __file__, "--one", kind, str(count)], check=True, capture_output=True, text=True
            ).stdout
            figures = json.loads(output.strip().splitlines()[-1])
            print(
                f"{kind:12} {count:>6} services: {figures['seconds']:6.1f} s "
                f"({count / figures['seconds']:.0f}/s); re-run unchanged {figures['rerun_seconds']:5.1f} s; "
                f"peak RSS growth {figures['peak_growth_mb']:6.1f} MB (peak {figures['peak_mb']:.0f} MB)"
            )


if __name__ == "__main__":
    main()
