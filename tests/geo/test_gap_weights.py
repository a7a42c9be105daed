"""geo.gap_weights: the weights of the gap score are checked when made."""

from __future__ import annotations

import pytest

from geo.gap_weights import GapWeights


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"deprivation": -1}, "finite numbers >= 0"),
        ({"deprivation": 0, "provision": 0, "demand": 0}, "At least one"),
        ({"distance_scale_m": 0}, "distance_scale_m must be a number above 0"),
        ({"area_covered_relief": 1.5}, "between 0 and 1"),
    ],
)
def test_bad_weights_are_refused(overrides: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        GapWeights(**overrides)
