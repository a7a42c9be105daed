"""Does search find what link workers type? success@5, zero-result rate and latency on labelled queries.

    python bench/relevance.py [--database-url URL] [--postcode BB11] [--radius 15] [--show-misses]

Each query in ``bench/relevance/*.tsv`` (``query<TAB>need,need``) is searched from one postcode within
the radius, as a link worker would. A query counts only where its answer exists: a live service meeting
one of its needs within reach. success@5: a service meeting one of the needs is in the top five.
zero-result: nothing at all came back. ``tuning.tsv`` is what the vocabulary was tuned on; ``heldout.tsv``
was written first and never used for tuning, so it is reported on its own. Default: the demo (seeded),
built in a temporary folder; ``--database-url`` measures an existing database (national data from
``bench/generate.py``). Prints figures; nothing here is a test.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from directory import create_app  # noqa: E402
from directory.core.db import db  # noqa: E402
from directory.demo.build import build_demo  # noqa: E402
from directory.models import Location  # noqa: E402
from directory.ops.database import init_database  # noqa: E402
from directory.search.engine import search  # noqa: E402
from directory.search.query import parse_query  # noqa: E402
from directory.search.synonyms import shipped_vocabulary  # noqa: E402

HERE = Path(__file__).resolve().parent / "relevance"


def read_set(path: Path) -> list[tuple[str, set[str]]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        query, needs = line.split("\t")
        rows.append((query.strip(), {n.strip() for n in needs.split(",") if n.strip()}))
    return rows


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def measure(app, rows, postcode: str, radius: float, show_misses: bool) -> dict[str, float]:  # type: ignore[no-untyped-def]
    reachable = set()
    for code in sorted({n for _text, needs in rows for n in needs}):
        nearby = parse_query({"category": code, "postcode": postcode, "radius": str(radius), "limit": "1"})
        if search(db.session, nearby, app.config).results:
            reachable.add(code)
    counted = hits = zero = 0
    times = []
    for text, needs in rows:
        if not needs & reachable:
            continue
        counted += 1
        query = parse_query({"q": text, "postcode": postcode, "radius": str(radius)})
        started = time.perf_counter()
        outcome = search(db.session, query, app.config)
        times.append((time.perf_counter() - started) * 1000)
        top = outcome.results[:5]
        ok = any({t.code for t in r.service.categories} & needs for r in top)
        hits += ok
        zero += not outcome.results
        if show_misses and not ok:
            got = [r.service.name for r in top]
            print(f"  miss: {text!r} wants {sorted(needs)}; got {got}; needs read {outcome.understood.needs}")
    return {
        "queries": len(rows),
        "counted": counted,
        "success@5": hits / counted if counted else 0.0,
        "zero": zero / counted if counted else 0.0,
        "median_ms": statistics.median(times) if times else 0.0,
        "p95_ms": percentile(times, 0.95) if times else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", help="an existing database; default: the demo, built here")
    parser.add_argument(
        "--postcode", default="BB11", help="where the client lives (default: the middle of Burnley, BB11)"
    )
    parser.add_argument("--radius", type=float, default=15)
    parser.add_argument("--sets", nargs="*", default=["tuning", "heldout"])
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.sqlite'}"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": folder})
        with app.app_context():
            if not args.database_url:
                init_database()
                build_demo(db.session, seed=2026, echo=lambda _m: None)
                db.session.commit()
            postcode = args.postcode
            if not db.session.scalar(select(func.count()).select_from(Location).where(Location.postcode.is_not(None))):
                sys.exit("no located services")
            phrases = set(shipped_vocabulary())
            for name in args.sets:
                rows = read_set(HERE / f"{name}.tsv")
                if name.startswith("heldout"):  # also on its own: the queries no vocabulary phrase spells out exactly
                    unseen = [(q, n) for q, n in rows if " ".join(q.lower().split()) not in phrases]
                    got = measure(app, unseen, postcode, args.radius, False)
                    print(f"{name}, not a vocabulary phrase word for word: {got['counted']} queries; "
                          f"success@5 {got['success@5']:.1%}, zero results {got['zero']:.1%}")  # fmt: skip
                if args.show_misses:
                    print(f"{name}:")
                got = measure(app, rows, postcode, args.radius, args.show_misses)
                print(f"{name}: {got['queries']} queries, {got['counted']} with an answer within {args.radius:g} km "
                      f"of {postcode}; success@5 {got['success@5']:.1%}, zero results {got['zero']:.1%}, "
                      f"median {got['median_ms']:.1f} ms, p95 {got['p95_ms']:.1f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
