"""geo.gapscore: each part worked out by hand, the worked example of docs/gap-score.md, and properties."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.gap_explanation import explain
from geo.gap_weights import NATIONAL_LSOAS, GapWeights
from geo.gapscore import gap_scores

N2011 = NATIONAL_LSOAS["2011"]


def deprivation(
    ranks: dict[str, int], *, scores: dict[str, float] | None = None, edition: str = "2011"
) -> pd.DataFrame:
    """A frame shaped like geo.readers.read_deprivation's (IoD2019 File 1 has ranks and no scores)."""
    codes = list(ranks)
    frame = pd.DataFrame(
        {
            "lsoa_code": codes,
            "lsoa_edition": edition,
            "imd_score": [scores[c] for c in codes] if scores else np.nan,
            "imd_rank": [ranks[c] for c in codes],
        },
    )
    frame.attrs.update(lsoa_edition=edition, source_kind="IoD2019 File 1", has_scores=bool(scores))
    return frame


def provision_rows(*rows: tuple[str, str, float, int, float, bool], edition: str | None = "2011") -> pd.DataFrame:
    """Rows of (lsoa_code, category, nearest_m, within_radius, per_1000, area_covered)."""
    frame = pd.DataFrame(
        rows,
        columns=["lsoa_code", "category", "nearest_m", "within_radius", "per_1000", "area_covered"],
    )
    frame.attrs["radius_m"] = 5000.0
    if edition is not None:
        frame.attrs["lsoa_edition"] = edition
    return frame


def demand_rows(*rows: tuple[str, str, int]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["lsoa_code", "category", "events"])


def test_the_worked_example_in_the_docs() -> None:
    # docs/gap-score.md: IMD rank 3,284 of 32,844; nearest 3 km; 2 within 5 km for 1,600 residents; 4 events.
    scored = gap_scores(
        deprivation({"E01012345": 3284}),
        provision_rows(("E01012345", "carers", 3000.0, 2, 2 / 1600 * 1000, False)),
        demand_rows(("E01012345", "carers", 4)),
    )

    row = scored.iloc[0]
    assert row["deprivation_basis"] == "rank"
    assert row["deprivation_part"] == pytest.approx((N2011 - 3284) / (N2011 - 1))  # 0.9000
    assert row["provision_part"] == pytest.approx(((1 - math.exp(-1.5)) + math.exp(-1.25)) / 2)  # 0.5317
    assert row["demand_part"] == pytest.approx(math.log(5) / math.log(21))  # 0.5286
    assert row["gap_score"] == pytest.approx(67.84, abs=0.005)
    assert row["explanation"].startswith("Gap score 68 of 100 = deprivation 0.90 x 0.4 + provision gap 0.53 x 0.4")
    assert "IMD rank 3284 of 32844" in row["explanation"]
    assert "nearest service 3.0 km; 2 within 5 km; 1.2 per 1,000 residents" in row["explanation"]
    assert "Demand: 4 signpostings and gap flags" in row["explanation"]


def test_an_area_wide_service_halves_the_provision_part() -> None:
    uncovered = gap_scores(deprivation({"A": 3284}), provision_rows(("A", "carers", 3000.0, 2, 1.25, False)))
    covered = gap_scores(deprivation({"A": 3284}), provision_rows(("A", "carers", 3000.0, 2, 1.25, True)))

    assert covered["provision_part"].iloc[0] == pytest.approx(uncovered["provision_part"].iloc[0] / 2)
    assert "covering the whole local authority" in covered["explanation"].iloc[0]


