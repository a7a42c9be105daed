"""geo.neighbours on grids of 1 km squares in British National Grid."""

from __future__ import annotations

import geopandas as gpd
from shapely.geometry import box

from geo import BRITISH_NATIONAL_GRID
from geo.neighbours import neighbours
from tests.geo.conftest import KM, X0, Y0, Grid, code


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
