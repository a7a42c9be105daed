"""Areas named as people name them: local authority and postcode sectors, never a bare ONS code."""

from __future__ import annotations

import re
from typing import Any

import pytest

from directory.listings.place_names import MAX_SECTORS, headline, name_area, name_areas
from directory.models import Deprivation, Lsoa, Postcode
from directory.models.backlog import LsoaMsoa
from directory.models.gaps import LsoaLookup

pytestmark = pytest.mark.both_backends
CODE = re.compile(r"E0\d{7}")
SQUARE = '{"type":"Polygon","coordinates":[[[-3.05,53.8],[-3.04,53.8],[-3.04,53.81],[-3.05,53.8]]]}'


def add_postcodes(session: Any, lsoa: str, lad: str | None, *postcodes: str) -> None:
    for pcds in postcodes:
        session.add(Postcode(postcode_key=pcds.replace(" ", ""), pcds=pcds, latitude=53.8, longitude=-3.05,
                             lsoa_code=lsoa, lad_code=lad))  # fmt: skip


def add_lsoa(session: Any, code: str, name: str, lad: str | None) -> None:
    session.add(Lsoa(code=code, edition="2021", name=name, lad_code=lad, geometry=SQUARE, x=331_000.0, y=436_000.0))


@pytest.fixture
def places(session: Any) -> Any:
    """Burnley 009B with postcodes in two sectors (more in BB11 2), 009C with none, and an MSOA of both."""
    session.add(Deprivation(lsoa_code="E01024868", edition="2021", lsoa_name="Burnley 009B", lad_code="E07000117",
                            lad_name="Burnley", source_kind="test"))  # fmt: skip
    add_lsoa(session, "E01024868", "Burnley 009B", "E07000117")
    add_lsoa(session, "E01024869", "Burnley 009C", "E07000117")
    add_postcodes(session, "E01024868", "E07000117", "BB11 2AA", "BB11 2AB", "BB11 2AD", "BB11 3XY")
    session.add_all([LsoaMsoa(lsoa_code="E01024868", msoa_code="E02005000"),
                     LsoaMsoa(lsoa_code="E01024869", msoa_code="E02005000")])  # fmt: skip
    session.commit()
    yield session
    for model in (Postcode, LsoaMsoa, Lsoa, Deprivation, LsoaLookup):
        session.query(model).delete()
    session.commit()


def test_an_area_is_named_by_its_authority_and_postcode_sectors_with_the_ons_name_second(places: Any) -> None:
    place = name_area(places, "E01024868")
    assert place.headline == "Burnley, around BB11 2 and BB11 3"
    assert place.detail == "LSOA Burnley 009B, E01024868"
    assert (place.authority, place.sectors) == ("Burnley", ("BB11 2", "BB11 3"))


def test_without_postcodes_the_ons_name_gives_the_neighbourhood_not_the_code(places: Any) -> None:
    place = name_area(places, "E01024869")
    assert place.headline == "Burnley, neighbourhood 009C"  # the authority's name from the deprivation file
    assert place.detail == "LSOA Burnley 009C, E01024869"


def test_an_msoa_takes_the_sectors_of_its_lsoas(places: Any) -> None:
    place = name_area(places, "E02005000")
    assert place.headline == "Burnley, around BB11 2 and BB11 3"
    assert place.detail == "MSOA Burnley 009, E02005000"


def test_an_area_in_no_loaded_file_says_so_and_keeps_its_code_second(places: Any) -> None:
    place = name_area(places, "E01099999")
    assert place.headline == "A neighbourhood not in the loaded data"
    assert place.detail == "LSOA E01099999"


def test_the_authority_name_comes_from_the_lsoa_lookup_when_no_deprivation_is_loaded(places: Any) -> None:
    add_lsoa(places, "E01900001", "Elsewhere 001A", "E06000099")
    add_postcodes(places, "E01900001", "E06000099", "ZZ1 1AA")
    places.commit()
    assert name_area(places, "E01900001").headline == "Elsewhere, around ZZ1 1"  # from the ONS name
    places.add(LsoaLookup(lsoa11_code="E01900001", lsoa21_code="E01900001", change="U", lad_code="E06000099",
                          lad_name="Somewhere Else"))  # fmt: skip
    places.commit()
    assert name_area(places, "E01900001").headline == "Somewhere Else, around ZZ1 1"


def test_many_codes_are_named_at_once_and_no_headline_is_a_code(places: Any) -> None:
    codes = ["E01024868", "E01024869", "E02005000", "E01099999"]
    named = name_areas(places, codes)
    assert set(named) == set(codes)
    assert not [p.headline for p in named.values() if CODE.search(p.headline)]


def test_at_most_three_sectors_are_named_the_ones_with_most_postcodes() -> None:
    assert MAX_SECTORS == 3
    assert headline("Blackpool", ["FY1 1", "FY1 2", "FY1 3", "FY1 4"]) == "Blackpool, around FY1 1, FY1 2 and FY1 3"
    assert headline("", ["FY1 1"]) == "Around FY1 1"
    assert headline("", [], "Blackpool 010A") == "Blackpool, neighbourhood 010A"
    assert headline("Blackpool", []) == "A neighbourhood of Blackpool"


def test_sectors_are_chosen_by_how_many_postcodes_fall_in_the_area(places: Any) -> None:
    add_postcodes(places, "E01024869", "E07000117", "BB10 1AA", "BB12 9AA", "BB12 9AB", "BB11 4AA", "BB11 4AB",
                  "BB11 5AA", "BB11 5AB")  # fmt: skip
    places.commit()
    # BB10 1 has one postcode here: it is left out; the three with two each are named, in postcode order.
    assert name_area(places, "E01024869").headline == "Burnley, around BB11 4, BB11 5 and BB12 9"
