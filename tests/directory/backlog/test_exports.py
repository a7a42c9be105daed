"""The backlog as CSV (directory/backlog/exports.py): cells a spreadsheet would run are made inert."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest

from directory.backlog import exports, queries


def test_csv_export_neutralises_formulas(flag: Callable[..., Any], people: dict[str, Any], session: Any) -> None:
    flag(people["worker"], category="animals", description='=HYPERLINK("x")')
    flag(people["worker"], category="animals", postcode="FY1 3AB", description="@SUM(A1) +1 -1")
    views = queries.list_items(session, queries.Filters(category="animals", status="all"))
    rows = list(csv.reader(io.StringIO(exports.export_csv(views))))
    assert rows[0] == list(exports.CSV_COLUMNS)
    descriptions = [row[exports.CSV_COLUMNS.index("descriptions")] for row in rows[1:]]
    assert sorted(descriptions) == ['\'=HYPERLINK("x")', "'@SUM(A1) +1 -1"]
    assert all(cell[:1] not in "=+-@" for row in rows[1:] for cell in row if cell)


@pytest.mark.parametrize(
    ("value", "cell"),
    [("=1+1", "'=1+1"), ("+44", "'+44"), ("-3", "'-3"), ("@x", "'@x"), ("\tx", "'\tx"), ("plain", "plain"), (None, "")],
)
def test_safe_cell_prefixes_formula_starts(value: Any, cell: str) -> None:
    assert exports.safe_cell(value) == cell
