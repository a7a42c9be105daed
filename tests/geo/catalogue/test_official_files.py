"""geo.catalogue.official_files: the list of official files is well formed and documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from geo.catalogue.official_files import CATALOGUE, by_name


def test_catalogue_entries_are_well_formed() -> None:
    names = [item.name for item in CATALOGUE]
    filenames = [item.filename for item in CATALOGUE]
    assert len(set(names)) == len(names)
    assert len(set(filenames)) == len(filenames)
    for item in CATALOGUE:
        assert item.kind in ("deprivation", "postcodes", "boundaries")
        assert item.publisher_url.startswith("https://")
        assert item.download_url is None or item.download_url.startswith("https://")
        assert item.sha256 is None or re.fullmatch(r"[0-9a-f]{64}", item.sha256)
        assert "Open Government Licence" in item.licence
    assert {item.kind for item in CATALOGUE} == {"deprivation", "postcodes", "boundaries"}


def test_by_name_unknown_lists_known_names() -> None:
    assert by_name("iod2019-file7").filename.startswith("File_7_-_All_IoD2019")
    with pytest.raises(ValueError, match="iod2019-file1"):
        by_name("no-such-file")


def test_docs_describe_every_catalogue_entry() -> None:
    docs = (Path(__file__).resolve().parents[3] / "docs" / "data.md").read_text(encoding="utf-8")

    for item in CATALOGUE:
        assert f"`{item.name}`" in docs, item.name
        assert item.filename in docs, item.filename
    for command in ("asset-directory data fetch", "asset-directory data status"):
        assert command in docs
    assert "DIRECTORY_DATA_DIR" in docs
