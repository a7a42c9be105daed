"""geo.readers.postcodes (and its header recognition) on small ONSPD, NSPL and ONS lookup files."""

from __future__ import annotations

import math
import zipfile
from pathlib import Path

import pytest

from geo.errors import DataFileError
from geo.readers.postcodes import read_postcodes
from tests.geo.conftest import WriteCsv
from tests.geo.readers.samples import BLACKPOOL, BURNLEY, NSPL_HEADERS, NSPL_ROWS


def test_nspl_filters_lad_and_drops_terminated_and_placeholders(write_csv: WriteCsv) -> None:
    path = write_csv("NSPL_MAY_2025_UK.csv", NSPL_HEADERS, NSPL_ROWS, bom=False)

    frame = read_postcodes(path, [BLACKPOOL])

    assert list(frame.columns) == [
        "pcds",
        "postcode_key",
        "lat",
        "long",
        "lsoa_code",
        "lsoa_edition",
        "lad_code",
        "terminated",
    ]
    assert frame["pcds"].tolist() == ["FY1 1AN", "FY1 1AP"]
    assert frame["postcode_key"].tolist() == ["FY11AN", "FY11AP"]
    assert frame["lat"].tolist() == [53.82125, 53.81733]
    assert frame["lsoa_code"].tolist() == ["E01033001", "E01033002"]  # 2021 preferred
    assert frame["lsoa_edition"].tolist() == ["2021", "2021"]
    assert not frame["terminated"].any()
    assert frame.attrs["source_kind"] == "NSPL"


def test_nspl_lsoa_2011_on_request_and_terminated_kept(write_csv: WriteCsv) -> None:
    path = write_csv("nspl.csv", NSPL_HEADERS, NSPL_ROWS, bom=False)

    frame = read_postcodes(path, [BLACKPOOL], include_terminated=True, lsoa_edition="2011")

    assert frame["pcds"].tolist() == ["FY1 1AN", "FY1 1AP", "FY1 1ZZ"]
    assert frame["terminated"].tolist() == [False, False, True]
    assert frame["lsoa_code"].tolist() == ["E01012681", "E01012736", "E01012736"]
    assert set(frame["lsoa_edition"]) == {"2011"}


def test_no_lad_filter_keeps_every_authority(write_csv: WriteCsv) -> None:
    frame = read_postcodes(write_csv("nspl.csv.gz", NSPL_HEADERS, NSPL_ROWS))

    assert frame["pcds"].tolist() == ["FY1 1AN", "FY1 1AP", "BB11 1AA"]


def test_onspd_gz_is_recognised_by_oslaua(write_csv: WriteCsv) -> None:
    headers = [
        "pcd",
        "pcd2",
        "pcds",
        "dointr",
        "doterm",
        "oscty",
        "ced",
        "oslaua",
        "osward",
        "usertype",
        "lsoa11",
        "lat",
        "long",
        "lsoa21",
    ]
    rows = [
        [
            "FY1 1AN",
            "FY1  1AN",
            "FY1 1AN",
            "200608",
            "",
            "E99999999",
            "E99999999",
            BLACKPOOL,
            "E05015190",
            "0",
            "E01012681",
            "53.82125",
            "-3.054",
            "E01033001",
        ],
    ]
    frame = read_postcodes(write_csv("ONSPD_MAY_2025_UK.csv.gz", headers, rows), [BLACKPOOL])

    assert frame.attrs["source_kind"] == "ONSPD"
    assert frame["pcds"].tolist() == ["FY1 1AN"]


def test_ons_lookup_upper_case_without_coordinates(write_csv: WriteCsv) -> None:
    headers = [
        "PCD7",
        "PCD8",
        "PCDS",
        "DOINTR",
        "DOTERM",
        "USERTYPE",
        "OA21CD",
        "LSOA21CD",
        "LSOA21NM",
        "MSOA21CD",
        "MSOA21NM",
        "LAD22CD",
        "LAD22NM",
        "LAD22NMW",
    ]
    rows = [
        [
            "FY1 1AN",
            "FY1  1AN",
            "FY1 1AN",
            "200608",
            "",
            "0",
            "E00",
            "E01033001",
            "n",
            "E02",
            "m",
            BLACKPOOL,
            "Blackpool",
            "",
        ],
        [
            "FY1 1ZZ",
            "FY1  1ZZ",
            "FY1 1ZZ",
            "200608",
            "202001",
            "0",
            "E00",
            "E01033001",
            "n",
            "E02",
            "m",
            BLACKPOOL,
            "Blackpool",
            "",
        ],
    ]
    frame = read_postcodes(
        write_csv("PCD_OA21_LSOA21_MSOA21_LAD_AUG23_UK_LU.csv", headers, rows),
        [BLACKPOOL],
    )

    assert frame["pcds"].tolist() == ["FY1 1AN"]
    assert math.isnan(frame["lat"].iloc[0]) and math.isnan(frame["long"].iloc[0])
    assert frame["lsoa_edition"].tolist() == ["2021"]
    assert frame.attrs["source_kind"] == "ONS postcode to OA/LSOA/MSOA/LAD lookup"


