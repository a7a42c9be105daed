"""What a set of folders holds for each kind of official file, and whether the readers recognise it.

Nothing here runs at import time: no network, no disk.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from geo.catalogue.download import file_sha256
from geo.catalogue.official_files import CATALOGUE, OfficialFile
from geo.readers.boundaries import BOUNDARIES_SOURCE
from geo.readers.deprivation_headers import DEPRIVATION_SOURCE
from geo.readers.postcode_headers import POSTCODES_SOURCE
from geo.readers.recognition import KINDS, Kind, explain_file, find_official_files

__all__ = ["FileStatus", "status"]

_KIND_SOURCES = {
    "deprivation": DEPRIVATION_SOURCE,
    "postcodes": POSTCODES_SOURCE,
    "boundaries": BOUNDARIES_SOURCE,
}


@dataclass(frozen=True)
class FileStatus:
    """What a set of folders holds for one kind of official file.

    Attributes
    ----------
    kind
        "deprivation", "postcodes" or "boundaries".
    path
        The file, or None when nothing of this kind was found.
    recognised
        Whether the readers recognise the file's headers.
    source_kind
        The product recognised (e.g. "IoD2019 File 2"), else None.
    lsoa_edition
        "2011" or "2021" when known.
    size_bytes
        File size on disk.
    rows_estimate
        Rows (or features), estimated cheaply from the size and a sample.
    catalogue_name
        The catalogue entry with this file name, if any.
    checksum_ok
        True / False when the catalogue knows the checksum, None otherwise.
    preferred
        True for the file the readers would pick for this kind (the most complete).
    message
        Why a file is not recognised, or what to do when none was found; "" when fine.
    """

    kind: Kind
    path: Path | None
    recognised: bool
    source_kind: str | None = None
    lsoa_edition: str | None = None
    size_bytes: int | None = None
    rows_estimate: int | None = None
    catalogue_name: str | None = None
    checksum_ok: bool | None = None
    preferred: bool = False
    message: str = ""


def status(
    folders: str | Path | Iterable[str | Path],
    *,
    catalogue: Sequence[OfficialFile] = CATALOGUE,
    verify_checksums: bool = True,
) -> list[FileStatus]:
    """Report, for each kind of official file, what the folders hold.

    Files are recognised by their headers (the readers' sniffing), not by name; files
    named like a catalogue entry but not recognised are reported with the reason.

    Parameters
    ----------
    folders
        A folder or several (e.g. ``DIRECTORY_DATA_DIR`` and the fetch cache); searched
        recursively.
    catalogue
        Entries used to name files and check their checksums.
    verify_checksums
        Hash files whose catalogue entry has a sha256 (fast for the files listed).

    Returns
    -------
    list of FileStatus
        Grouped by kind (deprivation, postcodes, boundaries), best file first within a
        kind; one ``FileStatus(path=None, recognised=False)`` for a kind with no file.
    """
    folder_list = [Path(folders)] if isinstance(folders, str | Path) else [Path(f) for f in folders]
    by_filename = {entry.filename: entry for entry in catalogue}
    report: list[FileStatus] = []
    for kind in KINDS:
        found = find_official_files(folder_list, kind)
        seen = {item.path.resolve() for item in found}
        for position, item in enumerate(found):
            entry = by_filename.get(item.path.name)
            checksum_ok = None
            if verify_checksums and entry is not None and entry.sha256 is not None:
                checksum_ok = file_sha256(item.path) == entry.sha256
            report.append(
                FileStatus(
                    kind=kind,
                    path=item.path,
                    recognised=True,
                    source_kind=item.source_kind,
                    lsoa_edition=item.lsoa_edition,
                    size_bytes=item.path.stat().st_size,
                    rows_estimate=item.rows_estimate,
                    catalogue_name=entry.name if entry else None,
                    checksum_ok=checksum_ok,
                    preferred=position == 0,
                    message=""
                    if checksum_ok is not False
                    else "checksum differs from the catalogue's: the file may be damaged",
                ),
            )
        unrecognised = 0
        for entry in catalogue:
            if entry.kind != kind:
                continue
            for folder in folder_list:
                path = folder / entry.filename
                if not path.is_file() or path.resolve() in seen:
                    continue
                seen.add(path.resolve())
                unrecognised += 1
                report.append(
                    FileStatus(
                        kind=kind,
                        path=path,
                        recognised=False,
                        size_bytes=path.stat().st_size,
                        catalogue_name=entry.name,
                        message=explain_file(path, kind) or "not recognised",
                    ),
                )
        if not found and not unrecognised:
            shown = ", ".join(str(folder) for folder in folder_list) or "(no folders)"
            report.append(
                FileStatus(
                    kind=kind,
                    path=None,
                    recognised=False,
                    message=f"no {kind} file found in {shown}: run `asset-directory data "
                    f"fetch`, or download it from {_KIND_SOURCES[kind]} and set "
                    "DIRECTORY_DATA_DIR to the folder holding it",
                ),
            )
    return report
