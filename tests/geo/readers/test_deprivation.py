"""geo.readers.deprivation (and its header recognition) on small IoD files, with answers worked out by hand."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from openpyxl import Workbook

from geo.errors import DataFileError
from geo.readers.deprivation import combine_deprivation, read_deprivation
from tests.geo.conftest import (
    FILE1_HEADERS,
    FILE2_HEADERS,
    FILE5_HEADERS,
    FILE6_HEADERS,
    WriteCsv,
    file7_headers,
    file7_row,
)
from tests.geo.readers.samples import BLACKPOOL, BURNLEY, FILE1_ROWS, file2_rows


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