def test_shared_england_format_without_doterm(write_csv: WriteCsv) -> None:
    headers = ["pcds", "lat", "long", "lsoa11cd", "msoa11cd", "ladcd", "usertype"]
    rows = [
        ["FY1 1AN", "53.82125", "-3.05400", "E01012681", "E02002638", BLACKPOOL, "0"],
        ["FY1 1AQ", "", "", "E01012681", "E02002638", BLACKPOOL, "0"],  # no coordinates
        ["BB11 1AA", "53.789", "-2.243", "E01024897", "E02", BURNLEY, "0"],
    ]
    frame = read_postcodes(
        write_csv("postcodes_england.csv.gz", headers, rows, bom=False),
        {BLACKPOOL},
    )

    assert frame["pcds"].tolist() == ["FY1 1AN"]
    assert frame["terminated"].tolist() == [False]
    assert frame["lsoa_edition"].tolist() == ["2011"]
    kind = frame.attrs["source_kind"]
    assert kind == "ONS postcode to OA/LSOA/MSOA/LAD lookup with NSPL lat/long"


def test_shared_lancashire_format(write_csv: WriteCsv) -> None:
    headers = [
        "pcds",
        "dointr",
        "doterm",
        "usertype",
        "oa11cd",
        "lsoa11cd",
        "msoa11cd",
        "ladcd",
        "ladnm",
        "lat",
        "long",
    ]
    rows = [
        [
            "BB0 1GR",
            "199612",
            "200006",
            "1",
            "E00063413",
            "E01012576",
            "E02002622",
            "E06000008",
            "Blackburn with Darwen",
            "53.75346",
            "-2.46423",
        ],
        [
            "BB1 1DL",
            "198803",
            "",
            "0",
            "E00063404",
            "E01012572",
            "E02002621",
            "E06000008",
            "Blackburn with Darwen",
            "53.74699",
            "-2.47269",
        ],
    ]
    path = write_csv("lancs.csv", headers, rows, bom=False)

    assert read_postcodes(path)["pcds"].tolist() == ["BB1 1DL"]
    assert read_postcodes(path, include_terminated=True)["terminated"].tolist() == [True, False]


def test_zip_picks_the_csv_with_postcode_headers(tmp_path: Path) -> None:
    from tests.geo.conftest import csv_bytes

    path = tmp_path / "NSPL_MAY_2025_UK.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            "Documents/LA_UA names and codes UK as at 04_25.csv",
            csv_bytes(["LAD25CD", "LAD25NM"], [[BLACKPOOL, "Blackpool"]], bom=True),
        )
        archive.writestr("Data/NSPL_MAY_2025_UK.csv", csv_bytes(NSPL_HEADERS, NSPL_ROWS, bom=False))

    frame = read_postcodes(path, [BURNLEY])

    assert frame["pcds"].tolist() == ["BB11 1AA"]
    assert frame.attrs["source_kind"] == "NSPL"


def test_missing_lsoa_edition_is_named(write_csv: WriteCsv) -> None:
    headers = ["pcds", "lat", "long", "lsoa11cd", "ladcd"]
    path = write_csv("pc.csv", headers, [["FY1 1AN", "53.8", "-3.0", "E01012681", BLACKPOOL]])

    with pytest.raises(DataFileError, match=r"missing column 'lsoa21'"):
        read_postcodes(path, lsoa_edition="2021")


@pytest.mark.parametrize(
    ("headers", "missing"),
    [
        (["postcode_text", "lat", "long", "laua"], "'pcds'"),
        (["pcds", "lat", "long", "lsoa11"], "'laua' (or 'oslaua', 'ladcd')"),
    ],
)
def test_postcode_file_without_key_columns_is_refused(
    write_csv: WriteCsv,
    headers: list[str],
    missing: str,
) -> None:
    path = write_csv("wrong.csv", headers, [["FY1 1AN", "53.8", "-3.0", "x"]])

    with pytest.raises(DataFileError) as info:
        read_postcodes(path)
    assert missing in str(info.value)
    assert "wrong.csv" in str(info.value)
    assert "geoportal.statistics.gov.uk" in str(info.value)


def test_filter_matching_nothing_gives_empty_frame_with_columns(write_csv: WriteCsv) -> None:
    frame = read_postcodes(write_csv("nspl.csv", NSPL_HEADERS, NSPL_ROWS), ["E09000001"])

    assert frame.empty
    assert list(frame.columns) == [
        "pcds",
        "postcode_key",
        "lat",
        "long",
        "lsoa_code",
        "lsoa_edition",
        "lad_code",
        "terminated",
    ]
