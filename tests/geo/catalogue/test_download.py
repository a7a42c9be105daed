"""geo.catalogue.download: downloads from a real loopback HTTP server, and checksums."""

from __future__ import annotations

import hashlib
import socket
from pathlib import Path

import pytest

from geo.catalogue.download import fetch, file_sha256
from geo.errors import DataFileError
from tests.geo.catalogue.samples import PAYLOAD, PAYLOAD_SHA, entry


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


def test_file_sha256(tmp_path: Path) -> None:
    path = tmp_path / "x"
    path.write_bytes(PAYLOAD)
    assert file_sha256(path) == PAYLOAD_SHA
