"""The map a gap page shows, read from the database and rendered: every LSOA of the chosen authorities with
the live services of a category, gap flags and resolved gaps; or the authorities with their figures
aggregated. ``RenderedMap`` is what the page caches (see ``cache.py``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from geo.crs import to_wgs84

from ..core.db import DbSession
from ..listings.place_names import name_areas
from .areas import AreaExplanation, AreaRow, area_rows
from .authorities import authority_rows
from .demand import flags_in, gap_flag_counts, resolved_counts
from .editions import page_edition
from .live_services import live_services
from .map_elements import Assets
from .maps import MapParts, build_authority_map, build_map, centre_wgs84, render_parts
from .outlines import read_outlines


@dataclass
class RenderedMap:
    """A map page's map, ready to cache: its parts (None when there is nothing to draw) and what it shows."""

    parts: MapParts | None
    areas: int  # LSOAs, or local authorities when aggregated
    aggregated: bool
    has_deprivation: bool

    @property
    def size(self) -> int:
        return (self.parts.size if self.parts is not None else 0) + 200


@dataclass(frozen=True)
class MapUrls:
    """Where the map's links go: an LSOA's page, a listing, and an authority's own map (each + a code or id)."""

    area: str
    service: str
    authority: str


def _authorities(
    session: DbSession, lads: Sequence[str], names: Mapping[str, str]
) -> list[tuple[str, Any, float, float]]:
    """The chosen authorities' outlines and where their names go, for drawing over their LSOAs."""
    edition = page_edition(session)
    if edition is None:
        return []
    outlines = read_outlines(session, edition, lads)
    lon, lat = to_wgs84([x for _c, _g, x, _y in outlines], [y for _c, _g, _x, y in outlines])
    return [
        (names.get(code, code), json.loads(geometry), float(la), float(lo))
        for (code, geometry, _x, _y), lo, la in zip(outlines, lon, lat, strict=True)
    ]


def render_lsoa_map(
    session: DbSession, config: Mapping[str, Any], lads: Sequence[str], category: str, category_name: str,
    assets: Assets, urls: MapUrls, names: Mapping[str, str] | None = None,
) -> RenderedMap:  # fmt: skip
    """The map of every LSOA of the authorities, with live services of the category, gap flags and resolved gaps."""
    rows = area_rows(session, lads, category)
    has_deprivation = any(row.imd_decile is not None for row in rows)
    if not rows:
        return RenderedMap(None, 0, False, has_deprivation)
    # Tooltips, popups and flags name each area as people know it; its code follows in brackets.
    places = name_areas(session, [row.code for row in rows])
    for row in rows:
        row.name = places[row.code].headline
    lon, lat = centre_wgs84(rows)
    # Services a little beyond the areas too: the nearest service of an area at the edge may be next door.
    bbox = (float(lat.min()) - 0.05, float(lat.max()) + 0.05, float(lon.min()) - 0.08, float(lon.max()) + 0.08)
    markers = _markers(session, config, category, category_name, bbox)
    flag_counts = gap_flag_counts(session, category)
    flags = None
    if flag_counts is not None:
        flags = [
            (round(float(la), 5), round(float(lo), 5), flag_counts[row.code], row.name)
            for row, lo, la in zip(rows, lon, lat, strict=True)
            if flag_counts.get(row.code)
        ]
    resolved_here = resolved_counts(session, category)
    resolved = [
        (round(float(la), 5), round(float(lo), 5), resolved_here[row.code], row.name)
        for row, lo, la in zip(rows, lon, lat, strict=True)
        if resolved_here.get(row.code)
    ]
    fmap = build_map(
        rows, markers, flags, resolved=resolved, category_name=category_name,
        radius_m=float(config["GAP_RADIUS_M"]), assets=assets, area_url=urls.area, service_url=urls.service,
        tiles=config["GAP_MAP_TILES"], attribution=config["GAP_MAP_ATTRIBUTION"],
        authorities=_authorities(session, lads, names or {}),
    )  # fmt: skip
    return RenderedMap(render_parts(fmap), len(rows), False, has_deprivation)