def test_rank_basis_puts_the_most_deprived_at_one_and_the_least_at_zero() -> None:
    ranks = {"most": 1, "least": N2011, "middle": (N2011 + 1) // 2}
    rows = [(code, "debt", 1000.0, 1, 1.0, False) for code in ranks]

    scored = gap_scores(deprivation(ranks), provision_rows(*rows)).set_index("lsoa_code")

    assert scored["deprivation_part"].to_dict() == pytest.approx({"most": 1.0, "least": 0.0, "middle": 0.5}, abs=1e-4)
    assert (scored["deprivation_basis"] == "rank").all()
    assert scored.attrs["deprivation_basis"] == "rank"


def test_score_basis_is_used_when_every_lsoa_has_a_score() -> None:
    frame = deprivation({"low": 100, "high": 1, "mid": 50}, scores={"low": 5.0, "high": 65.0, "mid": 35.0})
    rows = [(code, "debt", 1000.0, 1, 1.0, False) for code in ("low", "high", "mid")]

    scored = gap_scores(frame, provision_rows(*rows)).set_index("lsoa_code")

    assert scored["deprivation_part"].to_dict() == pytest.approx({"low": 0.0, "high": 1.0, "mid": 0.5})
    assert (scored["deprivation_basis"] == "score").all()
    assert "IMD score 35.0" in scored.loc["mid", "explanation"]


def test_provision_part_terms() -> None:
    rows = [
        ("none", "debt", np.nan, 0, 0.0, False),  # no service anywhere, population known
        ("here", "debt", 0.0, 0, np.nan, False),  # a service on the centre, population unknown
        ("scale", "debt", 2000.0, 0, np.nan, False),  # exactly one distance scale away
    ]

    scored = gap_scores(deprivation({"none": 1, "here": 1, "scale": 1}), provision_rows(*rows)).set_index("lsoa_code")

    assert scored.loc["none", "provision_part"] == pytest.approx(1.0)  # (1 + exp(0)) / 2
    assert scored.loc["here", "provision_part"] == pytest.approx(0.0)
    assert scored.loc["scale", "provision_part"] == pytest.approx(1 - math.exp(-1))
    assert "no located service of this category" in scored.loc["none", "explanation"]


def test_demand_part_saturates_at_demand_full_at() -> None:
    rows = [(code, "debt", 1000.0, 1, 1.0, False) for code in ("none", "one", "full", "more")]
    counted = demand_rows(("one", "debt", 1), ("full", "debt", 20), ("more", "debt", 200), ("one", "other", 50))

    scored = gap_scores(deprivation(dict.fromkeys(["none", "one", "full", "more"], 1)), provision_rows(*rows), counted)

    parts = scored.set_index("lsoa_code")["demand_part"]
    assert parts.to_dict() == pytest.approx({"none": 0.0, "one": math.log(2) / math.log(21), "full": 1.0, "more": 1.0})


def test_weights_change_the_mix_and_are_divided_by_their_sum() -> None:
    rows = provision_rows(("A", "debt", np.nan, 0, 0.0, False))  # provision part 1

    only_provision = gap_scores(deprivation({"A": N2011}), rows, weights=GapWeights(0, 3, 0))

    assert only_provision["gap_score"].iloc[0] == pytest.approx(100.0)
    assert only_provision.attrs["weights"]["provision"] == 3


def test_mismatched_lsoa_editions_are_refused_with_the_reason() -> None:
    iod2025 = deprivation({"E01000001": 1}, edition="2021")
    lsoa2011 = provision_rows(("E01000001", "debt", 1.0, 1, 1.0, False), edition="2011")

    with pytest.raises(ValueError, match=r"LSOA editions differ: deprivation \(IoD2019 File 1\) is keyed by LSOA 2021"):
        gap_scores(iod2025, lsoa2011)


def test_an_unknown_edition_is_refused_unless_stated() -> None:
    unlabelled = provision_rows(("E01000001", "debt", 1.0, 1, 1.0, False), edition=None)
    with pytest.raises(ValueError, match="pass lsoa_edition="):
        gap_scores(deprivation({"E01000001": 1}), unlabelled)
    bare = deprivation({"E01000001": 1}).drop(columns="lsoa_edition")
    bare.attrs = {}
    with pytest.raises(ValueError, match="which LSOA edition the deprivation frame"):
        gap_scores(bare, unlabelled, lsoa_edition="2011")

    scored = gap_scores(deprivation({"E01000001": 1}), unlabelled, lsoa_edition="2011")
    assert scored.attrs["lsoa_edition"] == "2011"
    with pytest.raises(ValueError, match="was told lsoa_edition='2021'"):
        gap_scores(
            deprivation({"E01000001": 1}),
            provision_rows(("E01000001", "debt", 1.0, 1, 1.0, False)),
            lsoa_edition="2021",
        )


def test_coverage_is_reported_and_unmatched_lsoas_get_no_score() -> None:
    rows = [("E01000001", "debt", 1.0, 1, 1.0, False), ("E01999999", "debt", 1.0, 1, 1.0, False)]

    scored = gap_scores(deprivation({"E01000001": 1, "E01000002": 2}), provision_rows(*rows))

    assert scored.attrs["coverage"] == {
        "lsoas": 2,
        "matched": 1,
        "unmatched": 1,
        "unmatched_examples": ["E01999999"],
        "deprivation_lsoas": 2,
    }
    missing = scored.iloc[1]
    assert missing["deprivation_basis"] == "missing" and math.isnan(missing["gap_score"])
    assert missing["explanation"].startswith("No gap score (no deprivation data for this LSOA)")


def test_missing_columns_are_named() -> None:
    with pytest.raises(ValueError, match="missing 'area_covered'"):
        gap_scores(
            deprivation({"A": 1}), provision_rows(("A", "debt", 1.0, 1, 1.0, False)).drop(columns="area_covered")
        )
    with pytest.raises(ValueError, match="'imd_score' or 'imd_rank'"):
        gap_scores(
            deprivation({"A": 1})[["lsoa_code", "lsoa_edition"]], provision_rows(("A", "debt", 1.0, 1, 1.0, False))
        )


def test_explain_works_on_a_subset_and_costs_nothing_when_skipped() -> None:
    rows = [(f"E0100000{i}", "debt", 1000.0 * i, i, float(i), False) for i in range(5)]
    scored = gap_scores(
        deprivation({r[0]: i + 1 for i, r in enumerate(rows)}), provision_rows(*rows), explain_rows=False
    )

    assert "explanation" not in scored.columns
    text = explain(scored.iloc[2:4])
    assert list(text.index) == [2, 3]
    assert text.iloc[0].startswith(f"Gap score {round(scored['gap_score'].iloc[2])} of 100")


# --------------------------------------------------------------------------------------
# Properties

distance = st.one_of(st.just(math.nan), st.floats(min_value=0, max_value=100_000))
per_1000 = st.one_of(st.just(math.nan), st.floats(min_value=0, max_value=1000))
weight = st.floats(min_value=0, max_value=10)
weights = st.tuples(weight, weight, weight).filter(lambda w: sum(w) > 0).map(lambda w: GapWeights(*w))
areas = st.tuples(
    st.integers(min_value=1, max_value=N2011),
    distance,
    st.integers(min_value=0, max_value=500),
    per_1000,
    st.booleans(),
    st.integers(min_value=0, max_value=1000),
)


def score_one(area: tuple[int, float, int, float, bool, int], chosen: GapWeights, rank: int | None = None) -> float:
    imd_rank, nearest, within, per_1000_value, covered, events = area
    scored = gap_scores(
        deprivation({"A": imd_rank if rank is None else rank, "B": N2011}),
        provision_rows(("A", "debt", nearest, within, per_1000_value, covered)),
        demand_rows(("A", "debt", events)),
        chosen,
        explain_rows=False,
    )
    return float(scored["gap_score"].iloc[0])


@settings(max_examples=80, deadline=None)
@given(area=areas, chosen=weights)
def test_the_score_is_between_0_and_100(area: tuple[int, float, int, float, bool, int], chosen: GapWeights) -> None:
    assert 0.0 <= score_one(area, chosen) <= 100.0


@settings(max_examples=80, deadline=None)
@given(area=areas, chosen=weights, better_by=st.integers(min_value=0, max_value=N2011))
def test_the_score_rises_with_deprivation_holding_the_rest_fixed(
    area: tuple[int, float, int, float, bool, int],
    chosen: GapWeights,
    better_by: int,
) -> None:
    more_deprived_rank = max(1, area[0] - better_by)

    assert score_one(area, chosen, rank=more_deprived_rank) >= score_one(area, chosen) - 1e-9


@settings(max_examples=50, deadline=None)
@given(scores=st.lists(st.floats(min_value=0, max_value=95), min_size=2, max_size=8), raise_by=st.floats(0, 50))
def test_a_higher_imd_score_never_lowers_that_areas_gap_score(scores: list[float], raise_by: float) -> None:
    codes = [f"E01{i:06d}" for i in range(len(scores))]
    rows = provision_rows(*[(c, "debt", 1500.0, 1, 0.5, False) for c in codes])

    def first(values: list[float]) -> float:
        frame = deprivation(dict.fromkeys(codes, 1), scores=dict(zip(codes, values, strict=True)))
        return float(gap_scores(frame, rows, explain_rows=False)["gap_score"].iloc[0])

    assert first([scores[0] + raise_by, *scores[1:]]) >= first(scores) - 1e-9
