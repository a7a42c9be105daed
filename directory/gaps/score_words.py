"""Why an area scores as it does, in plain words from its real figures: "Among the 10% most deprived areas
in England; the nearest carers service is 3.2 km away, none within 2 km; no gap flags here yet."

The formula (``geo.gap_explanation.explain``) stays beside it for specialists; this is the sentence a
community development worker reads first, so every case must read true: no deprivation loaded, no
service of the category anywhere, none within the counting radius, the least deprived decile.
"""

from __future__ import annotations

import math

#: Below this distance "0.0 km" would read as if the service were in the area's middle.
NEAR_M = 100.0


def _deprivation(decile: int | None) -> str:
    if decile is None or not 1 <= decile <= 10:
        return "no deprivation figures are loaded for this area"
    # Decile d holds the (d-1)*10 to d*10 % most deprived: "among the d*10% most" is true of all of it.
    if decile <= 5:
        return f"among the {decile * 10}% most deprived areas in England"
    return f"among the {(11 - decile) * 10}% least deprived areas in England"


def _lowered(name: str) -> str:
    """ "Carers" -> "carers" inside a sentence; a name starting with an acronym ("NHS talking therapies") is kept."""
    return name[:1].lower() + name[1:] if name[1:2].islower() else name


def _km(metres: float) -> str:
    return f"{metres / 1000:.1f} km"


def _provision(nearest_m: float | None, within: int | None, radius_m: float, area_covered: bool, kind: str) -> str:
    radius = f"{radius_m / 1000:g} km"
    if nearest_m is None or math.isnan(nearest_m):
        words = f"no live {kind} service with a known place is listed"
    elif nearest_m < NEAR_M:
        words = f"a {kind} service is less than {NEAR_M:.0f} metres away"
    else:
        words = f"the nearest {kind} service is {_km(nearest_m)} away"
    if nearest_m is not None and not math.isnan(nearest_m):
        count = within or 0
        words += f", none within {radius}" if count == 0 else f", with {count} within {radius}"
    if area_covered:
        words += ", and a service covering the whole local authority serves it too"
    return words


def _demand(flags: int | None, demand: float | None) -> list[str]:
    parts = []
    if flags is not None:
        parts.append("no gap flags here yet" if flags == 0 else f"{flags} gap flag{'' if flags == 1 else 's'} here")
    events = round(demand or 0)
    if events > 0:
        counted = "1 signposting or gap flag" if events == 1 else f"{events} signpostings and gap flags"
        parts.append(f"{counted} counted here or next door")
    return parts


def score_in_words(
    *,
    category_name: str,
    decile: int | None,
    nearest_m: float | None,
    within_radius: int | None,
    radius_m: float,
    area_covered: bool = False,
    flags: int | None = None,
    demand: float | None = None,
) -> str:
    """One sentence saying why an area's gap score for a category is what it is.

    ``nearest_m`` is the distance to the nearest live service of the category in metres (None or NaN when
    none has a known place), ``within_radius`` how many lie within ``radius_m``; ``flags`` the gap flags
    raised in the area (None when not counted), ``demand`` the signpostings and flags here or next door.
    """
    kind = _lowered(category_name)
    parts = [_deprivation(decile), _provision(nearest_m, within_radius, radius_m, area_covered, kind),
             *_demand(flags, demand)]  # fmt: skip
    sentence = "; ".join(parts)
    return sentence[:1].upper() + sentence[1:] + "."
