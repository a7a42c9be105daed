"""Recognising official files by their headers, and finding the best one of a kind in a folder.

A file is never recognised by its name: each reader's header check (deprivation, postcodes,
boundaries) is tried on it, reading only headers and layer metadata.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from geo.errors import DataFileError
from geo.readers.boundaries import BOUNDARY_SUFFIXES, boundary_layout
from geo.readers.deprivation import deprivation_source
from geo.readers.postcodes import postcode_source
from geo.readers.shared import LsoaEdition, base_suffix

Kind = Literal["deprivation", "postcodes", "boundaries"]
KINDS: tuple[Kind, ...] = ("deprivation", "postcodes", "boundaries")


@dataclass(frozen=True)
class RecognisedFile:
    """What sniffing the headers of one file found.

    Attributes
    ----------
    path
        The file.
    kind
        "deprivation", "postcodes" or "boundaries".
    source_kind
        The official product recognised, e.g. "IoD2019 File 1", "NSPL", "OS Code-Point Open".
    lsoa_edition
        "2011" or "2021" when the file is keyed by (or carries) LSOAs, else None.
    rows_estimate
        Rows (or features) in the file, estimated cheaply; None when unknown.
    sort_key
        Larger is more complete; used to prefer one file over another of the same kind.
    """

    path: Path
    kind: Kind
    source_kind: str
    lsoa_edition: str | None
    rows_estimate: int | None
    sort_key: tuple[int, ...] = field(default=(), compare=False)


_CANDIDATE_SUFFIXES = (
    ".csv",
    ".csv.gz",
    ".txt",
    ".xlsx",
    ".zip",
    ".geojson",
    ".geojson.gz",
    ".json",
    ".json.gz",
    ".gpkg",
    ".shp",
)


def recognise_file(path: str | Path, kind: Kind | None = None) -> RecognisedFile | None:
    """Sniff one file's headers and say which official product it is, if any.

    Reads only headers (and, for boundaries, layer metadata); never the whole file.

    Parameters
    ----------
    path
        The file.
    kind
        Only try this kind ("deprivation", "postcodes" or "boundaries"); None tries all.

    Returns
    -------
    RecognisedFile or None
        None when the file is not recognised as any (or the given) kind.
    """
    try:
        return _recognise(Path(path), kind)
    except DataFileError:
        return None


def explain_file(path: str | Path, kind: Kind) -> str | None:
    """Why a file is not recognised as ``kind``: the reader's message, or None if it is."""
    try:
        _recognise(Path(path), kind, strict=True)
    except DataFileError as exc:
        return str(exc)
    return None


def _recognise(path: Path, kind: Kind | None, strict: bool = False) -> RecognisedFile | None:
    suffix = base_suffix(path)
    kinds = KINDS if kind is None else (kind,)
    errors: list[DataFileError] = []
    for candidate in kinds:
        try:
            if candidate == "deprivation" and suffix in (".csv", ".txt", ".xlsx", ".xlsm"):
                layout, _, rows = deprivation_source(path)
                return RecognisedFile(
                    path,
                    "deprivation",
                    layout.source_kind,
                    layout.lsoa_edition,
                    rows,
                    (layout.completeness, int(layout.lsoa_edition), rows or 0),
                )
            if candidate == "postcodes" and suffix in (".csv", ".txt", ".zip"):
                source = postcode_source(path)
                layout_p = source.layout
                editions = sorted(layout_p.lsoa) if layout_p is not None else []
                completeness = layout_p.completeness if layout_p is not None else 1
                return RecognisedFile(
                    path,
                    "postcodes",
                    source.source_kind,
                    editions[-1] if editions else None,
                    source.rows_estimate,
                    (
                        completeness,
                        source.rows_estimate or 0,
                        int(layout_p is not None and layout_p.doterm is not None),
                    ),
                )
            if candidate == "boundaries" and suffix in BOUNDARY_SUFFIXES:
                layout_b = boundary_layout(path)
                return RecognisedFile(
                    path,
                    "boundaries",
                    f"ONS LSOA {layout_b.edition} boundaries",
                    layout_b.edition,
                    layout_b.features,
                    (layout_b.features or 0, int(layout_b.lad is not None)),
                )
        except DataFileError as exc:
            errors.append(exc)
    if strict:
        if errors:
            raise errors[0]
        raise DataFileError(
            path,
            f"is not a file type read as {' or '.join(kinds)}",
            expected="a table (CSV, CSV.gz, XLSX, zip) or a layer (GeoJSON, GeoPackage, shapefile)",
        )
    return None


def _candidate_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts) or not path.is_file():
            continue
        if path.name.lower().endswith(_CANDIDATE_SUFFIXES):
            found.append(path)
    return found


def find_official_files(
    data_dir: str | Path | Iterable[str | Path],
    kind: Kind,
    *,
    lsoa_edition: LsoaEdition | None = None,
) -> list[RecognisedFile]:
    """Every file of ``kind`` in one or more folders (searched recursively), best first.

    Files are recognised by sniffing their headers, not by name. "Best" means most
    complete: for deprivation the most recognised columns (File 7 before File 2 before
    File 1 before File 5 before File 6), then the newer LSOA edition; for postcodes,
    coordinates and LSOA codes first, then the most rows; for boundaries the most
    features.

    Parameters
    ----------
    data_dir
        A folder, or several.
    kind
        "deprivation", "postcodes" or "boundaries".
    lsoa_edition
        Keep only files keyed by (or carrying) LSOAs of this edition.

    Returns
    -------
    list of RecognisedFile
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}.")
    folders = [data_dir] if isinstance(data_dir, str | Path) else list(data_dir)
    found: list[RecognisedFile] = []
    seen: set[Path] = set()
    for folder in folders:
        for path in _candidate_files(Path(folder)):
            resolved = path.resolve()
            if resolved in seen:
                continue
            seen.add(resolved)
            recognised = recognise_file(path, kind)
            if recognised is None:
                continue
            if lsoa_edition is not None and recognised.lsoa_edition != lsoa_edition:
                continue
            found.append(recognised)
    return sorted(found, key=lambda item: item.sort_key, reverse=True)


def find_official_file(
    data_dir: str | Path | Iterable[str | Path],
    kind: Kind,
    *,
    lsoa_edition: LsoaEdition | None = None,
) -> Path | None:
    """The most complete recognised file of ``kind`` in a folder, or None.

    See :func:`find_official_files` for how files are recognised and ranked.

    Parameters
    ----------
    data_dir
        A folder (e.g. the value of ``DIRECTORY_DATA_DIR``), or several.
    kind
        "deprivation", "postcodes" or "boundaries".
    lsoa_edition
        Only consider files of this LSOA edition ("2011" or "2021").

    Returns
    -------
    pathlib.Path or None
    """
    files = find_official_files(data_dir, kind, lsoa_edition=lsoa_edition)
    return files[0].path if files else None
