"""Recall, precision and speed of the personal-data guard on labelled link-worker notes (issue 19).

    python bench/personal_data.py                 # the tuning sets, the held-out, independent and second sets
    python bench/personal_data.py --misses        # also list misses and false alarms on the tuning sets
    python bench/personal_data.py tests/data/other.jsonl

Each line of a set is {"text": ..., "pii": [[kind, snippet], ...]}. Sentence level: a note with any label
should raise at least one finding, a note without labels none. Finding level: a finding is right when it
overlaps a label (of any kind: the worker is shown it either way); a label is caught when a finding overlaps
it. Timing: each note checked 20 times after one warm-up pass (the word lists load once per process).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from directory.core.personal_data import find_personal_data  # noqa: E402

# "second": a second held-out set, written by someone who did not tune the guard.
SETS = [ROOT / f"tests/data/personal_data_{name}.jsonl" for name in ("eval", "old", "heldout", "independent", "second")]
# How the independent set is labelled (docs/personal-data.md has the same rule): a living person's name,
# handle, home address, home postcode (full, or district and sector), own phone or email, NHS number, date
# of birth, or an exact age with a condition and a street or estate is personal data, whoever the person
# is (client, relative, volunteer, named staff). An organisation's name (even a person's: Dr Barnardo's,
# Marie Curie), a venue or street where a service runs, a helpline or an organisation's landline or shared
# inbox (info@, referrals@), a role without a name, a town or ward, a session date, and an age band are not.
LABELLING_RULE = (
    "independent set: a named or contactable person is personal data; organisations, venues, "
    "helplines, shared inboxes, roles, places, session dates and age bands are not"
)


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def labels_of(row: dict) -> list[tuple[str, int, int]]:
    out = []
    for kind, snippet in row["pii"]:
        start = row["text"].index(snippet)
        out.append((kind, start, start + len(snippet)))
    return out


def measure(rows: list[dict], show: bool) -> dict[str, float]:
    tp_s = fp_s = fn_s = 0
    tp_f = fp_f = fn_f = 0
    for row in rows:
        text, labels = row["text"], labels_of(row)
        findings = find_personal_data(text)
        if labels and findings:
            tp_s += 1
        elif findings:
            fp_s += 1
        elif labels:
            fn_s += 1
        for f in findings:
            if any(f.start < end and start < f.end for _k, start, end in labels):
                tp_f += 1
            else:
                fp_f += 1
                if show:
                    print(f"  false alarm {f.kind:12} {f.text!r:30} in {text!r}")
        for kind, start, end in labels:
            if not any(f.start < end and start < f.end for f in findings):
                fn_f += 1
                if show:
                    print(f"  missed      {kind:12} {text[start:end]!r:30} in {text!r}")
    return {
        "sentence recall": tp_s / max(1, tp_s + fn_s),
        "sentence precision": tp_s / max(1, tp_s + fp_s),
        "finding recall": (tp_f) / max(1, tp_f + fn_f),
        "finding precision": tp_f / max(1, tp_f + fp_f),
    }


def timing(rows: list[dict]) -> tuple[float, float, float, float]:
    """Wall-clock p50, p95 and max, and the max of the thread's CPU time (a busy machine's scheduling shows
    in the wall-clock max but not in the CPU time)."""
    for row in rows:
        find_personal_data(row["text"])
    samples, cpu = [], []
    for _ in range(20):
        for row in rows:
            start, start_cpu = time.perf_counter(), time.thread_time()
            find_personal_data(row["text"])
            samples.append((time.perf_counter() - start) * 1000)
            cpu.append((time.thread_time() - start_cpu) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95)], samples[-1], max(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="*", type=Path, default=SETS)
    parser.add_argument("--misses", action="store_true", help="list misses and false alarms (not on the held-out set)")
    parser.add_argument("--misses-heldout", action="store_true", help="list them on the held-out set too")
    args = parser.parse_args()
    start = time.perf_counter()
    find_personal_data("warm up: spoke to margaret")
    print(f"{platform.machine()}, Python {platform.python_version()}; word lists loaded in "
          f"{(time.perf_counter() - start) * 1000:.0f} ms")  # fmt: skip
    print(f"labelling rule of the {LABELLING_RULE}")
    for path in args.sets:
        rows = load(path)
        identifying = sum(1 for r in rows if r["pii"])
        print(f"\n{path.relative_to(ROOT) if path.is_absolute() else path}: {len(rows)} notes, "
              f"{identifying} identifying, {sum(len(r['pii']) for r in rows)} labels")  # fmt: skip
        show = args.misses_heldout or (args.misses and "heldout" not in path.name)
        figures = measure(rows, show)
        for name, value in figures.items():
            print(f"  {name:20} {value:.3f}")
        p50, p95, worst, worst_cpu = timing(rows)
        print(f"  ms per note          p50 {p50:.3f}  p95 {p95:.3f}  max {worst:.3f} (max CPU {worst_cpu:.3f})")
    long_note = " ".join(r["text"] for r in load(SETS[0]))[:2000]
    p50, p95, worst, worst_cpu = timing([{"text": long_note}])
    print(f"\na 2,000-character note: p50 {p50:.2f} ms  p95 {p95:.2f} ms  max {worst:.2f} ms (max CPU {worst_cpu:.2f})")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
