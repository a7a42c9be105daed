"""geo.lookups: the ONS LSOA 2011 to 2021 lookup, read as published, and deprivation carried across it by hand."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from geo.errors import DataFileError
from geo.lookups import carry_deprivation, describe, read_lsoa_lookup
from tests.geo.conftest import WriteCsv

HEADERS = ["LSOA11CD", "LSOA11NM", "LSOA21CD", "LSOA21NM", "CHGIND", "LAD22CD", "LAD22NM", "LAD22NMW", "ObjectId"]
N_2011 = 32_844
# 2011 -> 2021: 01 unchanged; 02 split in two; 03 and 04 merged; 05 and 06 redrawn irregularly (05 -> 04 and 05,
# 06 -> 05), so 2021 E01033004 has one source (part of 05) and E01033005 two (the rest of 05, and 06).
PAIRS = [
    ("E01000001", "E01000001", "U"),
    ("E01000002", "E01033001", "S"),
    ("E01000002", "E01033002", "S"),
    ("E01000003", "E01033003", "M"),
    ("E01000004", "E01033003", "M"),
    ("E01000005", "E01033004", "X"),
    ("E01000005", "E01033005", "X"),
    ("E01000006", "E01033005", "X"),
]
# 2011 figures: rank, decile, population, score.
FIGURES = {
    "E01000001": (100, 1, 1000, 60.0),
    "E01000002": (5_000, 2, 2000, 40.0),
    "E01000003": (10_000, 4, 1000, 30.0),
    "E01000004": (20_000, 7, 3000, 10.0),
    "E01000005": (30_000, 10, 1200, 2.0),
    "E01000006": (3_000, 1, 1500, 50.0),
}


def lookup_rows(pairs: list[tuple[str, str, str]] = PAIRS) -> list[list[object]]:
    return [
        [old, f"Place {old[-3:]}", new, f"Place {new[-3:]}", change, "E06000009", "Blackpool", "", index + 1]
        for index, (old, new, change) in enumerate(pairs)
    ]


@pytest.fixture
def lookup(write_csv: WriteCsv) -> pd.DataFrame:
    return read_lsoa_lookup(write_csv("LSOA11_LSOA21_LAD22_EW_LU.csv", HEADERS, lookup_rows()))


def deprivation_2011() -> pd.DataFrame:
    frame = pd.DataFrame(
        [(code, *values) for code, values in FIGURES.items()],
        columns=["lsoa_code", "imd_rank", "imd_decile", "population", "imd_score"],
    )
    frame.attrs["lsoa_edition"] = "2011"
    return frame


# --- reading -----------------------------------------------------------------------------------------------------


def test_the_official_lookup_is_read_with_its_change_indicators(lookup: pd.DataFrame) -> None:
    assert list(lookup.columns) == [
        "lsoa11_code", "lsoa11_name", "lsoa21_code", "lsoa21_name", "change", "lad_code", "lad_name",
    ]  # fmt: skip
    assert len(lookup) == len(PAIRS)
    assert lookup.iloc[1].to_dict() == {
        "lsoa11_code": "E01000002", "lsoa11_name": "Place 002", "lsoa21_code": "E01033001",
        "lsoa21_name": "Place 001", "change": "S", "lad_code": "E06000009", "lad_name": "Blackpool",
    }  # fmt: skip
    assert lookup.attrs["changes"] == {"U": 1, "S": 2, "M": 2, "X": 3}


def test_a_gzipped_lookup_with_lower_case_headers_is_read(write_csv: WriteCsv) -> None:
    frame = read_lsoa_lookup(write_csv("lookup.csv.gz", [h.lower() for h in HEADERS], lookup_rows(), bom=False))
    assert frame["change"].tolist() == [change for _old, _new, change in PAIRS]


def test_a_file_that_is_not_the_lookup_is_refused_naming_the_file_what_was_expected_and_where_to_get_it(
    write_csv: WriteCsv,
) -> None:
    path = write_csv("File_1_-_IMD2019.csv", ["LSOA code (2011)", "LSOA name (2011)"], [["E01000001", "x"]])
    with pytest.raises(DataFileError) as raised:
        read_lsoa_lookup(path)
    message = str(raised.value)
    assert str(path) in message and "missing the columns LSOA11CD, LSOA21CD, CHGIND, LAD22CD" in message
    assert "Expected a CSV with the columns LSOA11CD, LSOA11NM, LSOA21CD, LSOA21NM, CHGIND" in message
    assert "geoportal.statistics.gov.uk" in message


def test_a_lookup_without_the_change_indicator_is_refused(write_csv: WriteCsv) -> None:
    headers = [h for h in HEADERS if h != "CHGIND"]
    rows = [[v for i, v in enumerate(row) if i != 4] for row in lookup_rows()]
    with pytest.raises(DataFileError, match="missing the columns CHGIND"):
        read_lsoa_lookup(write_csv("best_fit.csv", headers, rows))


@pytest.mark.parametrize(
    ("row", "why"),
    [
        (["E01000001", "x", "E0103", "y", "U", "E06000009", "Blackpool", "", 9], "'E0103' in LSOA21CD"),
        (["E01000001", "x", "E01000001", "y", "Q", "E06000009", "Blackpool", "", 9], "CHGIND 'Q'"),
        (["E01000001", "x"], "'' in LSOA21CD"),
    ],
    ids=["truncated code", "unknown change", "short last row"],
)
def test_a_bad_or_truncated_row_is_refused_with_its_row_number(
    write_csv: WriteCsv, row: list[object], why: str
) -> None:
    with pytest.raises(DataFileError, match=f"data row 9 has {why}".replace("(", r"\(").replace(")", r"\)")):
        read_lsoa_lookup(write_csv("lookup.csv", HEADERS, [*lookup_rows(), row]))


def test_an_empty_or_missing_lookup_is_refused(write_csv: WriteCsv, tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match="has headers but no rows"):
        read_lsoa_lookup(write_csv("lookup.csv", HEADERS, []))
    with pytest.raises(DataFileError, match="does not exist"):
        read_lsoa_lookup(tmp_path / "nowhere.csv")


# --- carrying ----------------------------------------------------------------------------------------------------


def test_deprivation_is_carried_onto_2021_as_worked_out_by_hand(lookup: pd.DataFrame) -> None:
    carried = carry_deprivation(deprivation_2011(), lookup, to_edition="2021").set_index("lsoa_code")
    row = carried.loc["E01000001"]  # unchanged: as published
    assert (row.imd_rank, row.imd_decile, row.population, row.carried, row.carried_from) == (
        100, 1, 1000, "unchanged", "E01000001",
    )  # fmt: skip
    for part in ("E01033001", "E01033002"):  # split: each part takes the whole's figures and half its people
        row = carried.loc[part]
        figures = (row.imd_rank, row.imd_decile, row.imd_score, row.population, row.carried)
        assert figures == (5000, 2, 40.0, 1000, "split")
    row = carried.loc["E01033003"]  # merged: population-weighted, 1000 x 10,000 + 3000 x 20,000 over 4000
    assert (row.imd_rank, row.population, row.carried, row.carried_from) == (
        17_500, 4000, "merged", "E01000003 E01000004",
    )  # fmt: skip
    assert row.imd_decile == math.ceil(10 * 17_500 / N_2011) == 6
    assert row.imd_score == pytest.approx((1000 * 30 + 3000 * 10) / 4000)
    row = carried.loc["E01033004"]  # irregular, one source: half of 05 (its people shared between its two parts)
    assert (row.imd_rank, row.imd_decile, row.population, row.carried) == (30_000, 10, 600, "irregular")
    row = carried.loc["E01033005"]  # irregular, two sources: 600 people from 05 and 1500 from 06
    assert row.imd_rank == round((600 * 30_000 + 1500 * 3_000) / 2100) == 10_714
    assert row.imd_decile == 4 and row.population == 2100 and row.carried_from == "E01000005 E01000006"
    assert carried.attrs["carried"] == {"unchanged": 1, "split": 2, "merged": 1, "irregular": 2}
    assert carried.attrs["weights"] == "population" and carried.attrs["lsoa_edition"] == "2021"


def test_deprivation_is_carried_back_onto_2011_the_other_way(lookup: pd.DataFrame) -> None:
    published = pd.DataFrame(
        {"lsoa_code": ["E01033001", "E01033002", "E01033003"], "imd_rank": [1000, 3000, 8000],
         "imd_decile": [1, 1, 3], "population": [1500, 500, 4000]}
    )  # fmt: skip
    published.attrs["lsoa_edition"] = "2021"
    carried = carry_deprivation(published, lookup, to_edition="2011").set_index("lsoa_code")
    # 2011 E01000002 was split into 001 and 002: back onto it, their population-weighted mean and their sum.
    row = carried.loc["E01000002"]
    assert (row.imd_rank, row.population, row.carried) == (1500, 2000, "split")
    assert row.imd_decile == math.ceil(10 * 1500 / 33_755) == 1
    # 2021 E01033003 merged 2011 003 and 004: each takes its figures and half its people.
    assert carried.loc["E01000003"].imd_rank == 8000 and carried.loc["E01000004"].population == 2000
    assert "E01000001" not in carried.index  # its 2021 figures were not given


def test_without_every_population_the_sources_weigh_equally_and_no_population_is_made_up(
    lookup: pd.DataFrame,
) -> None:
    figures = deprivation_2011()
    figures.loc[figures["lsoa_code"] == "E01000004", "population"] = None
    carried = carry_deprivation(figures, lookup, to_edition="2021").set_index("lsoa_code")
    assert carried.attrs["weights"] == "equal"
    assert carried.loc["E01033003"].imd_rank == 15_000 and pd.isna(carried.loc["E01033003"].population)


def test_carrying_onto_the_same_edition_is_refused(lookup: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="already on LSOA 2011"):
        carry_deprivation(deprivation_2011(), lookup, to_edition="2011")
    with pytest.raises(ValueError, match="to_edition must be"):
        carry_deprivation(deprivation_2011(), lookup, to_edition="2019")  # type: ignore[arg-type]


def test_a_carried_value_is_described_with_its_sources() -> None:
    assert describe("", "", "2011") == ""
    assert describe("merged", "E01000003 E01000004", "2011") == (
        "Carried from LSOA 2011 E01000003, E01000004 by the ONS lookup "
        "(the population-weighted mean of the LSOAs merged into it)."
    )
    assert "part of an LSOA that was split" in describe("split", "E01000002", "2011")
    assert "best fit" in describe("irregular", "E01000005 E01000006", "2011")
