"""The IoD2019 shipped in the package: complete, the official figures, rebuilt byte for byte by its script."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from geo.readers.deprivation import read_deprivation
from geo.readers.deprivation_headers import DOMAINS
from geo.readers.packaged_deprivation import (
    IOD2019_LSOAS,
    PACKAGED_COLUMNS,
    PACKAGED_IOD2019,
    build_packaged_deprivation,
    main,
    read_packaged_deprivation,
)
from tests.geo.conftest import FILE1_HEADERS, csv_bytes

OFFICIAL = {
    "file1": "File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz",
    "file2": "File_2_-_IoD2019_Domains_of_Deprivation.csv.gz",
    "file6": "File_6_-_IoD2019_Population_Denominators.csv.gz",
}


@pytest.fixture(scope="module")
def packaged() -> pd.DataFrame:
    return read_packaged_deprivation()


def test_the_package_holds_every_lsoa_of_england_once_with_every_column(packaged: pd.DataFrame) -> None:
    assert len(packaged) == IOD2019_LSOAS == 32_844
    assert packaged["lsoa_code"].is_unique and packaged["lsoa_code"].str.fullmatch(r"E01\d{6}").all()
    assert set(PACKAGED_COLUMNS) <= set(packaged.columns)
    assert not packaged[list(PACKAGED_COLUMNS)].isna().any().any()
    assert packaged.attrs["lsoa_edition"] == "2011" and packaged.attrs["has_scores"] is False
    # Ranks run 1 to 32,844 for the IMD and every domain (LSOAs with equal scores share a rank, as published);
    # deciles run 1 to 10, each a tenth of England.
    for prefix in ("imd", *DOMAINS):
        ranks = packaged[f"{prefix}_rank"]
        assert (ranks.min(), ranks.max()) == (1, 32_844) and ranks.nunique() > 32_700, prefix
        counts = packaged[f"{prefix}_decile"].value_counts()
        assert set(counts.index) == set(range(1, 11)) and counts.between(3_200, 3_370).all(), prefix
    # The published age groups partition the total.
    ages = packaged["population_0_15"] + packaged["population_16_59"] + packaged["population_60_plus"]
    assert (ages == packaged["population"]).all()


def test_the_packaged_file_is_small_and_has_its_provenance_beside_it() -> None:
    assert PACKAGED_IOD2019.stat().st_size < 3_000_000
    provenance = (PACKAGED_IOD2019.parent / "PROVENANCE.md").read_text(encoding="utf-8")
    for words in ("Ministry of Housing, Communities and Local Government", "Open Government Licence v3.0",
                  *(name.removesuffix(".csv.gz") for name in OFFICIAL.values())):  # fmt: skip
        assert words in provenance


def test_a_few_authorities_can_be_read_alone(packaged: pd.DataFrame) -> None:
    demo = read_packaged_deprivation(lad_codes=["E06000009", "E07000117"])
    assert set(demo["lad_code"]) == {"E06000009", "E07000117"}
    assert len(demo) == int(packaged["lad_code"].isin(["E06000009", "E07000117"]).sum()) > 100


def test_files_that_do_not_cover_england_are_refused_and_nothing_is_written(tmp_path: Path) -> None:
    file1 = tmp_path / "File_1.csv"
    file1.write_bytes(
        csv_bytes(FILE1_HEADERS, [["E01000001", "City of London 001A", "E09000001", "City", "1", 1]], bom=False)
    )
    out = tmp_path / "out.csv.gz"
    with pytest.raises(ValueError, match="lack"):
        build_packaged_deprivation([file1], out)
    assert not out.exists()
    assert main([str(tmp_path)]) == 1


def test_the_package_matches_the_official_files_on_a_sample(packaged: pd.DataFrame, data_dir: Path) -> None:
    official = {key: read_deprivation(data_dir / name) for key, name in OFFICIAL.items()}
    sample = packaged.sample(n=500, random_state=16).set_index("lsoa_code")
    for key, frame in official.items():
        frame = frame.set_index("lsoa_code").loc[sample.index]
        shared = [c for c in frame.columns if c in PACKAGED_COLUMNS and c != "lsoa_code"]
        assert len(shared) >= 4, key
        pd.testing.assert_frame_equal(sample[shared], frame[shared], check_dtype=False, check_index_type=False, obj=key)


def test_the_script_rebuilds_the_packaged_file_byte_for_byte(data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "iod2019_lsoa11.csv.gz"
    build_packaged_deprivation([data_dir / name for name in OFFICIAL.values()], out)
    assert out.read_bytes() == PACKAGED_IOD2019.read_bytes()
