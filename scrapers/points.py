"""A source's coordinates, checked: numbers, in range, and inside the United Kingdom.

Feeds give a location's latitude and longitude as numbers or as numeric text. A point that is not a number, out
of range, swapped or (0, 0), or outside the UK's bounding box (a mainland, Northern Ireland, island and offshore
box: 49.8 to 60.9 N, 8.7 W to 1.8 E) is not kept; the importer names it in the run's notes and the location is
placed from its postcode instead.
"""

from __future__ import annotations

import math
import re
from typing import Any

UK_LATITUDE = (49.8, 60.9)
UK_LONGITUDE = (-8.7, 1.8)
# The areas a place lies in, as the directory's own export gives them: an English LSOA (2011 or 2021) and a
# local authority district (unitary, district, metropolitan or London borough).
AREA_CODES = {"lsoa_code": re.compile(r"^E01\d{6}$"), "lad_code": re.compile(r"^E0[6-9]\d{6}$")}


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(str(value).strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def point(latitude: Any, longitude: Any) -> tuple[float, float] | tuple[None, None]:
    """The point as (latitude, longitude) if both are numbers inside the UK; else (None, None)."""
    lat, lon = _number(latitude), _number(longitude)
    if lat is None or lon is None:
        return None, None
    if not (UK_LATITUDE[0] <= lat <= UK_LATITUDE[1] and UK_LONGITUDE[0] <= lon <= UK_LONGITUDE[1]):
        return None, None
    return lat, lon


def outside(latitude: Any, longitude: Any) -> str:
    """Why :func:`point` did not keep this point, in words for a run's notes."""
    lat, lon = _number(latitude), _number(longitude)
    given = f"({latitude!r}, {longitude!r})"
    if lat is None or lon is None:
        return f"coordinates {given} are not two numbers; placed from its postcode instead"
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return f"coordinates {given} are out of range; placed from its postcode instead"
    return f"coordinates {given} are outside the UK; placed from its postcode instead"


def area_codes(given: Any) -> tuple[dict[str, str], list[str]]:
    """A place's LSOA and local authority codes from a feed's extension object, each kept only if well formed;
    and, for the run's notes, why any given code was not kept."""
    kept: dict[str, str] = {}
    refused: list[str] = []
    if not isinstance(given, dict):
        return kept, refused
    for name, pattern in AREA_CODES.items():
        value = given.get(name)
        if value in (None, ""):
            continue
        if isinstance(value, str) and pattern.match(value.strip()):
            kept[name] = value.strip()
        else:
            what = "neighbourhood (LSOA)" if name == "lsoa_code" else "local authority"
            refused.append(f"{what} code {str(value)[:40]!r} is not an English code; placed from its postcode instead")
    return kept, refused
