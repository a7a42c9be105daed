"""Load test: gunicorn (2 workers) on the demo data, 50 concurrent clients on loopback, mixed requests.

    python bench/load.py [--database-url URL] [--seconds 30] [--connections 50] [--workers 2]

Needs `wrk` (Debian: apt-get install wrk). Builds the demo into a temporary SQLite file unless a database
URL is given (for PostgreSQL: an empty database; the demo is built into it). The mix: 50% searches (words,
needs and postcodes from the demo), 30% public listing pages, 20% gap map pages (signed in as the demo's
community development worker). Prints throughput, latency percentiles and errors, from wrk.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

LUA = r"""
local paths = {}
for line in io.lines(os.getenv("LOAD_PATHS")) do paths[#paths + 1] = line end
local cookie = os.getenv("LOAD_COOKIE")
local n = 0
request = function()
  n = n + 1
  local path = paths[(n % #paths) + 1]
  local headers = {}
  if path:sub(1, 6) == "/gaps/" then headers["Cookie"] = cookie end
  return wrk.format("GET", path, headers)
end
done = function(summary, latency, requests)
  io.write(string.format('{"requests": %d, "seconds": %.3f, "errors_status": %d, "errors_socket": %d, ' ..
    '"p50_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f, "max_ms": %.2f}\n',
    summary.requests, summary.duration / 1e6, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def build(url: str, folder: str) -> tuple[dict[str, str], list[str]]:
    from directory import create_app
    from directory.core.db import db
    from directory.demo.build import build_demo
    from directory.ops.database import init_database

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": folder, "SECRET_KEY": "load", "DATA_DIR": None})
    with app.app_context():
        init_database()
        report = build_demo(db.session, seed=2026, data_dir=os.environ.get("DIRECTORY_DATA_DIR"), echo=lambda _m: None)
        from sqlalchemy import select

        from directory.models import Location

        postcodes = sorted({p for p in db.session.scalars(select(Location.postcode)) if p})[:40]
    return report.accounts, postcodes


def paths(base: str, rng: random.Random, postcodes: list[str], share_map: float) -> list[str]:
    words = ["knit", "walk", "debt", "lunch", "carers", "choir", "garden", "food", "youth", "memory cafe"]
    needs = ["loneliness", "physical-activity", "mental-health", "food", "carers", "older-people"]
    listing = re.findall(r'href="(/services/\d+)"', urllib.request.urlopen(base + "/?q=group").read().decode())  # noqa: S310
    listing = listing or ["/services/1"]
    out = []
    for _ in range(2_000):
        pick = rng.random()
        if pick < 1 - share_map - 0.3:
            query = {
                "q": rng.choice(words),
                "category": rng.choice(needs),
                "postcode": rng.choice(postcodes),
                "radius": 5,
            }
            out.append(
                "/?" + urllib.parse.urlencode({k: v for k, v in query.items() if rng.random() < 0.8 or k == "postcode"})
            )
        elif pick < 1 - share_map:
            out.append(rng.choice(listing))
        else:
            out.append("/gaps/map?category=" + rng.choice(needs))
    return out


def sign_in(base: str, email: str, password: str) -> str:
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/login").read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token, "no CSRF token on the sign-in page"
    data = urllib.parse.urlencode({"email": email, "password": password, "csrf_token": token.group(1)}).encode()
    opener.open(base + "/login", data=data).read()
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url")
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, help="threads per worker (default: serve's own default)")
    parser.add_argument("--map-share", type=float, default=0.2, help="share of requests that open the gap map")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (Debian: apt-get install wrk)")
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'load.sqlite'}"
        accounts, postcodes = build(url, folder)
        port = free_port()
        env = {**os.environ, "DIRECTORY_DATABASE_URL": url, "DIRECTORY_INSTANCE_PATH": folder,
               "DIRECTORY_SECRET_KEY": "load", "DIRECTORY_LOGIN_RATE_LIMIT": "1000 per minute"}  # fmt: skip
        server = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "directory.cli", "serve", "--bind", f"127.0.0.1:{port}", "--workers",
             str(args.workers), "--insecure-cookies", *(["--threads", str(args.threads)] if args.threads else [])],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(base + "/healthz").close()  # noqa: S310
                    break
                except OSError:
                    time.sleep(0.2)
            cookie = sign_in(base, "community.development@demo.invalid", accounts["community.development@demo.invalid"])
            mix = Path(folder) / "paths.txt"
            mix.write_text("\n".join(paths(base, random.Random(1), postcodes, args.map_share)) + "\n")
            script = Path(folder) / "mix.lua"
            script.write_text(LUA)
            result = subprocess.run(  # noqa: S603
                [str(shutil.which("wrk")), "-t2", f"-c{args.connections}", f"-d{args.seconds}s", "--latency",
                 "-s", str(script), base],
                env={**os.environ, "LOAD_PATHS": str(mix), "LOAD_COOKIE": cookie}, capture_output=True, text=True,
                check=True,
            )  # fmt: skip
        finally:
            server.terminate()
            server.wait(timeout=20)
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    figures["requests_per_second"] = round(figures["requests"] / figures["seconds"], 1)
    figures["database"] = url.split(":")[0]
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