def _markers(
    session: DbSession, config: Mapping[str, Any], category: str, category_name: str,
    bbox: tuple[float, float, float, float],
) -> list[tuple[float, float, str, str, int, str]]:  # fmt: skip
    nearby = live_services(session, config, category=category, bbox=bbox)
    return [
        (round(float(r.latitude), 5), round(float(r.longitude), 5), str(r.name), str(r.organisation),
         int(r.service_id), category_name)
        for r in cast(Any, nearby.drop_duplicates(["service_id", "latitude", "longitude"])).itertuples()
    ]  # fmt: skip


def render_area_map(
    session: DbSession, config: Mapping[str, Any], area: AreaExplanation, category: str, category_name: str,
    assets: Assets, urls: MapUrls,
) -> RenderedMap:  # fmt: skip
    """One area's outline with the live services of a category within the counting radius of its centre (the
    area page's map), coloured by its figures for that category as the gap map colours it."""
    lsoa, dep = area.lsoa, area.deprivation
    row = AreaRow(code=lsoa.code, name=area.place.headline if area.place else lsoa.name, lad_code=lsoa.lad_code,
                  geometry=lsoa.geometry, x=lsoa.x, y=lsoa.y, imd_decile=dep.imd_decile if dep else None,
                  carried=dep.carried or "" if dep else "")  # fmt: skip
    scored = next((s["row"] for s in area.scores if s["category"] == category), None)
    if scored is not None:
        row.nearest_m, row.within_radius, row.per_1000, row.score = (
            scored.nearest_m, scored.within_radius, scored.per_1000, scored.score)  # fmt: skip
    radius_m = float(config["GAP_RADIUS_M"])
    lon, lat = to_wgs84([lsoa.x], [lsoa.y])
    la, lo = float(lat[0]), float(lon[0])
    # Degrees: 111 km to a degree of latitude; at least 64 km to one of longitude anywhere in England.
    bbox = (la - radius_m / 111_000, la + radius_m / 111_000, lo - radius_m / 64_000, lo + radius_m / 64_000)
    count = flags_in(session, lsoa.code).get(category, 0)
    fmap = build_map(
        [row], _markers(session, config, category, category_name, bbox),
        [(round(la, 5), round(lo, 5), count, row.name)] if count else [], category_name=category_name,
        radius_m=radius_m, assets=assets, area_url=urls.area, service_url=urls.service,
        tiles=config["GAP_MAP_TILES"], attribution=config["GAP_MAP_ATTRIBUTION"], fit_services=True,
    )  # fmt: skip
    return RenderedMap(render_parts(fmap), 1, False, dep is not None)


def render_authority_map(
    session: DbSession, config: Mapping[str, Any], lads: Sequence[str], category: str, category_name: str,
    names: Mapping[str, str], assets: Assets, urls: MapUrls,
) -> RenderedMap:  # fmt: skip
    """The map of the authorities, each with its figures aggregated from its LSOAs and a link to its own map."""
    rows = authority_rows(session, config, lads, category, names=names)
    has_deprivation = any(row.deprivation_known for row in rows)
    if not rows:
        return RenderedMap(None, 0, True, has_deprivation)
    flags = None
    if any(row.flags is not None for row in rows):
        flagged = [row for row in rows if row.flags and row.x is not None and row.y is not None]
        lon, lat = to_wgs84([float(row.x or 0) for row in flagged], [float(row.y or 0) for row in flagged])
        flags = [
            (round(float(la), 5), round(float(lo), 5), int(row.flags or 0), row.name)
            for row, lo, la in zip(flagged, lon, lat, strict=True)
        ]
    fmap = build_authority_map(
        rows, flags, category_name=category_name, radius_m=float(config["GAP_RADIUS_M"]), assets=assets,
        authority_url=urls.authority, tiles=config["GAP_MAP_TILES"], attribution=config["GAP_MAP_ATTRIBUTION"],
    )  # fmt: skip
    return RenderedMap(render_parts(fmap), len(rows), True, has_deprivation)
