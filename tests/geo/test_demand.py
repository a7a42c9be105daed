"""geo.demand on grids of 1 km squares: events counted over an LSOA and its neighbours."""

from __future__ import annotations

import pandas as pd
import pytest

from geo.demand import demand
from geo.neighbours import neighbours
from tests.geo.conftest import Grid, code


def events(*rows: tuple[str, str, str, str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["lsoa_code", "category", "kind", "occurred_at"])


def test_demand_counts_the_lsoa_and_its_neighbours_in_the_window(grid: Grid) -> None:
    pairs = neighbours(grid())
    recorded = events(
        (code(1, 1), "debt", "signposting", "2025-03-01"),  # reaches all nine
        (code(0, 0), "debt", "gap-flag", "2025-03-02T10:00:00"),  # reaches (0,0) and its three neighbours
        (code(2, 2), "debt", "signposting", "2024-12-31"),  # before the window
        (code(2, 2), "carers", "gap-flag", "2025-06-01"),  # at the end: excluded
    )

    counted = demand(recorded, pairs, since="2025-01-01", until="2025-06-01").set_index("lsoa_code")

    assert len(counted) == 9 and set(counted["category"]) == {"debt"}
    assert counted.loc[code(0, 0), ["signposting", "gap_flags", "events"]].tolist() == [1, 1, 2]
    assert counted.loc[code(1, 1), "events"] == 2
    assert counted.loc[code(2, 2), ["signposting", "gap_flags"]].tolist() == [1, 0]
    assert counted.attrs["events_in_window"] == 2


def test_demand_without_neighbours_counts_the_lsoa_itself(grid: Grid) -> None:
    none = pd.DataFrame({"lsoa_code": [], "neighbour_code": []})
    recorded = events(
        (code(0, 0), "debt", "signposting", "2025-03-01"), (code(0, 0), "debt", "signposting", "2025-03-02")
    )

    counted = demand(recorded, none, since="2025-01-01")

    assert counted[["lsoa_code", "category", "events"]].values.tolist() == [[code(0, 0), "debt", 2]]


def test_demand_compares_times_with_zones(grid: Grid) -> None:
    recorded = events((code(0, 0), "debt", "signposting", "2025-01-01T00:30:00+01:00"))  # 23:30 UTC the day before

    assert demand(recorded, neighbours(grid()), since="2025-01-01").empty
    assert len(demand(recorded, neighbours(grid()), since="2024-12-31")) == 4


def test_demand_refuses_unknown_kinds_and_bad_times(grid: Grid) -> None:
    with pytest.raises(ValueError, match="'signposting' or 'gap-flag'"):
        demand(events((code(0, 0), "debt", "referral", "2025-01-01")), neighbours(grid()), since="2025-01-01")
    with pytest.raises(ValueError, match="occurred_at"):
        demand(events((code(0, 0), "debt", "signposting", "not a date")), neighbours(grid()), since="2025-01-01")
    with pytest.raises(ValueError, match="since"):
        demand(events(), neighbours(grid()), since="soon")
