"""Fixtures the import tests share: a loopback web server, and settings that let an import read from it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from tests.scrapers.loopback import LoopbackServer, serve


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    yield from serve()


@pytest.fixture
def config(app: Flask) -> dict[str, Any]:
    return {**app.config, "IMPORT_ALLOW_PRIVATE": True, "IMPORT_TIMEOUT": 1.0, "IMPORT_MAX_MB": 1}
