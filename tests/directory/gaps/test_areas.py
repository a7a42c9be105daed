"""The stored gap data as pages read it: the local authorities to choose from and their names."""

from __future__ import annotations

from directory.demo.content import DEMO_AREAS
from directory.listings.place_names import DEMO_AUTHORITY_NAMES


def test_the_demo_authorities_are_named_as_the_demo_names_them() -> None:
    # The gap pages cannot import the demo (a higher rank), so they hold the names themselves.
    assert {code: name for code, (name, _towns) in DEMO_AREAS.items()} == DEMO_AUTHORITY_NAMES
