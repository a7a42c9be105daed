"""Import timing and peak memory: 10,000 services from an ORUK feed on loopback and from a spreadsheet.

    python bench/imports.py [--sizes 2500,5000,10000] [--changed] [--profile DIR]

Each measurement runs in a fresh child process (so peak RSS is its own) on a fresh SQLite database:
the feed is served by a real HTTP server on 127.0.0.1 (paged /services, then each /services/{id}),
the spreadsheet is a CSV of the same listings. Peak memory is reported as the growth of the child's
peak RSS over its RSS before the import, at each size, to show whether memory is flat in the rows.
``--changed`` also times a re-run in which every listing changed (each one an update with its own
revision); ``--profile DIR`` writes a pyinstrument profile of each first import there (pip install
pyinstrument, or the project's ``bench`` extra). Prints figures; nothing here is a test.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import os
import platform
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


GENERATION = [0]  # bumped to make every listing of the feed change


def service(n: int) -> dict[str, Any]:
    org = n // 10
    return {
        "id": f"00000000-5e71-8000-8000-{n:012x}",
        "name": f"Bench group {n}",
        "description": f"Synthetic listing {n} for the import benchmark." + " Changed." * GENERATION[0],
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


def spreadsheet(count: int, generation: int = 0) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["ID", "Name", "Organisation", "Description", "Website", "Venue", "Address", "Town", "Postcode",
                     "Category", "Day", "Start", "End", "Minimum age"])  # fmt: skip
    for n in range(count):
        description = f"Synthetic listing {n}" + " Changed." * generation
        writer.writerow([f"row-{n}", f"Bench group {n}", f"Bench organisation {n // 10}", description,
                         f"https://example.org/group/{n}", f"Hall {n % 500}", f"{n % 200} High Street", "Blackpool",
                         POSTCODES[n % len(POSTCODES)], CATEGORIES[n % len(CATEGORIES)], "Tuesday", "10:00", "12:00",
                         18])  # fmt: skip
    return out.getvalue().encode()


def status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def reset_peak() -> None:
    """Start the peak RSS (VmHWM) afresh, so it is the import's own peak (Linux 4.0+)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def one(kind: str, count: int, changed: bool, profile: str | None) -> dict[str, Any]:
    from directory import create_app
    from directory.core.db import db
    from directory.imports.running import run_source
    from directory.imports.sources import ensure_source
    from directory.ops.database import init_database

    folder = Path(tempfile.mkdtemp(prefix="bench-imports-"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'b.sqlite'}", "INSTANCE_PATH": str(folder),
                      "SECRET_KEY": "bench", "IMPORT_ALLOW_PRIVATE": True, "IMPORT_TIMEOUT": 60})  # fmt: skip
    figures: dict[str, Any] = {"kind": kind, "count": count}
    with app.app_context():
        init_database()
        payloads = None
        if kind == "oruk":
            httpd, url = serve(count)
            source = ensure_source(db.session, name="bench feed", kind="oruk", url=url)
        else:
            payloads = [spreadsheet(count)]
            source = ensure_source(db.session, name="bench sheet", kind="spreadsheet")
        db.session.commit()
        profiler = None
        if profile:
            from pyinstrument import Profiler  # the bench extra: pip install -e '.[bench]'

            profiler = Profiler(interval=0.005)
            profiler.start()
        reset_peak()
        before = status_kb("VmRSS")
        started = time.perf_counter()
        run = run_source(db.session, source, app.config, payloads=payloads)
        figures["seconds"] = time.perf_counter() - started
        peak = status_kb("VmHWM")
        if profiler is not None and profile:
            profiler.stop()
            Path(profile, f"imports-{kind}-{count}.txt").write_text(profiler.output_text(unicode=True))
        assert run.status == "succeeded" and run.created == count, (run.status, run.failure, run.created)
        figures.update({"peak_growth_mb": (peak - before) / 1024, "peak_mb": peak / 1024})
        started = time.perf_counter()
        again = run_source(db.session, source, app.config, payloads=payloads, force=True)
        figures["rerun_seconds"] = time.perf_counter() - started
        assert again.unchanged == count, (again.unchanged, again.failure)
        if changed:
            GENERATION[0] = 1
            payloads = None if kind == "oruk" else [spreadsheet(count, generation=1)]
            started = time.perf_counter()
            third = run_source(db.session, source, app.config, payloads=payloads)
            figures["changed_seconds"] = time.perf_counter() - started
            assert third.updated == count, (third.updated, third.failure)
        if kind == "oruk":
            httpd.shutdown()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="2500,5000,10000", help="numbers of services, comma-separated")
    parser.add_argument("--kinds", default="oruk,spreadsheet", help="oruk, spreadsheet or both")
    parser.add_argument("--changed", action="store_true", help="also time a re-run in which every listing changed")
    parser.add_argument("--profile", metavar="DIR", help="write a pyinstrument profile of each first import here")
    parser.add_argument("--one", nargs=2, metavar=("KIND", "COUNT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one[0], int(args.one[1]), args.changed, args.profile)))
        return
    print(f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, SQLite")
    for kind in args.kinds.split(","):
        for count in [int(size) for size in args.sizes.split(",")]:
            extra = (["--changed"] if args.changed else []) + (["--profile", args.profile] if args.profile else [])
            output = subprocess.run(  # noqa: S603 - our own script
                [sys.executable, __file__, "--one", kind, str(count), *extra],
                check=True, capture_output=True, text=True,
            ).stdout  # fmt: skip
            figures = json.loads(output.strip().splitlines()[-1])
            changed = f"; every listing changed {figures['changed_seconds']:5.1f} s" if args.changed else ""
            print(
                f"{kind:12} {count:>6} services: {figures['seconds']:6.1f} s "
                f"({count / figures['seconds']:.0f}/s); re-run unchanged {figures['rerun_seconds']:5.1f} s{changed}; "
                f"peak RSS growth {figures['peak_growth_mb']:6.1f} MB (peak {figures['peak_mb']:.0f} MB)",
                flush=True,
            )


if __name__ == "__main__":
    main()
