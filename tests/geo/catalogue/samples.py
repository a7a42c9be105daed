"""A small IoD2019 File 1 payload and a catalogue entry for it, shared by the catalogue tests."""

from __future__ import annotations

import hashlib

from geo.catalogue.official_files import IOD2019_PAGE, OfficialFile
from tests.geo.conftest import FILE1_HEADERS, csv_bytes

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
