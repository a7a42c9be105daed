"""Search timing on the demo database: median and p95 in-process, beside the bare FTS5 query.

    python bench/search.py [--queries 1000] [--seed 1]

Builds the demo (seeded) in a temporary folder, then runs varied queries (text, categories,
postcodes across the demo areas, filters, sorts) through ``directory.search.search``. The floor is
the bare FTS5 MATCH on the same expressions. Prints figures; nothing here is a test.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from directory import create_app  # noqa: E402
from directory.core.db import db  # noqa: E402
from directory.demo.build import build_demo  # noqa: E402
from directory.listings.fts import fts_expression, tsquery_expression  # noqa: E402
from directory.models import Location, TaxonomyTerm  # noqa: E402
from directory.ops.database import init_database  # noqa: E402
from directory.search.engine import search  # noqa: E402
from directory.search.query import parse_query
from directory.search.synonyms import synonym_map  # noqa: E402

WORDS = ["knit", "walk", "debt", "money advice", "lunch", "carers", "low mood", "youth", "choir", "garden",
         "food", "recovery", "memory cafe", "art", "dance", '"walking football"', "bereavement", "english", "job",
         "farm"]  # fmt: skip
FILTERS = [{}, {"free": "yes"}, {"accepting": "yes"}, {"age": "70"}, {"day": "TU"}, {"time": "morning"},
           {"self_referral": "yes"}, {"max_wait": "4"}, {"remote": "no"}, {"accessibility": "step-free"}]  # fmt: skip


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", help="an existing database (e.g. from bench/generate.py); default: the demo")
    parser.add_argument(
        "--workload", choices=["mixed", "bar"], default="mixed",
        help="mixed: varied queries, some England-wide; bar: QUALITY.md's text + category + 5 km + filters",
    )  # fmt: skip
    parser.add_argument(
        "--http",
        action="store_true",
        help="also time each query as a page over HTTP (gunicorn, 2 workers, one client on loopback)",
    )
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.sqlite'}"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": folder, "DATA_DIR": None})
        with app.app_context():
            if not args.database_url:
                init_database()
                build_demo(db.session, seed=2026, echo=lambda _m: None)
            codes = list(db.session.scalars(select(TaxonomyTerm.code)))
            # Postcodes where services are: a random sample of located services' postcodes.
            postcodes = list(db.session.scalars(select(Location.postcode).order_by(func.random()).limit(2000)))
            synonyms = synonym_map(db.session)
            queries = []
            for _ in range(args.queries):
                q: dict[str, object] = {"sort": rng.choice(["relevance", "nearest", "wait", "verified"])}
                bar = args.workload == "bar"
                if bar or rng.random() < 0.6:
                    q["q"] = rng.choice(WORDS)
                if bar or rng.random() < 0.5:
                    q["category"] = rng.sample(codes, k=rng.choice((1, 1, 2)))
                if bar or rng.random() < 0.7:
                    q["postcode"] = rng.choice(postcodes)
                    q["radius"] = "5" if bar else str(rng.choice((2, 5, 10)))
                q.update(rng.choice(FILTERS))
                queries.append(q)
            times, floor, counts = [], [], []
            capped = 0
            for q in queries:
                query = parse_query(q)
                started = time.perf_counter()
                outcome = search(db.session, query, app.config)
                times.append((time.perf_counter() - started) * 1000)
                counts.append(outcome.matched)
                capped += not getattr(outcome, "matched_exact", True)
                postgres = db.engine.dialect.name == "postgresql"
                words = str(q.get("q", ""))
                expression = tsquery_expression(words, synonyms) if postgres else fts_expression(words, synonyms)
                if expression:
                    started = time.perf_counter()
                    bare = (
                        "SELECT service_id, ts_rank(document, to_tsquery('english', :q)) FROM service_fts "
                        "WHERE document @@ to_tsquery('english', :q)"
                        if postgres
                        else "SELECT rowid, bm25(service_fts) FROM service_fts WHERE service_fts MATCH :q"
                    )
                    db.session.execute(text(bare), {"q": expression}).all()
                    floor.append((time.perf_counter() - started) * 1000)
            if args.http:
                over_http = http_times(url, folder, queries)
    median, p95 = statistics.median(times), percentile(times, 0.95)
    which = "given" if args.database_url else "demo"
    print(f"{which} database: {args.queries} queries, median {median:.2f} ms, p95 {p95:.2f} ms, "
          f"max {max(times):.2f} ms; results per query median {statistics.median(counts):.0f}")  # fmt: skip
    wide = [t for t, q in zip(times, queries, strict=True) if "postcode" not in q]
    if wide and len(wide) < len(times):
        local = [t for t, q in zip(times, queries, strict=True) if "postcode" in q]
        print(f"  England-wide ({len(wide)}): median {statistics.median(wide):.2f} ms, "
              f"p95 {percentile(wide, 0.95):.2f} ms; "
              f"with a postcode ({len(local)}): median {statistics.median(local):.2f} ms, "
              f"p95 {percentile(local, 0.95):.2f} ms; counted only up to the cap: {capped}")  # fmt: skip
    if floor:
        floor_median = statistics.median(floor)
        print(f"floor (bare full-text query, {len(floor)} text queries): median {floor_median:.3f} ms")
    if args.http:
        print(f"over HTTP (the search page, one client, keep-alive): median {statistics.median(over_http):.2f} ms, "
              f"p95 {percentile(over_http, 0.95):.2f} ms")  # fmt: skip


def http_times(url: str, folder: str, queries: list[dict[str, object]]) -> list[float]:
    """Each query as the search page from `asset-directory serve` (gunicorn, 2 workers), one after another."""
    import http.client
    import os
    import subprocess
    import urllib.parse

    from load import free_port  # bench/load.py

    port = free_port()
    env = {**os.environ, "DIRECTORY_DATABASE_URL": url, "DIRECTORY_INSTANCE_PATH": folder,
           "DIRECTORY_SECRET_KEY": "bench"}  # fmt: skip
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "directory.cli", "serve", "--bind", f"127.0.0.1:{port}", "--workers", "2",
         "--insecure-cookies"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    times: list[float] = []
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for _ in range(100):
            try:
                connection.request("GET", "/healthz")
                connection.getresponse().read()
                break
            except OSError:
                connection.close()
                time.sleep(0.2)
        for q in queries[:20] + queries:  # the first 20 again at the start, to warm both workers
            path = "/?" + urllib.parse.urlencode(q, doseq=True)
            started = time.perf_counter()
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            times.append((time.perf_counter() - started) * 1000)
            if response.status not in (200, 422):
                raise SystemExit(f"{path} answered {response.status}")
    finally:
        server.terminate()
        server.wait(timeout=20)
    return times[20:]


if __name__ == "__main__":
    main()
