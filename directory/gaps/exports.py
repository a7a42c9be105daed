"""The gap table's exports, of LSOAs or of local authorities: CSV that spreadsheet programs will not run as
formulas, and GeoJSON feature collections (WGS84) with the figures as properties.

Each export has its columns (key and heading) and its record of a row; the CSV and GeoJSON writers
are shared.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..core.csv_cells import safe_cell
from .areas import AreaRow
from .authorities import AuthorityRow


def _csv(records: Iterable[dict[str, Any]], columns: Sequence[tuple[str, str]], category: str) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["category", *[label for _key, label in columns]])
    for record in records:
        writer.writerow([safe_cell(category), *[safe_cell(record[key]) for key, _label in columns]])
    return buffer.getvalue()


def _feature_collection(features: Iterable[tuple[str, dict[str, Any]]]) -> str:
    """A FeatureCollection of (GeoJSON geometry text, properties), the geometries written as they are stored."""
    parts = []
    for geometry, values in features:
        properties = json.dumps(values, ensure_ascii=False)
        parts.append(f'{{"type":"Feature","geometry":{geometry},"properties":{properties}}}')
    return '{"type":"FeatureCollection","features":[' + ",".join(parts) + "]}"


TABLE_COLUMNS = (
    ("place", "Place"),
    ("lsoa_code", "LSOA code"),
    ("lsoa_name", "LSOA name"),
    ("lad_name", "Local authority name"),
    ("lad_code", "Local authority"),
    ("imd_decile", "IMD decile (1 = most deprived)"),
    ("imd_rank", "IMD rank"),
    ("deprivation_carried", "Deprivation carried from the other LSOA edition (how)"),
    ("nearest_km", "Nearest service (km)"),
    ("within_radius", "Services within radius"),
    ("per_1000", "Services per 1,000 residents"),
    ("area_covered", "Covered by an area-wide service"),
    ("flags", "Gap flags"),
    ("demand", "Demand (signpostings and flags here or next door)"),
    ("score", "Gap score"),
)


def export_record(row: AreaRow, places: Mapping[str, str], lad_names: Mapping[str, str]) -> dict[str, Any]:
    """A row's figures, with its place and local authority named in the words the pages use (``places`` by LSOA
    code, ``lad_names`` by authority code) beside the official codes other systems join on."""
    return {
        "place": places.get(row.code, ""),
        "lsoa_code": row.code,
        "lsoa_name": row.name,
        "lad_name": lad_names.get(row.lad_code, "") if row.lad_code else "",
        "lad_code": row.lad_code,
        "imd_decile": row.imd_decile,
        "imd_rank": row.imd_rank,
        "deprivation_carried": row.carried,
        "nearest_km": None if row.nearest_m is None else round(row.nearest_m / 1000, 2),
        "within_radius": row.within_radius,
        "per_1000": None if row.per_1000 is None else round(row.per_1000, 2),
        "area_covered": row.area_covered,
        "flags": row.flags,
        "demand": row.demand,
        "score": None if row.score is None else round(row.score, 1),
    }


def table_csv(rows: Iterable[AreaRow], category: str, places: Mapping[str, str], lad_names: Mapping[str, str]) -> str:
    return _csv((export_record(row, places, lad_names) for row in rows), TABLE_COLUMNS, category)


def table_geojson(
    rows: Iterable[AreaRow], category: str, places: Mapping[str, str], lad_names: Mapping[str, str]
) -> str:
    """A FeatureCollection (WGS84) of the table's rows with their figures as properties."""
    return _feature_collection(
        (row.geometry, {"category": category, **export_record(row, places, lad_names)}) for row in rows
    )


AUTHORITY_COLUMNS = (
    ("lad_code", "Local authority code"),
    ("lad_name", "Local authority"),
    ("lsoas", "LSOAs"),
    ("population", "Population (sum of LSOAs with a known population)"),
    ("mean_score", "Mean gap score of its LSOAs"),
    ("mean_score_weighting", "How the mean is weighted"),
    ("most_deprived", "LSOAs in the most deprived 10% of England (IMD decile 1)"),
    ("no_service", "LSOAs with no live service of the category within the radius"),
    ("live_services", "Live services of the category placed in it"),
    ("flags", "Gap flags raised in it"),
    ("carried", "LSOAs with deprivation carried from the other LSOA edition"),
)


def authority_record(row: AuthorityRow) -> dict[str, Any]:
    return {
        "lad_code": row.code,
        "lad_name": row.name,
        "lsoas": row.lsoas,
        "population": row.population,
        "mean_score": None if row.mean_score is None else round(row.mean_score, 1),
        "mean_score_weighting": "population" if row.weighted else ("none (equal)" if row.scored else ""),
        "most_deprived": row.most_deprived,
        "no_service": row.no_service,
        "live_services": row.live_services,
        "flags": row.flags,
        "carried": row.carried,
    }


def authorities_csv(rows: Iterable[AuthorityRow], category: str) -> str:
    return _csv((authority_record(row) for row in rows), AUTHORITY_COLUMNS, category)


def authorities_geojson(rows: Iterable[AuthorityRow], category: str) -> str:
    """A FeatureCollection (WGS84) of the authorities' outlines with their aggregate figures as properties."""
    features = (
        (row.geometry or "null", {"category": category, "level": "local authority", **authority_record(row)})
        for row in rows
    )
    return _feature_collection(features)
