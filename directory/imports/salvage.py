"""A record's bad optional fields are left out with a note, not the whole record.

The write path's cleaners name every field they refuse (``ValidationFailed``). For an imported record, whose
source cannot be asked to fix a field before the run, :func:`salvage` cleans again without what was refused:

- text over the write path's limit is cut to it, with a note giving its length (a name over 255 characters, a
  description over 10,000: the limits the listing forms keep too);
- one bad place, session or contact ("Place 2: ...") leaves out that one, keeping the others;
- any other bad optional field (a phone that is not a phone, an unknown status) is left out, so the listing keeps
  what it had (a new listing, the default);
- a bad required field (an empty name, say) still rejects the record, as does a rule that a field the record
  does not give would have to satisfy.

Each fix is one note in the run's report, naming the record, the field and why.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from ..core import validation as v

REQUIRED = frozenset({"name", "organization_id"})
ONE_ITEM = re.compile(r"^(?:Place|Session|Contact) (\d+): ")
TOO_LONG = re.compile(r"^Use at most (\d+) characters")
ROUNDS = 4  # each round fixes every field named; a second error in a fixed list item needs another

Cleaned = TypeVar("Cleaned")


def salvage(
    clean: Callable[[dict[str, Any]], Cleaned], values: dict[str, Any], where: str, note: Callable[[str], None]
) -> tuple[dict[str, Any], Cleaned]:
    """``clean(values)``, leaving out (or cutting) what it refuses where the record can do without it.

    Returns the values actually cleaned and what ``clean`` made of them; raises the cleaner's ``ValidationFailed``
    when the record cannot be kept."""
    values = dict(values)
    for _ in range(ROUNDS):
        try:
            return values, clean(values)
        except v.ValidationFailed as exc:
            if not all(_fix(values, field, message, where, note) for field, message in exc.errors.items()):
                raise
    return values, clean(values)


def _fix(values: dict[str, Any], field: str, message: str, where: str, note: Callable[[str], None]) -> bool:
    """Fix one refused field in ``values``; False when the record cannot do without it."""
    if field not in values:
        return False
    value = values[field]
    too_long = TOO_LONG.match(message)
    if too_long and isinstance(value, str):
        limit = int(too_long.group(1))
        values[field] = value.strip()[:limit]
        note(f"{where}: {field} cut to {limit} characters (it had {len(value.strip())}).")
        return True
    if field in REQUIRED:
        return False
    one = ONE_ITEM.match(message)
    if one and isinstance(value, list) and 0 < int(one.group(1)) <= len(value):
        index = int(one.group(1)) - 1
        values[field] = value[:index] + value[index + 1 :]
        note(f"{where}: {field}: {message} That one was left out, the others kept.")
        return True
    del values[field]
    note(f"{where}: {field} left out: {message}")
    return True
