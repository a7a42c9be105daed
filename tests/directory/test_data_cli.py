"""`asset-directory data fetch` and `data status`, against a real HTTP server on loopback."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from directory import create_app
from directory.cli import cli
from directory.core.db import db

FILE1_HEADER = (
    "LSOA code (2011),LSOA name (2011),Local Authority District code (2019),"
    "Local Authority District name (2019),Index of Multiple Deprivation (IMD) Rank,"
    "Index of Multiple Deprivation (IMD) Decile\n"
)


@pytest.fixture
def mirror(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    folder = tmp_path / "mirror"
    folder.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", folder
    server.shutdown()
    server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class names it so
        pass


@pytest.fixture
def runner(tmp_path: Path) -> Iterator[Any]:
    data = tmp_path / "data"
    data.mkdir()
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'd.sqlite'}", "INSTANCE_PATH": str(tmp_path / "inst"),
         "DATA_DIR": str(data)}
    )  # fmt: skip
    app.config["TEST_DATA"] = data
    yield app.test_cli_runner()
    with app.app_context():
        db.engine.dispose()


def test_fetch_downloads_into_the_cache(runner: Any, mirror: tuple[str, Path], tmp_path: Path) -> None:
    base, folder = mirror
    (folder / "File_1_-_IMD2019_Index_of_Multiple_Deprivation.xlsx").write_bytes(b"not checked: no sha256 known")
    result = runner.invoke(cli, args=["data", "fetch", "iod2019-file1", "--mirror", base, "--quiet"])
    assert result.exit_code == 0, result.output
    cached = tmp_path / "inst" / "data" / "File_1_-_IMD2019_Index_of_Multiple_Deprivation.xlsx"
    assert cached.read_bytes() == b"not checked: no sha256 known"
    assert f"ready: {cached}" in result.output


def test_fetch_refuses_a_file_whose_checksum_is_wrong(runner: Any, mirror: tuple[str, Path], tmp_path: Path) -> None:
    base, folder = mirror
    (folder / "File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz").write_bytes(b"tampered")
    result = runner.invoke(cli, args=["data", "fetch", "iod2019-file1-csv", "--mirror", base, "--quiet"])
    assert result.exit_code == 1
    assert "File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz" in result.output
    assert "sha256" in result.output.lower() or "checksum" in result.output.lower()
    assert list((tmp_path / "inst" / "data").glob("File_1*")) == []


def test_fetch_of_a_missing_file_names_it_and_the_offline_route(runner: Any, mirror: tuple[str, Path]) -> None:
    base, _ = mirror
    result = runner.invoke(cli, args=["data", "fetch", "iod2019-file1", "--mirror", base, "--quiet"])
    assert result.exit_code == 1
    assert "File_1_-_IMD2019_Index_of_Multiple_Deprivation.xlsx" in result.output
    assert "DIRECTORY_DATA_DIR" in result.output


def test_fetch_refuses_an_unknown_name(runner: Any) -> None:
    result = runner.invoke(cli, args=["data", "fetch", "imd-1999"])
    assert result.exit_code == 1 and "imd-1999" in result.output and "iod2019-file1" in result.output


def test_status_recognises_files_by_their_headers(runner: Any) -> None:
    data = runner.app.config["TEST_DATA"]
    (data / "my-download.csv").write_text(
        FILE1_HEADER + 'E01000001,City of London 001A,E09000001,City of London,"29,199",9\n', encoding="utf-8"
    )
    result = runner.invoke(cli, args=["data", "status"])
    assert result.exit_code == 0, result.output
    lines = {line.split(":", 1)[0]: line for line in result.output.splitlines()}
    assert "IoD2019 File 1" in lines["deprivation"] and "my-download.csv" in lines["deprivation"]
    assert "missing" in lines["postcodes"] and "data fetch" in lines["postcodes"]
