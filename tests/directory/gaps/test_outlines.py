"""Local authority outlines, dissolved from the stored LSOA outlines, on the hand-worked world (one authority
of three 1 km squares)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import shapely
from flask import Flask
from sqlalchemy import delete, func, select

from directory.core.db import db
from directory.gaps.compute import compute_gaps
from directory.models import LadOutline
from geo.crs import to_bng
from tests.conftest import built_app
from tests.directory.gaps import gap_world
from tests.directory.gaps.gap_world import LAD

pytestmark = pytest.mark.both_backends


@pytest.fixture(scope="module")
def world(app: Flask, tmp_path_factory: pytest.TempPathFactory) -> dict[str, int]:
    with app.app_context():
        ids = gap_world.seed(db.session, app.config, tmp_path_factory.mktemp("gap-files"))
        db.session.remove()
    return ids


def test_importing_boundaries_dissolves_each_authority_outline(world: dict[str, int], session: Any) -> None:
    outline = session.scalars(select(LadOutline).where(LadOutline.lad_code == LAD)).one()
    assert (outline.edition, outline.lsoas) == ("2011", 3)
    shape = shapely.from_geojson(outline.geometry)
    lon, lat = shape.exterior.coords.xy
    x, y = to_bng(list(lon), list(lat))
    area = shapely.Polygon(zip(x, y, strict=True)).area
    assert shape.geom_type == "Polygon" and area == pytest.approx(3e6, rel=0.01)  # three 1 km squares, one outline
    assert gap_world.X0 < outline.x < gap_world.X0 + 3000 and gap_world.Y0 < outline.y < gap_world.Y0 + 1000


def test_outlines_are_built_by_compute_for_boundaries_imported_before_outlines_existed(
    tmp_path: Path, backend: str
) -> None:
    with built_app(backend, tmp_path) as app, app.app_context():
        gap_world.seed(db.session, app.config, tmp_path)
        db.session.execute(delete(LadOutline))
        db.session.commit()
        compute_gaps(db.session, app.config)
        assert db.session.scalar(select(func.count()).select_from(LadOutline)) == 1
