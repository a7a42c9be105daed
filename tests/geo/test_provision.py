"""geo.provision on grids of 1 km squares in British National Grid, where every answer is obvious."""

from __future__ import annotations

import math
from collections.abc import Callable

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial import cKDTree
from shapely.geometry import box

from geo import BRITISH_NATIONAL_GRID, WGS84
from geo.provision import demand, lsoa_centres, neighbours, provision, to_bng, to_wgs84

X0, Y0 = 330_000.0, 436_000.0  # near Blackpool, in metres
KM = 1000.0
BLACKPOOL = "E06000009"

Grid = Callable[..., gpd.GeoDataFrame]


def code(column: int, row: int, columns: int = 3) -> str:
    return f"E01{row * columns + column:06d}"


@pytest.fixture
def grid() -> Grid:
    """An n x m grid of 1 km squares from (X0, Y0); LSOA (c, r) has code(c, r) and centre X0 + 500 + c km."""

    def make(
        columns: int = 3, rows: int = 3, *, lad: str | None = BLACKPOOL, edition: str = "2011"
    ) -> gpd.GeoDataFrame:
        squares = [
            (code(c, r, columns), box(X0 + c * KM, Y0 + r * KM, X0 + (c + 1) * KM, Y0 + (r + 1) * KM))
            for r in range(rows)
            for c in range(columns)
        ]
        return gpd.GeoDataFrame(
            {"lsoa_code": [s[0] for s in squares], "lsoa_edition": edition, "lad_code": lad},
            geometry=[s[1] for s in squares],
            crs=BRITISH_NATIONAL_GRID,
        )

    return make


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


# --------------------------------------------------------------------------------------
# Coordinates


def test_to_bng_and_back_round_trips() -> None:
    longitude, latitude = np.array([-3.0553, -2.2426]), np.array([53.8159, 53.7893])  # Blackpool Tower, Burnley

    x, y = to_bng(longitude, latitude)
    back_lon, back_lat = to_wgs84(x, y)

    assert 330_000 < x[0] < 331_500 and 435_500 < y[0] < 437_000
    assert np.allclose(back_lon, longitude, atol=1e-7) and np.allclose(back_lat, latitude, atol=1e-7)


def test_to_bng_refuses_swapped_arguments() -> None:
    with pytest.raises(ValueError, match="latitude outside -90..90"):
        to_bng([53.8], [-3.05 * 100])


# --------------------------------------------------------------------------------------
# Centres


def test_centres_of_squares_are_their_middles_in_bng(grid: Grid) -> None:
    centres = lsoa_centres(grid())

    assert centres.crs.to_epsg() == BRITISH_NATIONAL_GRID
    assert list(centres.columns) == ["lsoa_code", "geometry", "x", "y", "centre_kind", "lsoa_edition", "lad_code"]
    middle = centres[centres["lsoa_code"] == code(1, 1)].iloc[0]
    assert (middle["x"], middle["y"]) == (X0 + 1500, Y0 + 1500)
    assert (centres["centre_kind"] == "geometric").all()
    assert centres.attrs["lsoa_edition"] == "2011"


def test_centres_from_wgs84_boundaries_are_reprojected(grid: Grid) -> None:
    centres = lsoa_centres(grid().to_crs(WGS84))

    assert np.allclose(centres["x"].iloc[0], X0 + 500, atol=0.5)
    assert np.allclose(centres["y"].iloc[0], Y0 + 500, atol=0.5)


def test_population_weighted_centres_replace_geometric_ones_where_given(grid: Grid) -> None:
    weighted = pd.DataFrame({"lsoa_code": [code(0, 0)], "x": [X0 + 100], "y": [Y0 + 900]})

    centres = lsoa_centres(grid(), weighted).set_index("lsoa_code")

    assert (centres.loc[code(0, 0), "x"], centres.loc[code(0, 0), "y"]) == (X0 + 100, Y0 + 900)
    assert centres.loc[code(0, 0), "centre_kind"] == "population-weighted"
    assert centres.loc[code(1, 0), "centre_kind"] == "geometric"
    assert centres.loc[code(0, 0), "geometry"].x == X0 + 100


def test_population_weighted_centres_in_degrees_are_refused(grid: Grid) -> None:
    weighted = pd.DataFrame({"lsoa_code": [code(0, 0)], "x": [-3.05], "y": [53.8]})

    with pytest.raises(ValueError, match="look like longitude/latitude"):
        lsoa_centres(grid(), weighted)


