"""Computing gap scores (``gaps compute``): provision, demand and the score, on a world worked out by hand."""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from directory.accounts.users import create_user
from directory.backlog.flags import record_flag
from directory.cli import cli
from directory.core.db import db
from directory.gaps.areas import area_rows
from directory.gaps.compute import compute_gaps
from directory.models import GapRun, GapScore, User
from tests.conftest import PASSWORD, built_app
from tests.directory.gaps import gap_world
from tests.directory.gaps.gap_world import CODES

N_2011 = 32_844
pytestmark = pytest.mark.both_backends


@pytest.fixture(scope="module")
def world(app: Flask, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return gap_world.load_with_commands(app, tmp_path_factory.mktemp("gap-files"))


def score_of(session: Any, code: str, category: str) -> GapScore:
    found = session.scalars(select(GapScore).where(GapScore.lsoa_code == code, GapScore.category_code == category))
    return found.one()


def test_provision_is_measured_from_live_fresh_services_only(world: dict[str, Any], session: Any) -> None:
    # The fresh service sits at A's centre; the stale one at C's is ignored.
    expected = {CODES[0]: (0.0, 1, 1.0), CODES[1]: (1000.0, 1, 0.5), CODES[2]: (2000.0, 1, 1 / 1.5)}
    for code, (nearest, within, per_1000) in expected.items():
        row = score_of(session, code, "carers")
        assert row.nearest_m == pytest.approx(nearest, abs=0.5)
        assert row.within_radius == within
        assert row.per_1000 == pytest.approx(per_1000, abs=1e-3)
    none = score_of(session, CODES[1], "debt-benefits")
    assert none.nearest_m is None and none.within_radius == 0 and none.provision_part == pytest.approx(1.0)


def test_gap_scores_match_the_formula_worked_by_hand(world: dict[str, Any], session: Any) -> None:
    def score(rank: int, nearest: float, per_1000: float, events: int) -> float:
        d = (N_2011 - rank) / (N_2011 - 1)
        p = ((1 - math.exp(-nearest / 2000)) + math.exp(-per_1000)) / 2
        m = min(1.0, math.log1p(events) / math.log1p(20))
        return 100 * (0.4 * d + 0.4 * p + 0.2 * m)

    # Three signpostings in C count for C and its neighbour B, not for A (which does not touch C).
    assert score_of(session, CODES[0], "carers").score == pytest.approx(score(100, 0, 1.0, 0), abs=0.01)
    assert score_of(session, CODES[1], "carers").score == pytest.approx(score(16_422, 1000, 0.5, 3), abs=0.01)
    assert score_of(session, CODES[2], "carers").score == pytest.approx(score(32_844, 2000, 1 / 1.5, 3), abs=0.01)
    assert score_of(session, CODES[1], "carers").score == pytest.approx(49.11, abs=0.01)  # 40.00 + 9.11 by hand
    assert score_of(session, CODES[1], "carers").demand == 3 and score_of(session, CODES[0], "carers").demand == 0
    run = session.scalars(select(GapRun)).one()
    assert (run.lsoas, run.matched, run.deprivation_basis, run.lsoa_edition) == (3, 3, "rank", "2011")
    assert run.weights["deprivation"] == 0.4 and run.computed_at is not None
    assert "3 LSOA 2011 x 21 categories" in world["compute"]


def test_computing_again_replaces_the_previous_run(world: dict[str, Any], app: Flask, session: Any) -> None:
    result = app.test_cli_runner().invoke(cli, ["gaps", "compute"])
    assert result.exit_code == 0
    assert session.scalar(select(func.count()).select_from(GapRun)) == 1
    assert session.scalar(select(func.count()).select_from(GapScore)) == 3 * 21


def test_weights_come_from_settings(tmp_path: Path, backend: str) -> None:
    weights = {"GAP_WEIGHT_DEPRIVATION": 1.0, "GAP_WEIGHT_PROVISION": 0.0, "GAP_WEIGHT_DEMAND": 0.0}
    with built_app(backend, tmp_path, **weights) as app, app.app_context():
        gap_world.seed(db.session, app.config, tmp_path / "files")
        compute_gaps(db.session, app.config)
        a = score_of(db.session, CODES[0], "carers")
        assert a.score == pytest.approx(100 * (N_2011 - 100) / (N_2011 - 1), abs=0.01)


def test_compute_without_boundaries_says_what_to_do(tmp_path: Path, backend: str) -> None:
    with built_app(backend, tmp_path) as app:
        result = app.test_cli_runner().invoke(cli, ["gaps", "compute"])
    assert result.exit_code == 1 and "asset-directory geo import-boundaries" in result.output


def test_gap_flags_count_as_demand_and_in_the_table(tmp_path: Path, backend: str) -> None:
    """A link worker's gap flag in A counts for A and its neighbour B (not C), and shows in the table's flags."""
    with built_app(backend, tmp_path) as app, app.app_context():
        gap_world.seed(db.session, app.config, tmp_path)
        before = {code: score_of(db.session, code, "carers").demand for code in CODES}
        worker: User = create_user(db.session, email_address="flagger@example.org", role="link-worker",
                                   password=PASSWORD)  # fmt: skip
        record_flag(db.session, {"category": "carers", "postcode": gap_world.POSTCODES["A"],
                                         "description": "No carers group nearby"}, worker)  # fmt: skip
        compute_gaps(db.session, app.config)
        after = {code: score_of(db.session, code, "carers").demand for code in CODES}
        assert after[CODES[0]] == before[CODES[0]] + 1 and after[CODES[1]] == before[CODES[1]] + 1
        assert after[CODES[2]] == before[CODES[2]]
        flags = {row.code: row.flags for row in area_rows(db.session, ["E06000009"], "carers")}
        assert flags[CODES[0]] == 1 and flags[CODES[2]] == 0


def test_a_computation_is_kept_only_when_its_caller_commits(tmp_path: Path, backend: str) -> None:
    later = datetime(2031, 1, 1)
    with built_app(backend, tmp_path) as app, app.app_context():
        gap_world.seed(db.session, app.config, tmp_path)
        compute_gaps(db.session, app.config, now=later)
        assert db.session.scalars(select(GapRun.computed_at)).one() == later
        db.session.rollback()
        assert db.session.scalars(select(GapRun.computed_at)).one() != later  # the seeded run is still the one
