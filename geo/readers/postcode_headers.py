"""Recognising a postcode directory by its column headers: ONSPD, NSPL and the ONS postcode lookups.

OS Code-Point Open has no headers; :mod:`geo.readers.codepoint` recognises it by its zip's layout.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from geo.errors import DataFileError
from geo.readers.shared import LAD_YEAR_COLUMN, normalise_header

POSTCODES_SOURCE = (
    "the ONS Open Geography Portal https://geoportal.statistics.gov.uk/ "
    "(ONS Postcode Directory 'ONSPD', National Statistics Postcode Lookup 'NSPL', or the "
    "'Postcode to OA to LSOA to MSOA to LAD' lookup), or OS Code-Point Open at "
    "https://osdatahub.os.uk/downloads/open/CodePointOpen"
)
_POSTCODE_COLUMNS = ("pcds", "pcd", "pcd7", "pcd8", "pcd2")
_LSOA_COLUMN = re.compile(r"^lsoa(11|21)(cd)?$")
POSTCODE_EXPECTED = (
    "ONSPD/NSPL columns pcds, lat, long, lsoa21 (or lsoa11), laua (or oslaua), doterm; "
    "or the ONS postcode lookup columns pcds, lsoa21cd (or lsoa11cd), ladcd, doterm; "
    "or an OS Code-Point Open zip (Data/CSV/*.csv)"
)
_POSTCODE_PRODUCT_COLUMNS = {
    "oslaua": "ONSPD",
    "laua": "NSPL",
}


@dataclass(frozen=True)
class PostcodeLayout:
    """Which columns of a postcode directory hold what, and which product it is."""

    postcode: str
    lad: str
    lat: str | None
    long: str | None
    lsoa: dict[str, str]  # edition -> column
    doterm: str | None
    source_kind: str

    @property
    def completeness(self) -> int:
        return int(self.lat is not None) + int(bool(self.lsoa))


def postcode_layout(headers: Sequence[object], path: Path) -> PostcodeLayout:
    by_lower: dict[str, str] = {}
    for header in headers:
        by_lower.setdefault(normalise_header(header), str(header))
    postcode = next((by_lower[c] for c in _POSTCODE_COLUMNS if c in by_lower), None)
    lad: str | None = None
    for candidate in ("oslaua", "laua", "ladcd"):
        if candidate in by_lower:
            lad = by_lower[candidate]
            break
    if lad is None:
        matches = ((LAD_YEAR_COLUMN.match(name), name) for name in by_lower)
        years = sorted((match.group(1), name) for match, name in matches if match is not None)
        if years:
            lad = by_lower[years[-1][1]]
    missing = []
    if postcode is None:
        missing.append("'pcds'")
    if lad is None:
        missing.append("'laua' (or 'oslaua', 'ladcd')")
    if missing:
        raise DataFileError(
            path,
            "missing columns " + ", ".join(missing),
            expected=POSTCODE_EXPECTED,
            source=POSTCODES_SOURCE,
        )
    assert postcode is not None and lad is not None
    lat = by_lower.get("lat") or by_lower.get("latitude")
    long = by_lower.get("long") or by_lower.get("longitude")
    if (lat is None) != (long is None):
        raise DataFileError(
            path,
            "has only one of the columns 'lat' and 'long'",
            expected="both 'lat' and 'long' (WGS84 degrees), or neither",
            source=POSTCODES_SOURCE,
        )
    lsoa: dict[str, str] = {}
    for name, original in by_lower.items():
        match = _LSOA_COLUMN.match(name)
        if match:
            lsoa.setdefault("20" + match.group(1), original)
    product = next(
        (label for column, label in _POSTCODE_PRODUCT_COLUMNS.items() if column in by_lower),
        None,
    )
    if product is None:
        product = "ONS postcode to OA/LSOA/MSOA/LAD lookup"
        if lat is not None:
            product += " with NSPL lat/long"
    return PostcodeLayout(
        postcode=postcode,
        lad=lad,
        lat=lat,
        long=long,
        lsoa=lsoa,
        doterm=by_lower.get("doterm"),
        source_kind=product,
    )
