"""Per-process caching of small, rarely changed facts: shared within a database, forgotten on change."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from directory.core import process_cache


def _session(path: Path) -> Session:
    return Session(create_engine(f"sqlite:///{path}"))


def test_a_value_is_kept_per_database_and_read_again_when_forgotten_or_old(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[str] = []
    one, other = _session(tmp_path / "one.sqlite"), _session(tmp_path / "other.sqlite")

    def load(session: Session) -> int:
        reads.append(str(session.get_bind().engine.url))
        return len(reads)

    assert process_cache.cached(one, "fact", load) == 1
    assert process_cache.cached(one, "fact", load) == 1  # kept
    assert process_cache.cached(other, "fact", load) == 2  # another database has its own
    process_cache.forget(one, "fact")
    assert process_cache.cached(one, "fact", load) == 3
    monkeypatch.setattr(process_cache, "SECONDS", 0.0)  # too old at once
    assert process_cache.cached(one, "fact", load) == 4
    process_cache.clear()
    monkeypatch.setattr(process_cache, "SECONDS", 30.0)
    assert process_cache.cached(other, "fact", load) == 5
