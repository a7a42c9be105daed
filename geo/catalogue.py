"""The catalogue of official files the directory reads, how to fetch them, and what is present.

``fetch`` downloads catalogue files into a cache folder (streamed, with a progress bar and
a checksum check when one is known); ``status`` reports, for each kind of file, what a set
of folders holds and whether the readers recognise it. The command line
(``asset-directory data fetch`` / ``data status``) calls these two functions.

Nothing here runs at import time: no network, no disk.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import requests
from tqdm import tqdm

from geo.errors import DataFileError
from geo.readers import (
    BOUNDARIES_SOURCE,
    DEPRIVATION_SOURCE,
    KINDS,
    POSTCODES_SOURCE,
    Kind,
    explain_file,
    find_official_files,
)

__all__ = [
    "CATALOGUE",
    "FileStatus",
    "OfficialFile",
    "OFFLINE_ROUTE",
    "by_name",
    "fetch",
    "file_sha256",
    "status",
]

OGL = "Open Government Licence v3.0"
ATTRIBUTION_OGL = f"Contains public sector information licensed under the {OGL}."
ATTRIBUTION_ONS_OS = (
    "Source: Office for National Statistics licensed under the Open Government Licence v3.0. "
    "Contains OS data © Crown copyright and database right."
)
OFFLINE_ROUTE = "set DIRECTORY_DATA_DIR to a folder holding the file"

IOD2019_PAGE = "https://www.gov.uk/government/statistics/english-indices-of-deprivation-2019"
IOD2025_PAGE = "https://www.gov.uk/government/statistics/english-indices-of-deprivation-2025"
GEOPORTAL = "https://geoportal.statistics.gov.uk/"
CODEPOINT_PAGE = "https://osdatahub.os.uk/downloads/open/CodePointOpen"
_ASSETS = "https://assets.publishing.service.gov.uk"
_FILE2 = "File_2_-_IoD2019_Domains_of_Deprivation.xlsx"
_CODEPOINT_API = "https://api.os.uk/downloads/v1/products/CodePointOpen/downloads"


@dataclass(frozen=True)
class OfficialFile:
    """One official file the directory can read.

    Attributes
    ----------
    name
        Short identifier used on the command line, e.g. "iod2019-file1".
    kind
        "deprivation", "postcodes" or "boundaries".
    description
        One line for people: what the file holds and its coverage.
    publisher_url
        The publisher's page for the release.
    download_url
        A direct download, or None when the publisher offers none that is stable (the
        file must then be downloaded by hand into ``DIRECTORY_DATA_DIR``).
    sha256
        Expected checksum of the file as cached, or None when not known.
    filename
        Name of the file in the cache / data folder.
    licence
        Licence of the data.
    attribution
        The attribution statement the licence asks for.
    """

    name: str
    kind: Kind
    description: str
    publisher_url: str
    download_url: str | None
    sha256: str | None
    filename: str
    licence: str = OGL
    attribution: str = ATTRIBUTION_OGL


CATALOGUE: tuple[OfficialFile, ...] = (
    # English Indices of Deprivation 2019, LSOA 2011 (MHCLG).
    OfficialFile(
        name="iod2019-file7",
        kind="deprivation",
        description="IoD2019 File 7: all IMD and domain scores, ranks, deciles and population "
        "denominators per LSOA 2011 (32,844 rows)",
        publisher_url=IOD2019_PAGE,
        download_url=f"{_ASSETS}/media/5dc407b440f0b6379a7acc8d/"
        "File_7_-_All_IoD2019_Scores__Ranks__Deciles_and_Population_Denominators_3.csv",
        sha256=None,
        filename="File_7_-_All_IoD2019_Scores__Ranks__Deciles_and_Population_Denominators_3.csv",
    ),
    OfficialFile(
        name="iod2019-file1",
        kind="deprivation",
        description="IoD2019 File 1: IMD rank and decile per LSOA 2011 (XLSX, sheet IMD2019)",
        publisher_url=IOD2019_PAGE,
        download_url=f"{_ASSETS}/government/uploads/system/uploads/attachment_data/file/833970/"
        "File_1_-_IMD2019_Index_of_Multiple_Deprivation.xlsx",
        sha256=None,
        filename="File_1_-_IMD2019_Index_of_Multiple_Deprivation.xlsx",
    ),
    OfficialFile(
        name="iod2019-file2",
        kind="deprivation",
        description="IoD2019 File 2: IMD and the seven domain ranks and deciles per LSOA 2011 "
        "(XLSX, sheet 'IoD2019 Domains')",
        publisher_url=IOD2019_PAGE,
        download_url=f"{_ASSETS}/media/5d8b3ade40f0b60999a23330/{_FILE2}",
        sha256=None,
        filename=_FILE2,
    ),
    OfficialFile(
        name="iod2019-file5",
        kind="deprivation",
        description="IoD2019 File 5: IMD and domain scores per LSOA 2011 (XLSX)",
        publisher_url=IOD2019_PAGE,
        download_url=f"{_ASSETS}/media/5d8b3b51ed915d036a455aa6/File_5_-_IoD2019_Scores.xlsx",
        sha256=None,
        filename="File_5_-_IoD2019_Scores.xlsx",
    ),
    OfficialFile(
        name="iod2019-file6",
        kind="deprivation",
        description="IoD2019 File 6: population denominators (mid 2015) per LSOA 2011 (XLSX); "
        "download it from the publisher page",
        publisher_url=IOD2019_PAGE,
        download_url=None,
        sha256=None,
        filename="File_6_-_IoD2019_Population_Denominators.xlsx",
    ),
    # The same official Files 1, 2 and 6 saved as gzipped CSV (headers unchanged), as held
    # in the shared data folder; no public direct download of these exact bytes.
    OfficialFile(
        name="iod2019-file1-csv",
        kind="deprivation",
        description="IoD2019 File 1 saved as gzipped CSV (official headers; 32,844 rows)",
        publisher_url=IOD2019_PAGE,
        download_url=None,
        sha256="08eaaf9e55258b7b920531931ca601eb1a54760d8878afb1e70df5e904644f74",
        filename="File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz",
    ),
    OfficialFile(
        name="iod2019-file2-csv",
        kind="deprivation",
        description="IoD2019 File 2 saved as gzipped CSV (official headers; 32,844 rows)",
        publisher_url=IOD2019_PAGE,
        download_url=None,
        sha256="c6e6fa32c444bf34a8511d4a15b43046e18cb6ff3d702daaf5cf505b6388efe0",
        filename="File_2_-_IoD2019_Domains_of_Deprivation.csv.gz",
    ),
    OfficialFile(
        name="iod2019-file6-csv",
        kind="deprivation",
        description="IoD2019 File 6 saved as gzipped CSV (official headers; 32,844 rows)",
        publisher_url=IOD2019_PAGE,
        download_url=None,
        sha256="f4ee47fbe7a8b2ccbc0c8575f92d7972ce99582c11412b1583aebbd3a6099995",
        filename="File_6_-_IoD2019_Population_Denominators.csv.gz",
    ),
    # English Indices of Deprivation 2025, LSOA 2021.
    OfficialFile(
        name="iod2025-file7",
        kind="deprivation",
        description="IoD2025 File 7: all IMD and domain scores, ranks, deciles and population "
        "denominators (mid 2022) per LSOA 2021 (33,755 rows)",
        publisher_url=IOD2025_PAGE,
        download_url=f"{_ASSETS}/media/691ded56d140bbbaa59a2a7d/"
        "File_7_IoD2025_All_Ranks_Scores_Deciles_Population_Denominators.csv",
        sha256=None,
        filename="File_7_IoD2025_All_Ranks_Scores_Deciles_Population_Denominators.csv",
    ),
    # Postcodes.
    OfficialFile(
        name="codepoint-open",
        kind="postcodes",
        description="OS Code-Point Open: every GB postcode unit with a British National Grid "
        "point and its district code; no LSOA (zip of per-area CSVs)",
        publisher_url=CODEPOINT_PAGE,
        download_url=f"{_CODEPOINT_API}?area=GB&format=CSV&redirect",
        sha256=None,
        filename="codepo_gb.zip",
        attribution="Contains OS data © Crown copyright and database right.",
    ),
    OfficialFile(
        name="onspd",
        kind="postcodes",
        description="ONS Postcode Directory (ONSPD): every UK postcode with lat/long, LSOA 2011 "
        "and 2021, LAD, termination date; download the latest zip from the ONS Open "
        "Geography Portal",
        publisher_url=GEOPORTAL,
        download_url=None,
        sha256=None,
        filename="ONSPD_UK.zip",
        attribution=ATTRIBUTION_ONS_OS,
    ),
    OfficialFile(
        name="nspl",
        kind="postcodes",
        description="National Statistics Postcode Lookup (NSPL): as ONSPD with best-fit "
        "statistical geographies; download the latest zip from the ONS Open Geography Portal",
        publisher_url=GEOPORTAL,
        download_url=None,
        sha256=None,
        filename="NSPL_UK.zip",
        attribution=ATTRIBUTION_ONS_OS,
    ),
    OfficialFile(
        name="postcodes-england",
        kind="postcodes",
        description="Live English postcodes from the ONS postcode to OA/LSOA/MSOA/LAD lookup "
        "(May 2022, LSOA 2011) with NSPL (May 2025) lat/long (1,474,061 rows; shared data "
        "folder)",
        publisher_url=GEOPORTAL,
        download_url=None,
        sha256="f69bb03ab116e789a5858403739281a6c0036bf32365e76acceffa6029213f91",
        filename="postcodes_england_live_may22lsoa_nspl_may25latlong.csv.gz",
        attribution=ATTRIBUTION_ONS_OS,
    ),
    OfficialFile(
        name="postcodes-lancashire",
        kind="postcodes",
        description="Every postcode (live and terminated) in Lancashire, Blackpool and "
        "Blackburn with Darwen, with LSOA 2011 and lat/long (56,672 rows; shared data folder)",
        publisher_url=GEOPORTAL,
        download_url=None,
        sha256="8e1139332949803188f80b37ee27880b657787371cd45f61129cbaae1b991219",
        filename="postcodes_lancashire_blackpool_blackburn.csv",
        attribution=ATTRIBUTION_ONS_OS,
    ),
    # Boundaries.
    OfficialFile(
        name="lsoa21-england-bgc",
        kind="boundaries",
        description="LSOA (December 2021) boundaries, generalised and clipped (BGC), all "
        "33,755 English LSOAs, WGS84 GeoJSON (shared data folder)",
        publisher_url=GEOPORTAL,
        download_url=None,
        sha256="206b1bd764347931bcc34066da7f1146b0611dd9eda601d6a19af155db246837",
        filename="lsoa21_england_bgc.geojson.gz",
        attribution=ATTRIBUTION_ONS_OS,
    ),
    OfficialFile(
        name="lsoa11-lancashire-bgc",
        kind="boundaries",
        description="LSOA (December 2011) BGC boundaries for Lancashire, Blackpool and "
        "Blackburn with Darwen (941 LSOAs), WGS84 GeoJSON (shared data folder)",
        publisher_url=GEOPORTAL,
        download_url=None,
        sha256="946c90e6b5c67a502ed6003180780166c05708d115da84e07c2acb25779943ba",
        filename="lsoa11_lancashire_blackpool_blackburn_bgc.geojson",
        attribution=ATTRIBUTION_ONS_OS,
    ),
)

_KIND_SOURCES = {
    "deprivation": DEPRIVATION_SOURCE,
    "postcodes": POSTCODES_SOURCE,
    "boundaries": BOUNDARIES_SOURCE,
}


def by_name(name: str, catalogue: Sequence[OfficialFile] = CATALOGUE) -> OfficialFile:
    """The catalogue entry called ``name``; ValueError listing the names when unknown."""
    for entry in catalogue:
        if entry.name == name:
            return entry
    known = ", ".join(entry.name for entry in catalogue)
    raise ValueError(f"No official file called {name!r} in the catalogue; known: {known}.")


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
