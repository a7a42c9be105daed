"""directory.imports.lookalikes: a new record like a listing from elsewhere is held for staff, never one of the
run's own new listings; on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from directory.imports import lookalikes
from directory.imports.running import run_source
from directory.imports.sources import ensure_source
from tests.directory.imports.test_running import unique
from tests.directory.imports.test_writer import SHEET_HEADER

pytestmark = pytest.mark.both_backends


@pytest.fixture
def config(app: Flask) -> dict[str, Any]:
    return {**app.config, "IMPORT_ALLOW_PRIVATE": True}


def test_a_runs_own_new_listings_are_never_held_as_lookalikes_of_each_other(
    session: Any, config: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Alike names at one postcode, one record a chunk, the postcodes forgotten and read again between chunks."""
    monkeypatch.setattr(lookalikes, "NEARBY_POSTCODES", 1)
    tag = unique("Alike")
    rows = "".join(
        f"{tag}-{n},{tag} knit group {n},{tag} crafters,{('FY1 1PX', 'FY4 4NW')[n % 2]},Tuesday,10:00,12:00\n"
        for n in range(6)
    )
    source = ensure_source(session, name=unique("alike sheet"), kind="spreadsheet")
    run = run_source(session, source, config, payloads=[(SHEET_HEADER + rows).encode()], chunk_size=1)
    assert (run.status, run.created, run.held) == ("succeeded", 6, 0)
    # Another source's record alike one of them is held for staff, as before.
    other = ensure_source(session, name=unique("other sheet"), kind="spreadsheet")
    alike = f"{SHEET_HEADER}x-1,{tag} knit group 2,{tag} crafters,FY1 1PX,Tuesday,10:00,12:00\n".encode()
    held = run_source(session, other, config, payloads=[alike], chunk_size=1)
    assert (held.created, held.held) == (0, 1)
