"""The list of official files the directory reads: what each holds, where it is published, its checksum.

Nothing here runs at import time: no network, no disk.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from geo.readers.recognition import Kind

__all__ = [
    "ATTRIBUTION_OGL",
    "ATTRIBUTION_ONS_OS",
    "CATALOGUE",
    "CODEPOINT_PAGE",
    "GEOPORTAL",
    "IOD2019_PAGE",
    "IOD2025_PAGE",
    "OGL",
    "OfficialFile",
    "by_name",
]

OGL = "Open Government Licence v3.0"
ATTRIBUTION_OGL = f"Contains public sector information licensed under the {OGL}."
ATTRIBUTION_ONS_OS = (
    "Source: Office for National Statistics licensed under the Open Government Licence v3.0. "
    "Contains OS data © Crown copyright and database right."
)

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


def by_name(name: str, catalogue: Sequence[OfficialFile] = CATALOGUE) -> OfficialFile:
    """The catalogue entry called ``name``; ValueError listing the names when unknown."""
    for entry in catalogue:
        if entry.name == name:
            return entry
    known = ", ".join(entry.name for entry in catalogue)
    raise ValueError(f"No official file called {name!r} in the catalogue; known: {known}.")
