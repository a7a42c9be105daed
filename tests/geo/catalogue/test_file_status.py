"""geo.catalogue.file_status: what a folder holds for each kind of official file."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from geo.catalogue.file_status import status
from tests.geo.catalogue.samples import PAYLOAD, entry
from tests.geo.conftest import FILE1_HEADERS, WriteCsv


def test_status_reports_each_kind(tmp_path: Path, write_csv: WriteCsv) -> None:
    write_csv(
        "File_1.csv",
        FILE1_HEADERS,
        [["E01012678", "Blackpool 010A", "E06000009", "Blackpool", "1", "1"]],
    )
    (tmp_path / "postcodes.csv").write_text(
        "pcds,lat,long,lsoa11cd,ladcd\nFY1 1AN,53.82,-3.05,E01012681,E06000009\n",
    )
    catalogue = [entry(filename="File_1.csv")]

    report = status(tmp_path, catalogue=catalogue)

    by_kind = {item.kind: item for item in report}
    assert [item.kind for item in report] == ["deprivation", "postcodes", "boundaries"]
    deprivation = by_kind["deprivation"]
    assert deprivation.recognised and deprivation.preferred
    assert deprivation.source_kind == "IoD2019 File 1"
    assert deprivation.catalogue_name == "test-file1"
    assert deprivation.checksum_ok is True
    assert deprivation.rows_estimate == 1
    assert deprivation.size_bytes == len(PAYLOAD)
    assert by_kind["postcodes"].recognised
    assert by_kind["postcodes"].lsoa_edition == "2011"
    boundaries = by_kind["boundaries"]
    assert boundaries.path is None and not boundaries.recognised
    assert "asset-directory data fetch" in boundaries.message
    assert "DIRECTORY_DATA_DIR" in boundaries.message


def test_status_explains_an_unrecognised_catalogue_file(tmp_path: Path) -> None:
    (tmp_path / "File_1.csv").write_text("LSOA name (2011),Rank\nBlackpool 010A,1\n")

    report = status([tmp_path], catalogue=[entry(filename="File_1.csv")])

    deprivation = [item for item in report if item.kind == "deprivation"]
    assert len(deprivation) == 1
    assert not deprivation[0].recognised
    assert deprivation[0].catalogue_name == "test-file1"
    assert "LSOA code (2011)" in deprivation[0].message


def test_status_flags_a_checksum_mismatch(tmp_path: Path) -> None:
    (tmp_path / "File_1.csv").write_bytes(PAYLOAD)
    wrong = replace(entry(filename="File_1.csv"), sha256="0" * 64)

    (item,) = [i for i in status(tmp_path, catalogue=[wrong]) if i.kind == "deprivation"]

    assert item.recognised and item.checksum_ok is False
    assert "checksum" in item.message
