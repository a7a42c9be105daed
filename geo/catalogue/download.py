"""Downloading catalogue files into a cache folder: streamed, with a progress bar, checked against their checksums.

Nothing here runs at import time: no network, no disk.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from urllib.parse import quote

import requests
from tqdm import tqdm

from geo.catalogue.official_files import CATALOGUE, OfficialFile, by_name
from geo.errors import DataFileError

__all__ = ["OFFLINE_ROUTE", "fetch", "file_sha256"]

OFFLINE_ROUTE = "set DIRECTORY_DATA_DIR to a folder holding the file"


def file_sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _entry(name: str | OfficialFile, catalogue: Sequence[OfficialFile]) -> OfficialFile:
    return name if isinstance(name, OfficialFile) else by_name(name, catalogue)


def _url_for(entry: OfficialFile, base_url: str | None) -> str | None:
    if base_url is not None:
        return f"{base_url.rstrip('/')}/{quote(entry.filename)}"
    return entry.download_url


def fetch(
    names: Iterable[str | OfficialFile],
    cache_dir: str | Path,
    *,
    progress: bool = True,
    timeout: float = 60.0,
    session: requests.Session | None = None,
    catalogue: Sequence[OfficialFile] = CATALOGUE,
    base_url: str | None = None,
    force: bool = False,
) -> list[Path]:
    """Download catalogue files into ``cache_dir``, skipping those already there.

    Each file is streamed to ``<filename>.part`` and renamed into place only when
    complete (and, when the entry has a sha256, only when the checksum matches). A
    cached file is kept when its checksum matches, or when no checksum is known.

    Parameters
    ----------
    names
        Catalogue names ("iod2019-file7") or :class:`OfficialFile` entries.
    cache_dir
        Folder to download into (created if missing). Point ``DIRECTORY_DATA_DIR`` at it.
    progress
        Show a tqdm progress bar on standard error.
    timeout
        Seconds to wait for the server to connect or send data.
    session
        A ``requests.Session`` to use (a new one otherwise).
    catalogue
        Entries to look names up in.
    base_url
        Download every file from ``<base_url>/<filename>`` instead of its catalogue URL
        (a mirror, or a local server in tests).
    force
        Download again even when a cached copy is present.

    Returns
    -------
    list of pathlib.Path
        The cached files, in the order asked for.

    Raises
    ------
    DataFileError
        When a file has no download address, the download fails (the message names the
        file, the URL and the offline route: set ``DIRECTORY_DATA_DIR`` to a folder
        holding the file), or the checksum does not match (the partial file is deleted).
    ValueError
        When a name is not in the catalogue.
    """
    entries = [_entry(name, catalogue) for name in names]
    folder = Path(cache_dir)
    folder.mkdir(parents=True, exist_ok=True)
    own_session = session is None
    http = session if session is not None else requests.Session()
    try:
        options = (progress, timeout, http, base_url, force)
        return [_fetch_one(entry, folder, *options) for entry in entries]
    finally:
        if own_session:
            http.close()


def _fetch_one(
    entry: OfficialFile,
    folder: Path,
    progress: bool,
    timeout: float,
    http: requests.Session,
    base_url: str | None,
    force: bool,
) -> Path:
    target = folder / entry.filename
    cached = target.is_file() and not force
    if cached and (entry.sha256 is None or file_sha256(target) == entry.sha256):
        return target
    url = _url_for(entry, base_url)
    if url is None:
        raise DataFileError(
            target,
            "has no direct download address",
            expected=f"the file saved by hand into {folder}, or {OFFLINE_ROUTE}",
            source=entry.publisher_url,
        )
    partial = target.with_name(target.name + ".part")
    digest = hashlib.sha256()
    try:
        with http.get(url, stream=True, timeout=timeout) as response:
            response.raise_for_status()
            total = int(response.headers.get("Content-Length") or 0) or None
            with (
                open(partial, "wb") as handle,
                tqdm(
                    total=total,
                    unit="B",
                    unit_scale=True,
                    unit_divisor=1024,
                    desc=entry.filename,
                    file=sys.stderr,
                    disable=not progress,
                ) as bar,
            ):
                for block in response.iter_content(chunk_size=1 << 20):
                    handle.write(block)
                    digest.update(block)
                    bar.update(len(block))
    except (requests.RequestException, OSError) as exc:
        partial.unlink(missing_ok=True)
        raise DataFileError(
            entry.filename,
            f"download from {url} failed ({exc})",
            expected=f"the file from {url}; offline, {OFFLINE_ROUTE}",
            source=entry.publisher_url,
        ) from exc
    actual = digest.hexdigest()
    if entry.sha256 is not None and actual != entry.sha256:
        partial.unlink(missing_ok=True)
        raise DataFileError(
            entry.filename,
            f"the download from {url} has sha256 {actual}, not the expected {entry.sha256}; "
            "the partial file was deleted",
            expected=f"sha256 {entry.sha256}; offline, {OFFLINE_ROUTE}",
            source=entry.publisher_url,
        )
    os.replace(partial, target)
    return target
