"""The gap table's exports: cells that spreadsheet programs would run as formulas are quoted."""

from __future__ import annotations

from directory.gaps.exports import csv_safe


def test_cells_that_spreadsheets_would_run_as_formulas_are_quoted() -> None:
    assert csv_safe("-1+2") == "'-1+2" and csv_safe("@SUM(A1)") == "'@SUM(A1)" and csv_safe(3) == 3
