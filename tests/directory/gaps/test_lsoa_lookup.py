"""IoD2019 (LSOA 2011) carried onto LSOA 2021 boundaries by the official ONS lookup, checked by hand.

The world: four 2011 LSOAs with IoD2019 figures (A, B, C, D); three LSOA 2021 squares with boundaries:
A unchanged (same code), one half of B (split into E01960002 and E01960003), and E01960004 merged from
C and D. Before the lookup nothing joins; after it every 2021 area has carried figures, marked as such.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from directory.cli import cli
from directory.models import Deprivation, GapRun, GapScore, LsoaLookup
from tests.conftest import html
from tests.directory.gaps import gap_world

pytestmark = pytest.mark.both_backends

A, B, C, D = "E01900001", "E01900002", "E01900003", "E01900004"
SPLIT_1, SPLIT_2, MERGED = "E01960002", "E01960003", "E01960004"
IOD = [(A, 100, 1, 1000), (B, 16_422, 5, 2000), (C, 32_844, 10, 1500), (D, 3_000, 1, 500)]
PAIRS = [(A, A, "U"), (B, SPLIT_1, "S"), (B, SPLIT_2, "S"), (C, MERGED, "M"), (D, MERGED, "M")]
N_2011, N_2021 = 32_844, 33_755
MERGED_RANK = round((1500 * 32_844 + 500 * 3_000) / 2000)  # population-weighted: 25,383


@pytest.fixture(scope="module")
def world(app: Flask, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("lookup-files")
    runner = app.test_cli_runner()
    assert runner.invoke(cli, ["geo", "import-imd", *map(str, gap_world.write_iod_rows(folder, IOD))]).exit_code == 0
    path = folder / "lsoa21.geojson"
    path.write_text(json.dumps(gap_world.boundaries_geojson((A, SPLIT_1, MERGED), edition="2021")))
    bounds = runner.invoke(cli, ["geo", "import-boundaries", str(path)])
    assert bounds.exit_code == 0, bounds.output
    lookup = runner.invoke(cli, ["geo", "import-lsoa-lookup", str(gap_world.write_lookup(folder, PAIRS))])
    assert lookup.exit_code == 0, lookup.output
    computed = runner.invoke(cli, ["gaps", "compute"])
    assert computed.exit_code == 0, computed.output
    yield {"folder": folder, "boundaries": bounds.output, "lookup": lookup.output, "compute": computed.output}


def carried(session: Any) -> dict[str, Deprivation]:
    return {d.lsoa_code: d for d in session.scalars(select(Deprivation).where(Deprivation.edition == "2021"))}


def test_the_lookup_import_reports_its_pairs_and_coverage_before_and_after(world: dict[str, Any]) -> None:
    output = world["lookup"]
    assert "Imported the ONS LSOA 2011 to 2021 lookup: 5 pairs (1 unchanged, 2 split, 2 merged, 0 irregular)." in output
    assert "Join coverage before: LSOA 2021: 3 with boundaries, 0 with deprivation, 0 with both." in output
    assert (
        "Join coverage after: LSOA 2021: 3 with boundaries, 4 with deprivation (4 carried from LSOA 2011 by the ONS "
        "lookup), 3 with both." in output
    )
    carried_note = "Deprivation carried from LSOA 2011 onto 4 LSOA 2021 areas by the ONS lookup"
    assert f"{carried_note} (1 unchanged, 2 split, 1 merged; several sources population-weighted)." in output


def test_carried_figures_are_the_ones_worked_out_by_hand(world: dict[str, Any], session: Any) -> None:
    rows = carried(session)
    assert set(rows) == {A, SPLIT_1, SPLIT_2, MERGED}
    a, split, merged = rows[A], rows[SPLIT_1], rows[MERGED]
    assert (a.imd_rank, a.imd_decile, a.population, a.carried, a.carried_from) == (100, 1, 1000, "unchanged", A)
    assert (split.imd_rank, split.imd_decile, split.population, split.carried) == (16_422, 5, 1000, "split")
    assert rows[SPLIT_2].population == 1000  # B's 2,000 people shared between its two parts
    assert (merged.imd_rank, merged.population, merged.carried, merged.carried_from) == (
        MERGED_RANK, 2000, "merged", f"{C} {D}",
    )  # fmt: skip
    assert merged.imd_decile == math.ceil(10 * MERGED_RANK / N_2011) == 8
    assert merged.lad_code == "E06000009" and merged.source_kind.endswith("carried from LSOA 2011")
    published = session.scalars(select(Deprivation).where(Deprivation.edition == "2011")).all()
    assert len(published) == 4 and all(d.carried == "" for d in published)  # the published rows are untouched


def test_gap_scores_use_carried_ranks_rescaled_to_2021_and_say_so(world: dict[str, Any], session: Any) -> None:
    run = session.scalars(select(GapRun)).one()
    assert (run.lsoa_edition, run.lsoas, run.matched, run.deprivation_basis) == ("2021", 3, 3, "rank")
    assert any("carried from LSOA 2011 by the ONS lookup" in note for note in run.notes)
    score = session.scalars(
        select(GapScore).where(GapScore.lsoa_code == MERGED, GapScore.category_code == "carers")
    ).one()
    # rank r of 32,844 is rescaled to 1 + (r - 1) x 33,754 / 32,843 of 33,755, so the part is (32,844 - r) / 32,843.
    rescaled = round(1 + (MERGED_RANK - 1) * (N_2021 - 1) / (N_2011 - 1))
    assert score.deprivation_part == pytest.approx((N_2021 - rescaled) / (N_2021 - 1), abs=1e-4)
    assert score.deprivation_part == pytest.approx((N_2011 - MERGED_RANK) / (N_2011 - 1), abs=1e-4)


@pytest.fixture
def staff(world: dict[str, Any], signed_in: Callable[..., FlaskClient]) -> FlaskClient:
    return signed_in("community-development")


def test_the_area_page_says_the_deprivation_was_carried_and_from_where(staff: FlaskClient) -> None:
    page = html(staff.get(f"/gaps/areas/{MERGED}"))
    note = page.find("p", class_="gap-carried").get_text(" ", strip=True)
    assert note == (
        f"Carried from LSOA 2011 {C}, {D} by the ONS lookup (the population-weighted mean of the LSOAs merged into it)."
    )
    explanations = [tr.find_all("td")[2].get_text() for tr in page.select("tbody tr") if len(tr.find_all("td")) == 3]
    assert any(f"IMD rank {MERGED_RANK} of {N_2011}" in text for text in explanations)


def test_the_table_and_its_export_mark_carried_deciles(staff: FlaskClient) -> None:
    page = html(staff.get("/gaps/table?la=E06000009&category=carers"))
    cells = {row.find("a")["href"].rsplit("/", 1)[1]: row.find_all("td")[3].get_text(" ", strip=True)
             for row in page.select("table.gap-table tbody tr")}  # fmt: skip
    assert cells == {A: "1 (carried: unchanged)", SPLIT_1: "5 (carried: split)", MERGED: "8 (carried: merged)"}
    assert page.find("p", id="carried-note") is not None
    exported = staff.get("/gaps/table?la=E06000009&category=carers&format=csv").get_data(as_text=True)
    rows = {r["LSOA code"]: r for r in csv.DictReader(io.StringIO(exported))}
    assert rows[MERGED]["Deprivation carried from the other LSOA edition (how)"] == "merged"


def test_a_file_that_is_not_the_lookup_is_refused_and_nothing_changes(
    world: dict[str, Any], app: Flask, session: Any
) -> None:
    path = world["folder"] / "not-a-lookup.csv"
    path.write_text("LSOA11CD,LSOA21CD\nE01900001,E01900001\n")
    result = app.test_cli_runner().invoke(cli, ["geo", "import-lsoa-lookup", str(path)])
    assert result.exit_code == 1
    assert "Nothing was imported." in result.output and str(path) in result.output
    assert "missing the columns CHGIND, LAD22CD" in result.output and "geoportal.statistics.gov.uk" in result.output
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(LsoaLookup)) == len(PAIRS)
    assert len(carried(session)) == 4


def test_deprivation_imported_again_is_carried_again(world: dict[str, Any], app: Flask, session: Any) -> None:
    changed = [(A, 200, 1, 1000), *IOD[1:]]
    files = gap_world.write_iod_rows(world["folder"], changed)
    result = app.test_cli_runner().invoke(cli, ["geo", "import-imd", *map(str, files)])
    assert result.exit_code == 0, result.output
    assert "Deprivation carried from LSOA 2011 onto 4 LSOA 2021 areas" in result.output
    session.expire_all()
    assert carried(session)[A].imd_rank == 200
    files = gap_world.write_iod_rows(world["folder"], IOD)
    assert app.test_cli_runner().invoke(cli, ["geo", "import-imd", *map(str, files)]).exit_code == 0
