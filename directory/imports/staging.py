"""A run's payloads, downloaded to a staging file before anything is written.

A feed can take minutes to fetch. Read inside the run's transaction, it would hold the database's write lock (on
SQLite, ``BEGIN IMMEDIATE``) for all that time and every other save would fail with "database is locked". So a
run first reads the whole source into an anonymous temporary file (memory stays flat however big the feed), then
writes it a chunk at a time in short transactions (``publish``). A source that fails part-way fails here, before
anything was written.
"""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Iterable, Iterator
from typing import IO, Any

# Past this many bytes the staging file leaves memory for disk.
IN_MEMORY = 8 * 1024 * 1024


class Staged:
    """What a source gave (payloads, and rejects in their place), read back in order as often as asked."""

    def __init__(self, file: IO[bytes], count: int) -> None:
        self._file = file
        self.count = count

    def __iter__(self) -> Iterator[Any]:
        self._file.seek(0)
        # Our own file, written just now by stage(): pickle here reads nothing from outside.
        for _ in range(self.count):
            yield pickle.load(self._file)  # noqa: S301

    def close(self) -> None:
        self._file.close()


def stage(items: Iterable[Any]) -> Staged:
    """Read ``items`` to the end into a staging file. A fault while reading propagates, and the file is closed."""
    file = tempfile.SpooledTemporaryFile(max_size=IN_MEMORY)  # noqa: SIM115 - Staged closes it
    count = 0
    try:
        for item in items:
            pickle.dump(item, file, protocol=pickle.HIGHEST_PROTOCOL)
            count += 1
    except BaseException:
        file.close()
        raise
    return Staged(file, count)
