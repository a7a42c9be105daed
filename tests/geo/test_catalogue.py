"""geo.catalogue: downloads from a real loopback HTTP server, checksums, and folder status."""

from __future__ import annotations

import hashlib
import re
import socket
from dataclasses import replace
from pathlib import Path

import pytest

from geo.catalogue import CATALOGUE, IOD2019_PAGE, OfficialFile, by_name, fetch, file_sha256, status
from geo.errors import DataFileError
from tests.geo.conftest import FILE1_HEADERS, WriteCsv, csv_bytes

PAYLOAD = csv_bytes(
    FILE1_HEADERS,
    [["E01012678", "Blackpool 010A", "E06000009", "Blackpool", "1", "1"]],
    bom=True,
)
PAYLOAD_SHA = hashlib.sha256(PAYLOAD).hexdigest()


def entry(
    filename: str = "File_1.csv",
    sha256: str | None = PAYLOAD_SHA,
    url: str | None = None,
) -> OfficialFile:
    return OfficialFile(
        name="test-file1",
        kind="deprivation",
        description="IoD2019 File 1 for a test",
        publisher_url=IOD2019_PAGE,
        download_url=url,
        sha256=sha256,
        filename=filename,
    )


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


def test_fetch_downloads_from_a_loopback_server(
    loopback_server: tuple[str, Path],
    tmp_path: Path,
) -> None:
    base_url, served = loopback_server
    (served / "File_1.csv").write_bytes(PAYLOAD)
    cache = tmp_path / "cache"

    paths = fetch([entry(url=f"{base_url}/File_1.csv")], cache, progress=False, timeout=5)

    assert paths == [cache / "File_1.csv"]
    assert paths[0].read_bytes() == PAYLOAD
    assert not list(cache.glob("*.part"))


def test_fetch_with_base_url_and_catalogue_name(
    loopback_server: tuple[str, Path],
    tmp_path: Path,
) -> None:
    base_url, served = loopback_server
    (served / "File 1 (copy).csv").write_bytes(PAYLOAD)
    item = entry(filename="File 1 (copy).csv")

    paths = fetch(
        ["test-file1"],
        tmp_path / "cache",
        progress=False,
        catalogue=[item],
        base_url=base_url,
    )

    assert paths[0].read_bytes() == PAYLOAD


def test_fetch_shows_progress_on_stderr(
    loopback_server: tuple[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    base_url, served = loopback_server
    (served / "File_1.csv").write_bytes(PAYLOAD)

    fetch([entry()], tmp_path / "cache", progress=True, base_url=base_url)

    captured = capsys.readouterr()
    assert "File_1.csv" in captured.err
    assert captured.out == ""


def test_fetch_skips_a_cached_file_with_the_right_checksum(
    loopback_server: tuple[str, Path],
    tmp_path: Path,
) -> None:
    base_url, _ = loopback_server  # serves nothing: a download attempt would fail with 404
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "File_1.csv").write_bytes(PAYLOAD)

    assert fetch([entry()], cache, progress=False, base_url=base_url) == [cache / "File_1.csv"]


def test_fetch_replaces_a_cached_file_with_a_wrong_checksum(
    loopback_server: tuple[str, Path],
    tmp_path: Path,
) -> None:
    base_url, served = loopback_server
    (served / "File_1.csv").write_bytes(PAYLOAD)
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "File_1.csv").write_bytes(b"damaged")

    fetch([entry()], cache, progress=False, base_url=base_url)

    assert (cache / "File_1.csv").read_bytes() == PAYLOAD


def test_checksum_mismatch_deletes_the_partial_file(
    loopback_server: tuple[str, Path],
    tmp_path: Path,
) -> None:
    base_url, served = loopback_server
    (served / "File_1.csv").write_bytes(PAYLOAD + b"tampered\r\n")
    cache = tmp_path / "cache"

    with pytest.raises(DataFileError) as info:
        fetch([entry()], cache, progress=False, base_url=base_url)

    message = str(info.value)
    assert "File_1.csv" in message
    assert PAYLOAD_SHA in message
    assert hashlib.sha256(PAYLOAD + b"tampered\r\n").hexdigest() in message
    assert "set DIRECTORY_DATA_DIR to a folder holding the file" in message
    assert list(cache.iterdir()) == []


def test_http_error_names_file_url_and_offline_route(
    loopback_server: tuple[str, Path],
    tmp_path: Path,
) -> None:
    base_url, _ = loopback_server

    with pytest.raises(DataFileError) as info:
        fetch([entry()], tmp_path / "cache", progress=False, base_url=base_url)

    message = str(info.value)
    assert "File_1.csv" in message
    assert f"{base_url}/File_1.csv" in message
    assert "404" in message
    assert "set DIRECTORY_DATA_DIR to a folder holding the file" in message
    assert not (tmp_path / "cache" / "File_1.csv.part").exists()


def test_connection_refused_is_a_data_file_error(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nobody listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    with pytest.raises(DataFileError, match="set DIRECTORY_DATA_DIR") as info:
        fetch(
            [entry()],
            tmp_path / "cache",
            progress=False,
            timeout=2,
            base_url=f"http://127.0.0.1:{port}",
        )
    assert f"http://127.0.0.1:{port}/File_1.csv" in str(info.value)


def test_entry_without_download_address_points_to_publisher(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match="has no direct download address") as info:
        fetch([entry(url=None)], tmp_path / "cache", progress=False)
    assert "english-indices-of-deprivation-2019" in str(info.value)
    assert "DIRECTORY_DATA_DIR" in str(info.value)


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


def test_file_sha256(tmp_path: Path) -> None:
    path = tmp_path / "x"
    path.write_bytes(PAYLOAD)
    assert file_sha256(path) == PAYLOAD_SHA


def test_docs_describe_every_catalogue_entry() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "data.md").read_text(encoding="utf-8")

    for item in CATALOGUE:
        assert f"`{item.name}`" in docs, item.name
        assert item.filename in docs, item.filename
    for command in ("asset-directory data fetch", "asset-directory data status"):
        assert command in docs
    assert "DIRECTORY_DATA_DIR" in docs
