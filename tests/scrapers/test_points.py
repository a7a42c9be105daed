"""scrapers.points: a feed's coordinates kept only when they are numbers, in range and inside the UK."""

from __future__ import annotations

from typing import Any

import pytest

from scrapers.points import outside, point


@pytest.mark.parametrize(
    ("latitude", "longitude", "kept"),
    [
        (53.817, -3.05, (53.817, -3.05)),  # Blackpool
        ("51.5", "-0.12", (51.5, -0.12)),  # numeric text
        (60.15, -1.15, (60.15, -1.15)),  # Shetland
        (49.91, -6.31, (49.91, -6.31)),  # Scilly
        (54.6, -5.93, (54.6, -5.93)),  # Belfast
        (48.85, 2.35, (None, None)),  # Paris
        (-3.05, 53.817, (None, None)),  # swapped
        (0, 0, (None, None)),
        (95.0, -3.0, (None, None)),
        (None, -3.0, (None, None)),
        ("north", "west", (None, None)),
        (True, 1, (None, None)),
        (float("nan"), -3.0, (None, None)),
    ],
)
def test_a_point_is_kept_only_inside_the_uk(latitude: Any, longitude: Any, kept: tuple[Any, Any]) -> None:
    assert point(latitude, longitude) == kept


def test_why_a_point_was_not_kept_is_named() -> None:
    assert "out of range" in outside(95, 0)
    assert "outside the UK" in outside(48.85, 2.35)
    assert "not two numbers" in outside("north", None)
