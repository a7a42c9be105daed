"""Per-process caching of small, rarely changed facts: shared within a database, read again when it changes."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from directory.core import process_cache
from directory.core.meta import AppMeta, write_meta


def _session(path: Path) -> Session:
    engine = create_engine(f"sqlite:///{path}")
    AppMeta.__table__.create(engine)
    return Session(engine)


def test_a_value_is_kept_per_database_and_read_again_when_changed_or_old(
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
    process_cache.changed(one, "fact")
    one.commit()
    assert process_cache.cached(one, "fact", load) == 3
    monkeypatch.setattr(process_cache, "SECONDS", 0.0)  # too old at once
    assert process_cache.cached(one, "fact", load) == 4
    process_cache.clear()
    monkeypatch.setattr(process_cache, "SECONDS", 300.0)
    assert process_cache.cached(other, "fact", load) == 5


def test_a_change_committed_by_another_process_is_seen_at_once(tmp_path: Path) -> None:
    """Two sessions on one database stand for two web nodes: the node that did not make the change has no message
    from the other, only the stamp in the database."""
    path = tmp_path / "shared.sqlite"
    node_a = _session(path)
    node_b = Session(create_engine(f"sqlite:///{path}"))
    values = iter(["old", "new"])

    def load(_session: Session) -> str:
        return next(values)

    assert process_cache.cached(node_b, "synonyms-b", load) == "old"
    assert process_cache.cached(node_b, "synonyms-b", load) == "old"  # kept: no second read
    # What ``changed`` stores, written by the other node (in another process, which has no copy of ours to drop).
    write_meta(node_a, process_cache.STAMP + "synonyms-b", "a new stamp")
    node_a.commit()
    node_b.commit()  # a new request: a new transaction
    assert process_cache.cached(node_b, "synonyms-b", load) == "new"
