"""The catalogue of official files the directory reads, how to fetch them, and what is present.

``fetch`` downloads catalogue files into a cache folder (streamed, with a progress bar and
a checksum check when one is known); ``status`` reports, for each kind of file, what a set
of folders holds and whether the readers recognise it. The command line
(``asset-directory data fetch`` / ``data status``) calls these two functions.

Nothing here runs at import time: no network, no disk.

The catalogue itself is :mod:`geo.catalogue.official_files`; downloading is
:mod:`geo.catalogue.download`, the report on folders :mod:`geo.catalogue.file_status`.
"""

from __future__ import annotations

# Re-exported so callers keep using geo.catalogue as they did when it was one module.
from geo.catalogue.download import OFFLINE_ROUTE as OFFLINE_ROUTE
from geo.catalogue.download import fetch as fetch
from geo.catalogue.download import file_sha256 as file_sha256
from geo.catalogue.file_status import FileStatus as FileStatus
from geo.catalogue.file_status import status as status
from geo.catalogue.official_files import ATTRIBUTION_OGL as ATTRIBUTION_OGL
from geo.catalogue.official_files import ATTRIBUTION_ONS_OS as ATTRIBUTION_ONS_OS
from geo.catalogue.official_files import CATALOGUE as CATALOGUE
from geo.catalogue.official_files import CODEPOINT_PAGE as CODEPOINT_PAGE
from geo.catalogue.official_files import GEOPORTAL as GEOPORTAL
from geo.catalogue.official_files import IOD2019_PAGE as IOD2019_PAGE
from geo.catalogue.official_files import IOD2025_PAGE as IOD2025_PAGE
from geo.catalogue.official_files import OGL as OGL
from geo.catalogue.official_files import OfficialFile as OfficialFile
from geo.catalogue.official_files import by_name as by_name

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
