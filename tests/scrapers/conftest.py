from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.scrapers.loopback import LoopbackServer, serve


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    yield from serve()
