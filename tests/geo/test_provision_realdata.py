"""Provision and gap scores for Blackpool on the real files in DIRECTORY_DATA_DIR (skipped when unset).

Run with ``DIRECTORY_DATA_DIR=/path/to/data pytest -m realdata tests/geo``. LSOA 2011
boundaries (ONS BGC) and IoD2019 Files 1 and 6 are both keyed by LSOA 2011 codes, so the
join must cover all 94 Blackpool LSOAs; services are seeded random points.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo import BRITISH_NATIONAL_GRID
from geo.centres import lsoa_centres
from geo.demand import demand
from geo.gapscore import gap_scores
from geo.neighbours import neighbours
from geo.provision import provision
from geo.readers.boundaries import read_boundaries
from geo.readers.deprivation import combine_deprivation, read_deprivation

pytestmark = pytest.mark.realdata

BLACKPOOL = "E06000009"
LSOA11_LANCASHIRE = "lsoa11_lancashire_blackpool_blackburn_bgc.geojson"
FILE1 = "File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz"
FILE6 = "File_6_-_IoD2019_Population_Denominators.csv.gz"
CATEGORIES = ["mental-health", "loneliness", "debt-money", "carers"]


def need(folder: Path, name: str) -> Path:
    path = folder / name
    if not path.is_file():
        pytest.skip(f"{name} is not in DIRECTORY_DATA_DIR ({folder})")
    return path


def test_blackpool_gap_scores_from_real_boundaries_and_iod2019(real_data_dir: Path) -> None:
    boundaries = read_boundaries(need(real_data_dir, LSOA11_LANCASHIRE), [BLACKPOOL])
    deprivation = combine_deprivation(
        [read_deprivation(need(real_data_dir, FILE1)), read_deprivation(need(real_data_dir, FILE6))],
    )
    centres = lsoa_centres(boundaries)
    rng = np.random.default_rng(94)
    anchor = rng.integers(0, len(centres), 300)
    located = pd.DataFrame(
        {
            "service_id": np.arange(300),
            "category": np.asarray(CATEGORIES, dtype=object)[rng.integers(0, len(CATEGORIES), 300)],
            "x": centres["x"].to_numpy()[anchor] + rng.normal(0, 200, 300),
            "y": centres["y"].to_numpy()[anchor] + rng.normal(0, 200, 300),
        },
    )
    pairs = neighbours(boundaries)
    events = pd.DataFrame(
        {
            "lsoa_code": centres["lsoa_code"].iloc[:10].to_numpy(),
            "category": "carers",
            "kind": "gap-flag",
            "occurred_at": "2025-02-01",
        },
    )

    table = provision(
        centres,
        located,
        categories=CATEGORIES,
        population=deprivation[["lsoa_code", "population"]],
    )
    scored = gap_scores(deprivation, table, demand(events, pairs, since="2025-01-01"))

    assert len(centres) == 94 and centres.crs.to_epsg() == BRITISH_NATIONAL_GRID
    # Blackpool's centres lie within its bounds in British National Grid (about 330-336 km E, 428-444 km N).
    assert centres["x"].between(328_000, 338_000).all() and centres["y"].between(426_000, 446_000).all()
    assert pairs.groupby("lsoa_code").size().reindex(centres["lsoa_code"]).ge(1).all()  # every LSOA has a neighbour
    assert len(table) == 94 * len(CATEGORIES)
    assert table["per_1000"].notna().all() and (table["nearest_m"] >= 0).all()
    assert scored.attrs["coverage"]["matched"] == 94 and scored.attrs["coverage"]["lsoas"] == 94
    assert scored.attrs["deprivation_basis"] == "rank"  # Files 1 and 6 have ranks, no scores
    assert (scored["deprivation_basis"] == "rank").all()
    assert scored["gap_score"].between(0, 100).all()
    # Blackpool is among the most deprived places in England: most of its LSOAs score high on deprivation.
    assert scored["deprivation_part"].median() > 0.8
    assert scored.loc[scored["category"] == "carers", "demand_part"].gt(0).sum() >= 10


def test_iod2019_against_lsoa_2021_boundaries_is_refused(real_data_dir: Path) -> None:
    lsoa21 = read_boundaries(need(real_data_dir, "lsoa21_england_bgc.geojson.gz"), [BLACKPOOL])
    deprivation = read_deprivation(need(real_data_dir, FILE1))
    table = provision(
        lsoa_centres(lsoa21), pd.DataFrame(columns=["service_id", "category", "x", "y"]), categories=["a"]
    )

    with pytest.raises(ValueError, match="LSOA editions differ"):
        gap_scores(deprivation, table)
