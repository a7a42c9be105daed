"""geo.areas.dissolve on 1 km squares in British National Grid: local authorities made of LSOAs."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import box

from geo import BRITISH_NATIONAL_GRID
from geo.areas import dissolve

X0, Y0 = 331_000.0, 436_000.0
KM = 1000.0


def squares(lads: list[str | None], *, gap_m: float = 0.0) -> gpd.GeoDataFrame:
    """A row of 1 km squares, west to east, each in the given authority, ``gap_m`` apart."""
    shapes = [box(X0 + i * (KM + gap_m), Y0, X0 + i * (KM + gap_m) + KM, Y0 + KM) for i in range(len(lads))]
    return gpd.GeoDataFrame({"lad": lads}, geometry=shapes, crs=BRITISH_NATIONAL_GRID).to_crs(4326)


def area_km2(frame: gpd.GeoDataFrame) -> list[float]:
    return [round(a / 1e6, 3) for a in frame.to_crs(BRITISH_NATIONAL_GRID).area]


def test_squares_of_one_authority_become_one_rectangle() -> None:
    out = dissolve(squares(["A", "A", "A", "B"]), "lad")
    assert out["lad"].tolist() == ["A", "B"] and out["members"].tolist() == [3, 1]
    assert area_km2(out) == [3.0, 1.0]
    a = out.to_crs(BRITISH_NATIONAL_GRID).geometry.iloc[0]
    assert a.geom_type == "Polygon" and a.bounds == pytest.approx((X0, Y0, X0 + 3 * KM, Y0 + KM), abs=0.01)
    assert (X0 < out["x"].iloc[0] < X0 + 3 * KM) and (Y0 < out["y"].iloc[0] < Y0 + KM)  # inside, in metres
    assert out.crs.to_epsg() == 4326


def test_a_sliver_hole_is_filled_but_a_real_one_kept() -> None:
    ring = [box(X0 + c * KM, Y0 + r * KM, X0 + (c + 1) * KM, Y0 + (r + 1) * KM) for r in range(3) for c in range(3)]
    frame = gpd.GeoDataFrame({"lad": ["A"] * 8}, geometry=[s for i, s in enumerate(ring) if i != 4], crs=27700)
    kept = dissolve(frame, "lad", min_hole_m2=0.5e6)  # the 1 km2 hole in the middle is real
    assert area_km2(kept) == [8.0]
    filled = dissolve(frame, "lad", min_hole_m2=2e6)
    assert area_km2(filled) == [9.0] and shapely.get_num_interior_rings(filled.geometry.iloc[0]) == 0


def test_small_islands_go_but_the_largest_part_stays() -> None:
    big = box(X0, Y0, X0 + KM, Y0 + KM)
    islet = box(X0 + 5 * KM, Y0, X0 + 5 * KM + 50, Y0 + 50)  # 2,500 m2
    lonely = box(X0 + 9 * KM, Y0, X0 + 9 * KM + 50, Y0 + 50)
    frame = gpd.GeoDataFrame({"lad": ["A", "A", "B"]}, geometry=[big, islet, lonely], crs=27700)
    out = dissolve(frame, "lad", min_part_m2=10_000)
    assert area_km2(out) == [1.0, 0.003]  # B's only part is its largest, so it stays


def test_rows_without_an_authority_are_left_out_and_bad_input_is_named() -> None:
    assert dissolve(squares(["A", None]), "lad")["members"].tolist() == [1]
    with pytest.raises(ValueError, match="no column 'lad_code'"):
        dissolve(squares(["A"]), "lad_code")
    with pytest.raises(ValueError, match="no CRS"):
        dissolve(gpd.GeoDataFrame({"lad": ["A"]}, geometry=[box(0, 0, 1, 1)]), "lad")