def test_centres_need_a_crs_and_a_code_column(grid: Grid) -> None:
    with pytest.raises(ValueError, match="needs boundaries with a CRS"):
        lsoa_centres(grid().set_crs(None, allow_override=True))
    with pytest.raises(ValueError, match="missing 'lsoa_code'"):
        lsoa_centres(grid().rename(columns={"lsoa_code": "code"}))


# --------------------------------------------------------------------------------------
# Neighbours


def test_on_a_3x3_grid_the_centre_has_eight_queen_neighbours(grid: Grid) -> None:
    pairs = neighbours(grid())

    counts = pairs.groupby("lsoa_code").size()
    assert counts[code(1, 1)] == 8
    assert [counts[code(c, r)] for c, r in [(0, 0), (2, 0), (0, 2), (2, 2)]] == [3, 3, 3, 3]
    assert [counts[code(c, r)] for c, r in [(1, 0), (0, 1), (2, 1), (1, 2)]] == [5, 5, 5, 5]
    assert not (pairs["lsoa_code"] == pairs["neighbour_code"]).any()
    reversed_pairs = set(zip(pairs["neighbour_code"], pairs["lsoa_code"], strict=True))
    assert set(zip(pairs["lsoa_code"], pairs["neighbour_code"], strict=True)) == reversed_pairs
    assert set(pairs.loc[pairs["lsoa_code"] == code(0, 0), "neighbour_code"]) == {code(1, 0), code(0, 1), code(1, 1)}


def test_neighbours_tolerance_bridges_a_sliver() -> None:
    apart = gpd.GeoDataFrame(
        {"lsoa_code": ["E01000001", "E01000002"]},
        geometry=[box(X0, Y0, X0 + KM, Y0 + KM), box(X0 + KM + 0.5, Y0, X0 + 2 * KM, Y0 + KM)],
        crs=BRITISH_NATIONAL_GRID,
    )

    assert neighbours(apart).empty
    assert len(neighbours(apart, tolerance_m=1.0)) == 2


# --------------------------------------------------------------------------------------
# Provision


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


# --------------------------------------------------------------------------------------
# Demand


def events(*rows: tuple[str, str, str, str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["lsoa_code", "category", "kind", "occurred_at"])


def test_demand_counts_the_lsoa_and_its_neighbours_in_the_window(grid: Grid) -> None:
    pairs = neighbours(grid())
    recorded = events(
        (code(1, 1), "debt", "signposting", "2025-03-01"),  # reaches all nine
        (code(0, 0), "debt", "gap-flag", "2025-03-02T10:00:00"),  # reaches (0,0) and its three neighbours
        (code(2, 2), "debt", "signposting", "2024-12-31"),  # before the window
        (code(2, 2), "carers", "gap-flag", "2025-06-01"),  # at the end: excluded
    )

    counted = demand(recorded, pairs, since="2025-01-01", until="2025-06-01").set_index("lsoa_code")

    assert len(counted) == 9 and set(counted["category"]) == {"debt"}
    assert counted.loc[code(0, 0), ["signposting", "gap_flags", "events"]].tolist() == [1, 1, 2]
    assert counted.loc[code(1, 1), "events"] == 2
    assert counted.loc[code(2, 2), ["signposting", "gap_flags"]].tolist() == [1, 0]
    assert counted.attrs["events_in_window"] == 2


def test_demand_without_neighbours_counts_the_lsoa_itself(grid: Grid) -> None:
    none = pd.DataFrame({"lsoa_code": [], "neighbour_code": []})
    recorded = events(
        (code(0, 0), "debt", "signposting", "2025-03-01"), (code(0, 0), "debt", "signposting", "2025-03-02")
    )

    counted = demand(recorded, none, since="2025-01-01")

    assert counted[["lsoa_code", "category", "events"]].values.tolist() == [[code(0, 0), "debt", 2]]


def test_demand_compares_times_with_zones(grid: Grid) -> None:
    recorded = events((code(0, 0), "debt", "signposting", "2025-01-01T00:30:00+01:00"))  # 23:30 UTC the day before

    assert demand(recorded, neighbours(grid()), since="2025-01-01").empty
    assert len(demand(recorded, neighbours(grid()), since="2024-12-31")) == 4


def test_demand_refuses_unknown_kinds_and_bad_times(grid: Grid) -> None:
    with pytest.raises(ValueError, match="'signposting' or 'gap-flag'"):
        demand(events((code(0, 0), "debt", "referral", "2025-01-01")), neighbours(grid()), since="2025-01-01")
    with pytest.raises(ValueError, match="occurred_at"):
        demand(events((code(0, 0), "debt", "signposting", "not a date")), neighbours(grid()), since="2025-01-01")
    with pytest.raises(ValueError, match="since"):
        demand(events(), neighbours(grid()), since="soon")
