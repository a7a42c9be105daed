"""geo.crs: WGS84 to British National Grid and back."""

from __future__ import annotations

import numpy as np
import pytest

from geo.crs import to_bng, to_wgs84


def test_to_bng_and_back_round_trips() -> None:
    longitude, latitude = np.array([-3.0553, -2.2426]), np.array([53.8159, 53.7893])  # Blackpool Tower, Burnley

    x, y = to_bng(longitude, latitude)
    back_lon, back_lat = to_wgs84(x, y)

    assert 330_000 < x[0] < 331_500 and 435_500 < y[0] < 437_000
    assert np.allclose(back_lon, longitude, atol=1e-7) and np.allclose(back_lat, latitude, atol=1e-7)


def test_to_bng_refuses_swapped_arguments() -> None:
    with pytest.raises(ValueError, match="latitude outside -90..90"):
        to_bng([53.8], [-3.05 * 100])
