"""geo.readers.recognition: files recognised by their headers, and the best one found in a folder."""

from __future__ import annotations

from pathlib import Path

from geo.readers.recognition import explain_file, find_official_file, find_official_files, recognise_file
from tests.geo.conftest import FILE1_HEADERS, FILE2_HEADERS, FILE6_HEADERS, WriteCsv, file7_headers, file7_row
from tests.geo.readers.samples import BLACKPOOL, FILE1_ROWS, NSPL_HEADERS, NSPL_ROWS, bng_squares, file2_rows, geojson


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
    geojson(tmp_path / "shapes.json", bng_squares())

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
