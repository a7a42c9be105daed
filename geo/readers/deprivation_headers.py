"""Recognising an English Indices of Deprivation file by its official column headers.

Maps the published headers of IoD2019 (LSOA 2011) and IoD2025 (LSOA 2021) Files 1, 2, 5, 6
and 7 to the normalised column names the deprivation reader returns, and says which file it is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from geo.errors import DataFileError
from geo.readers.shared import normalise_header

DEPRIVATION_SOURCE = (
    "https://www.gov.uk/government/statistics/english-indices-of-deprivation-2019 "
    "(IoD2019, LSOA 2011) or "
    "https://www.gov.uk/government/statistics/english-indices-of-deprivation-2025 "
    "(IoD2025, LSOA 2021)"
)

#: Normalised domain prefix -> official domain label as it starts the column headers.
DOMAINS: dict[str, str] = {
    "income": "Income",
    "employment": "Employment",
    "education": "Education, Skills and Training",
    "health": "Health Deprivation and Disability",
    "crime": "Crime",
    "housing": "Barriers to Housing and Services",
    "environment": "Living Environment",
}
_MEASURE_LABELS = {"imd": "Index of Multiple Deprivation (IMD)", **DOMAINS}
_MEASURE_PATTERNS = {
    prefix: re.compile(
        r"^" + re.escape(label.lower()).replace(r"\ \(", r"\s*\(") + r" (score|rank|decile)\b",
    )
    for prefix, label in _MEASURE_LABELS.items()
}
_ID_PATTERNS = {
    "lsoa_code": re.compile(r"^lsoa code \((\d{4})\)$"),
    "lsoa_name": re.compile(r"^lsoa name \((\d{4})\)$"),
    "lad_code": re.compile(r"^local authority district code \((\d{4})\)$"),
    "lad_name": re.compile(r"^local authority district name \((\d{4})\)$"),
}
_POPULATION_PATTERN = re.compile(r"^total population: mid (\d{4})\b")
#: The age denominators of File 6/7 (IoD2019: mid 2015; IoD2025: mid 2022), normalised name -> header pattern.
AGE_POPULATIONS: dict[str, re.Pattern[str]] = {
    "population_0_15": re.compile(r"^dependent children aged 0-15\b"),
    "population_16_59": re.compile(r"^population aged 16-59\b"),
    "population_60_plus": re.compile(r"^older population aged 60 and over\b"),
    "population_working_age": re.compile(r"^working age population\b"),
}
_RELEASES = {"2013": "IoD2015", "2019": "IoD2019", "2024": "IoD2025"}
_LAD_YEAR_FOR_EDITION = {"2011": "2019", "2021": "2024"}
_RANK_SUFFIX = "Rank (where 1 is most deprived)"
_DECILE_SUFFIX = "Decile (where 1 is most deprived 10% of LSOAs)"


def official_measure_header(prefix: str, measure: str) -> str:
    """The official header of one measure, e.g. ("income", "rank") -> "Income Rank (where 1 is most deprived)"."""
    label = _MEASURE_LABELS[prefix]
    if measure == "rank":
        return f"{label} {_RANK_SUFFIX}"
    if measure == "decile":
        return f"{label} {_DECILE_SUFFIX}"
    rate = " (rate)" if prefix in ("income", "employment") else ""
    return f"{label} Score{rate}"


@dataclass(frozen=True)
class DeprivationLayout:
    """How one IoD file's headers map to the reader's columns, and which file of which release it is."""

    columns: dict[str, str]  # original header -> normalised name
    lsoa_edition: str
    source_kind: str
    has_scores: bool
    completeness: int


def deprivation_layout(headers: Sequence[object], path: Path) -> DeprivationLayout:
    """Map official IoD headers to normalised names, or raise naming what is missing."""
    columns: dict[str, str] = {}
    years: dict[str, str] = {}
    for original in headers:
        header = normalise_header(original)
        target: str | None = None
        for name, pattern in _ID_PATTERNS.items():
            match = pattern.match(header)
            if match:
                target = name
                years[name] = match.group(1)
                break
        if target is None:
            for prefix, pattern in _MEASURE_PATTERNS.items():
                match = pattern.match(header)
                if match:
                    target = f"{prefix}_{match.group(1)}"
                    break
        if target is None and _POPULATION_PATTERN.match(header):
            target = "population"
        if target is None:
            target = next((name for name, pattern in AGE_POPULATIONS.items() if pattern.match(header)), None)
        if target is not None and target not in columns.values():
            columns[str(original)] = target

    found = set(columns.values())
    edition = years.get("lsoa_code", "2011")
    lad_year = years.get("lad_code", _LAD_YEAR_FOR_EDITION.get(edition, "2019"))
    expected_ids = {
        "lsoa_code": f"LSOA code ({edition})",
        "lsoa_name": f"LSOA name ({edition})",
        "lad_code": f"Local Authority District code ({lad_year})",
        "lad_name": f"Local Authority District name ({lad_year})",
    }
    missing = [official for name, official in expected_ids.items() if name not in found]
    if "lsoa_code" not in found:
        missing[0] = "LSOA code (2011) (or LSOA code (2021))"
    if edition not in ("2011", "2021"):
        raise DataFileError(
            path,
            f"the LSOA code column is for LSOA {edition}",
            expected="'LSOA code (2011)' (IoD2019) or 'LSOA code (2021)' (IoD2025)",
            source=DEPRIVATION_SOURCE,
        )

    # Ranks and deciles come in pairs; domains come as a full set of seven.
    for prefix in _MEASURE_LABELS:
        if (f"{prefix}_rank" in found) != (f"{prefix}_decile" in found):
            lacking = "decile" if f"{prefix}_rank" in found else "rank"
            missing.append(official_measure_header(prefix, lacking))
    for measure in ("rank", "score"):
        present = [prefix for prefix in DOMAINS if f"{prefix}_{measure}" in found]
        if present and len(present) < len(DOMAINS):
            for prefix in DOMAINS:
                if f"{prefix}_{measure}" not in found:
                    missing.append(official_measure_header(prefix, measure))
                    if measure == "rank":
                        missing.append(official_measure_header(prefix, "decile"))
    has_measures = bool(found - set(_ID_PATTERNS))
    if missing or not has_measures:
        if not has_measures:
            missing.append(
                "at least one of 'Index of Multiple Deprivation (IMD) Score', "
                f"'Index of Multiple Deprivation (IMD) {_RANK_SUFFIX}', "
                "'Total population: mid 2015 (excluding prisoners)'",
            )
        raise DataFileError(
            path,
            "missing columns " + ", ".join(repr(name) for name in missing),
            expected=(
                "the official headers of an English Indices of Deprivation file "
                "(File 1, 2, 5, 6 or 7), starting 'LSOA code (2011)', 'LSOA name (2011)', "
                "'Local Authority District code (2019)', 'Local Authority District name (2019)'"
            ),
            source=DEPRIVATION_SOURCE,
        )

    release = _RELEASES.get(lad_year, "IoD2025" if edition == "2021" else "IoD2019")
    has_scores = "imd_score" in found or any(f"{p}_score" in found for p in DOMAINS)
    has_ranks = "imd_rank" in found
    has_domains = "income_rank" in found
    has_population = "population" in found
    if has_scores and has_ranks and has_population:
        number = "File 7"
    elif has_ranks and not has_scores and not has_population:
        number = "File 2" if has_domains else "File 1"
    elif has_scores and not has_ranks and not has_population:
        number = "File 5"
    elif has_population and not has_ranks and not has_scores:
        number = "File 6"
    else:
        number = "extract"
    return DeprivationLayout(
        columns=columns,
        lsoa_edition=edition,
        source_kind=f"{release} {number}",
        has_scores="imd_score" in found,
        completeness=len(found - set(AGE_POPULATIONS)),  # so File 6 still ranks below File 1
    )
