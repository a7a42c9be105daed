"""CSV cells for every export: text a spreadsheet would run as a formula is quoted; numbers stay numbers."""

from __future__ import annotations

from decimal import Decimal

from directory.core.csv_cells import safe_cell


def test_text_that_spreadsheets_would_run_as_formulas_is_quoted() -> None:
    for formula in ("-1+2", "@SUM(A1)", '=HYPERLINK("x")', "+44 1253", "\t=1", "\r=1"):
        assert safe_cell(formula) == "'" + formula


def test_numbers_none_and_plain_text_are_written_as_they_are() -> None:
    assert safe_cell(-0.5) == "-0.5" and safe_cell(-3) == "-3" and safe_cell(Decimal("-1.25")) == "-1.25"
    assert safe_cell(None) == "" and safe_cell("Age UK") == "Age UK" and safe_cell(True) == "True"
