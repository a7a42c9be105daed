"""geo.provision on grids of 1 km squares in British National Grid, where every answer is obvious."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial import cKDTree

from geo import WGS84
from geo.centres import lsoa_centres
from geo.provision import AGE_DENOMINATORS, provision
from tests.geo.conftest import BLACKPOOL, KM, X0, Y0, Grid, code


def services(*rows: tuple[object, str, float, float]) -> pd.DataFrame:
    """Services from (service_id, category, x offset in km, y offset in km) from (X0, Y0)."""
    return pd.DataFrame(
        {
            "service_id": [r[0] for r in rows],
            "category": [r[1] for r in rows],
            "x": [X0 + float(r[2]) * KM for r in rows],
            "y": [Y0 + float(r[3]) * KM for r in rows],
        },
    )


def cell(frame: pd.DataFrame, lsoa: str, category: str) -> pd.Series:
    rows = frame[(frame["lsoa_code"] == lsoa) & (frame["category"] == category)]
    assert len(rows) == 1
    return rows.iloc[0]


def test_nearest_distances_and_counts_on_the_grid(grid: Grid) -> None:
    centres = lsoa_centres(grid())
    located = services((1, "debt", 0.5, 0.5))  # at the centre of square (0, 0)

    table = provision(centres, located, categories=["debt"], radius_m=1000.0)

    assert cell(table, code(0, 0), "debt")["nearest_m"] == 0.0
    assert cell(table, code(1, 0), "debt")["nearest_m"] == pytest.approx(1000.0)
    assert cell(table, code(1, 1), "debt")["nearest_m"] == pytest.approx(math.sqrt(2) * 1000)
    assert cell(table, code(2, 2), "debt")["nearest_m"] == pytest.approx(math.sqrt(8) * 1000)
    # The radius is inclusive: (1, 0) and (0, 1) are exactly 1 km away, (1, 1) is 1.41 km.
    counted = table.set_index("lsoa_code")["within_radius"]
    assert counted[[code(0, 0), code(1, 0), code(0, 1)]].tolist() == [1, 1, 1]
    assert counted.sum() == 3
    assert table.attrs["radius_m"] == 1000.0 and table.attrs["lsoa_edition"] == "2011"


def test_table_is_every_lsoa_by_every_category(grid: Grid) -> None:
    centres = lsoa_centres(grid())
    located = services((1, "debt", 0.5, 0.5), (2, "carers", 2.5, 2.5), (3, "other", 1.5, 1.5))

    table = provision(centres, located, categories=["debt", "carers", "walking"])

    assert list(table.columns) == ["lsoa_code", "category", "nearest_m", "within_radius", "per_1000", "area_covered"]
    assert len(table) == 9 * 3
    assert table.groupby("category", observed=True).size().to_dict() == {"debt": 9, "carers": 9, "walking": 9}
    walking = table[table["category"] == "walking"]
    assert walking["nearest_m"].isna().all() and (walking["within_radius"] == 0).all()
    assert cell(table, code(2, 2), "carers")["nearest_m"] == 0.0  # "other" is not a requested category
    assert table.attrs["services"] == 2


def test_a_service_listed_twice_in_a_category_counts_once(grid: Grid) -> None:
    centres = lsoa_centres(grid())
    located = services((1, "debt", 0.5, 0.5), (1, "debt", 0.5, 0.5), (2, "debt", 0.6, 0.5))

    table = provision(centres, located, categories=["debt"], radius_m=500.0)

    assert cell(table, code(0, 0), "debt")["within_radius"] == 2


def test_per_1000_uses_the_lsoa_population(grid: Grid) -> None:
    centres = lsoa_centres(grid())
    located = services((1, "debt", 0.5, 0.5), (2, "debt", 0.4, 0.5))
    population = pd.DataFrame({"lsoa_code": [code(0, 0), code(1, 0)], "population": [1600, 0]})

    table = provision(centres, located, categories=["debt"], radius_m=500.0, population=population)

    assert cell(table, code(0, 0), "debt")["per_1000"] == pytest.approx(2 / 1600 * 1000)
    assert math.isnan(cell(table, code(1, 0), "debt")["per_1000"])  # population zero
    assert math.isnan(cell(table, code(2, 2), "debt")["per_1000"])  # population unknown


def test_per_1000_counts_older_people_and_children_against_their_own_age_group(grid: Grid) -> None:
    centres = lsoa_centres(grid())
    located = services((1, "older-people", 0.5, 0.5), (2, "young-people", 0.5, 0.5), (3, "debt", 0.5, 0.5))
    population = pd.DataFrame(
        {"lsoa_code": [code(0, 0)], "population": [1600], "population_60_plus": [400], "population_0_15": [250]}
    )

    table = provision(centres, located, categories=["older-people", "young-people", "debt"], radius_m=500.0,
                      population=population, denominators=AGE_DENOMINATORS)  # fmt: skip

    assert cell(table, code(0, 0), "older-people")["per_1000"] == pytest.approx(1 / 400 * 1000)
    assert cell(table, code(0, 0), "young-people")["per_1000"] == pytest.approx(1 / 250 * 1000)
    assert cell(table, code(0, 0), "debt")["per_1000"] == pytest.approx(1 / 1600 * 1000)
    assert table.attrs["denominators"]["older-people"] == "population_60_plus"
    assert table.attrs["denominators"]["debt"] == "population"
    with pytest.raises(ValueError, match="population_60_plus"):
        provision(centres, located, categories=["older-people"], population=population[["lsoa_code", "population"]],
                  denominators=AGE_DENOMINATORS)  # fmt: skip


def test_area_wide_services_cover_the_lsoas_of_their_authority(grid: Grid) -> None:
    centres = lsoa_centres(grid(lad=None))
    lads = pd.DataFrame({"lsoa_code": [code(c, 0) for c in range(3)], "lad_code": BLACKPOOL})
    area_wide = pd.DataFrame({"category": ["carers", "debt"], "lad_code": [BLACKPOOL, "E07000117"]})

    table = provision(
        centres,
        services(),
        categories=["carers", "debt"],
        service_area_lads=area_wide,
        centre_lads=lads,
    )

    carers = table[table["category"] == "carers"].set_index("lsoa_code")["area_covered"]
    assert carers[[code(c, 0) for c in range(3)]].all()
    assert not carers[[code(c, 1) for c in range(3)]].any()
    assert not table.loc[table["category"] == "debt", "area_covered"].any()


def test_area_coverage_can_use_the_centres_lad_column(grid: Grid) -> None:
    area_wide = pd.DataFrame({"category": ["carers"], "lad_code": [BLACKPOOL]})

    table = provision(lsoa_centres(grid()), services(), categories=["carers"], service_area_lads=area_wide)

    assert table["area_covered"].all()


def test_area_coverage_without_lsoa_authorities_is_refused(grid: Grid) -> None:
    area_wide = pd.DataFrame({"category": ["carers"], "lad_code": [BLACKPOOL]})

    with pytest.raises(ValueError, match="cannot tell which local authority"):
        provision(lsoa_centres(grid(lad=None)), services(), categories=["carers"], service_area_lads=area_wide)


def test_services_in_degrees_are_refused(grid: Grid) -> None:
    located = pd.DataFrame({"service_id": [1], "category": ["debt"], "x": [-3.05], "y": [53.8]})

    with pytest.raises(ValueError, match=r"look like longitude/latitude.*to_bng"):
        provision(lsoa_centres(grid()), located, categories=["debt"])


def test_centres_in_another_crs_are_refused(grid: Grid) -> None:
    centres = lsoa_centres(grid()).to_crs(WGS84)

    with pytest.raises(ValueError, match="must be in British National Grid"):
        provision(centres, services(), categories=["debt"])


def test_missing_columns_and_coordinates_are_named(grid: Grid) -> None:
    centres = lsoa_centres(grid())
    with pytest.raises(ValueError, match="missing 'service_id'"):
        provision(centres, services().drop(columns="service_id"), categories=["debt"])
    unlocated = services((1, "debt", 0.5, 0.5)).assign(x=np.nan)
    with pytest.raises(ValueError, match="without a usable x/y"):
        provision(centres, unlocated, categories=["debt"])
    with pytest.raises(ValueError, match="radius_m > 0"):
        provision(centres, services(), categories=["debt"], radius_m=0)


# --------------------------------------------------------------------------------------
# Properties

coordinate = st.floats(min_value=0.0, max_value=20_000.0, allow_nan=False)
points = st.lists(st.tuples(coordinate, coordinate), min_size=1, max_size=25)


def frames(
    centre_points: list[tuple[float, float]], service_points: list[tuple[float, float]]
) -> tuple[pd.DataFrame, ...]:
    centres = pd.DataFrame(
        {
            "lsoa_code": [f"E01{i:06d}" for i in range(len(centre_points))],
            "x": [X0 + p[0] for p in centre_points],
            "y": [Y0 + p[1] for p in centre_points],
        },
    )
    located = pd.DataFrame(
        {
            "service_id": range(len(service_points)),
            "category": "debt",
            "x": [X0 + p[0] for p in service_points],
            "y": [Y0 + p[1] for p in service_points],
        },
    )
    return centres, located


@settings(max_examples=60, deadline=None)
@given(centre_points=points, service_points=points, radius=st.floats(min_value=1.0, max_value=10_000.0))
def test_distances_are_non_negative_and_match_brute_force(
    centre_points: list[tuple[float, float]],
    service_points: list[tuple[float, float]],
    radius: float,
) -> None:
    centres, located = frames(centre_points, service_points)

    table = provision(centres, located, categories=["debt"], radius_m=radius)

    c = centres[["x", "y"]].to_numpy()
    s = located[["x", "y"]].to_numpy()
    brute = np.sqrt(((c[:, None, :] - s[None, :, :]) ** 2).sum(axis=2))
    assert (table["nearest_m"] >= 0).all()
    assert np.allclose(table["nearest_m"], brute.min(axis=1))
    ball = cKDTree(s).query_ball_point(c, radius, return_length=True)
    assert table["within_radius"].tolist() == list(ball)


@settings(max_examples=60, deadline=None)
@given(centre_points=points, service_points=points, extra=st.tuples(coordinate, coordinate))
def test_adding_a_service_never_increases_a_nearest_distance(
    centre_points: list[tuple[float, float]],
    service_points: list[tuple[float, float]],
    extra: tuple[float, float],
) -> None:
    centres, before = frames(centre_points, service_points)
    _, after = frames(centre_points, [*service_points, extra])

    old = provision(centres, before, categories=["debt"])
    new = provision(centres, after, categories=["debt"])

    assert (new["nearest_m"].to_numpy() <= old["nearest_m"].to_numpy()).all()
    assert (new["within_radius"].to_numpy() >= old["within_radius"].to_numpy()).all()
