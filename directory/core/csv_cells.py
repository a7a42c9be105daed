"""CSV cells that a spreadsheet program will not run as a formula (formula injection)."""

from __future__ import annotations

from numbers import Number
from typing import Any

# A cell starting with one of these is read as a formula (or, for tab and CR, can smuggle one in).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    """``value`` as CSV cell text: empty for None, and a leading ' before text that starts like a formula.

    A number is written as it is: -0.5 is a value, not a formula, and a quote would make it text.
    """
    if value is None:
        return ""
    if isinstance(value, Number) and not isinstance(value, bool):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text
