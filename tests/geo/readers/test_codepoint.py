"""geo.readers.codepoint: OS Code-Point Open zips, read through read_postcodes."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from geo.errors import DataFileError
from geo.readers.codepoint import CODEPOINT_COLUMNS
from geo.readers.postcodes import read_postcodes
from tests.geo.readers.samples import BLACKPOOL, BURNLEY


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
