"""geo.centres on grids of 1 km squares in British National Grid, where every centre is obvious."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo import BRITISH_NATIONAL_GRID, WGS84
from geo.centres import lsoa_centres
from tests.geo.conftest import X0, Y0, Grid, code


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
