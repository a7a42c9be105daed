"""The stored gap data as pages read it: the local authorities to choose from and their names."""

from __future__ import annotations

from directory.demo.content import DEMO_AREAS
from geo.authorities import authority_names


def test_the_demo_authorities_are_named_as_the_official_list_names_them() -> None:
    # The gap pages name authorities from the packaged official list when no deprivation file is loaded.
    assert {code: name for code, (name, _towns) in DEMO_AREAS.items()} == {
        code: authority_names()[code] for code in DEMO_AREAS
    }
