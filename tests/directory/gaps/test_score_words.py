"""The gap score in words: every case reads true (no deprivation, no service anywhere, none within reach...)."""

from __future__ import annotations

import math

import pytest

from directory.gaps.score_words import score_in_words

RADIUS = 2000.0


def words(**figures: object) -> str:
    values: dict[str, object] = {"category_name": "Mental health", "decile": 1, "nearest_m": 3200.0,
                                 "within_radius": 0, "radius_m": RADIUS, "flags": 0, "demand": 0.0}  # fmt: skip
    values.update(figures)
    return score_in_words(**values)  # type: ignore[arg-type]


def test_a_deprived_area_far_from_a_service_with_no_flags() -> None:
    assert words() == ("Among the 10% most deprived areas in England; the nearest mental health service is 3.2 km "
                       "away, none within 2 km; no gap flags here yet.")  # fmt: skip


@pytest.mark.parametrize(
    ("decile", "expected"),
    [(1, "Among the 10% most deprived"), (3, "Among the 30% most deprived"), (5, "Among the 50% most deprived"),
     (6, "Among the 50% least deprived"), (9, "Among the 20% least deprived"),
     (10, "Among the 10% least deprived")],
)  # fmt: skip
def test_each_decile_is_said_truly(decile: int, expected: str) -> None:
    assert words(decile=decile).startswith(expected + " areas in England;")


@pytest.mark.parametrize("decile", [None, 0, 11])
def test_no_deprivation_loaded_is_said_plainly(decile: int | None) -> None:
    assert words(decile=decile).startswith("No deprivation figures are loaded for this area;")


@pytest.mark.parametrize("nearest", [None, math.nan])
def test_no_service_of_the_category_anywhere_claims_no_distance(nearest: float | None) -> None:
    text = words(nearest_m=nearest, within_radius=0)
    assert "no live mental health service with a known place is listed;" in text
    assert "km away" not in text and "within 2 km" not in text


def test_services_within_reach_are_counted() -> None:
    assert "the nearest mental health service is 0.8 km away, with 3 within 2 km;" in words(
        nearest_m=800.0, within_radius=3
    )


def test_a_service_in_the_area_is_not_said_to_be_0_km_away() -> None:
    text = words(nearest_m=40.0, within_radius=1)
    assert "a mental health service is less than 100 metres away, with 1 within 2 km" in text and "0.0 km" not in text


def test_a_service_covering_the_whole_authority_is_mentioned() -> None:
    text = words(nearest_m=None, area_covered=True)
    assert "no live mental health service with a known place is listed, and a service covering the whole" in text


def test_flags_and_demand_are_counted_in_words() -> None:
    assert words(flags=1, demand=1.0).endswith(
        "; 1 gap flag here; 1 signposting or gap flag counted here or next door."
    )
    assert words(flags=2, demand=5.0).endswith("; 2 gap flags here; 5 signpostings and gap flags counted here or "
                                               "next door.")  # fmt: skip
    assert words(flags=None, demand=0.0).endswith("none within 2 km.")  # flags not counted: nothing claimed


def test_a_category_named_with_an_acronym_keeps_its_capitals() -> None:
    assert "nearest NHS talking therapies service" in words(category_name="NHS talking therapies")
