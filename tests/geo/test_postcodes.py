"""geo.postcodes: one postcode from a person, many from an official file."""

from __future__ import annotations

import pandas as pd
import pytest

from geo.postcodes import InvalidPostcode, normalise_postcode, pcds_series, postcode_key


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("fy1 1an", "FY1 1AN"),
        ("  FY11AN ", "FY1 1AN"),
        ("sw1a  1aa", "SW1A 1AA"),
        ("BB11 1AA", "BB11 1AA"),
    ],
)
def test_normalise_postcode(text: str, expected: str) -> None:
    assert normalise_postcode(text) == expected


@pytest.mark.parametrize("text", ["", "   ", "not a postcode", "FY1"])
def test_normalise_postcode_refuses(text: str) -> None:
    with pytest.raises(InvalidPostcode):
        normalise_postcode(text)


def test_outward_code_alone_on_request() -> None:
    assert normalise_postcode("fy1", allow_outward_only=True) == "FY1"


def test_invalid_postcode_is_a_value_error() -> None:
    assert issubclass(InvalidPostcode, ValueError)


def test_postcode_key() -> None:
    assert postcode_key("FY1 1AN") == "FY11AN"
    assert postcode_key("fy1  1an") == "FY11AN"


def test_pcds_series_from_official_forms() -> None:
    values = pd.Series(["FY1 1AN", "FY1  1AN", "FY11AN", "fy11an", "SW1A1AA", "B1 1AA", "B1  1AA"])

    assert pcds_series(values).tolist() == [
        "FY1 1AN",
        "FY1 1AN",
        "FY1 1AN",
        "FY1 1AN",
        "SW1A 1AA",
        "B1 1AA",
        "B1 1AA",
    ]


def test_pcds_series_blank_or_wrong_length_is_none() -> None:
    values = pd.Series(["", None, "AB12", "TOOLONGPC"], index=[5, 6, 7, 8])

    result = pcds_series(values)

    assert result.tolist() == [None, None, None, None]
    assert result.index.tolist() == [5, 6, 7, 8]


def test_pcds_series_agrees_with_postcode_key() -> None:
    values = pd.Series(["fy1 1an", "BB11 1AA"])
    assert [postcode_key(p) for p in pcds_series(values)] == ["FY11AN", "BB111AA"]
