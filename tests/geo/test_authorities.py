"""Local authorities by name and code: the packaged official list, names as people write them, lists typed."""

from __future__ import annotations

import pytest

from geo.authorities import authority_code, authority_name, authority_names, display_name, split_authorities


def test_every_english_authority_of_2019_and_those_made_since_are_named() -> None:
    names = authority_names()
    assert len(names) == 317 + 7
    assert all(code[:3] in ("E06", "E07", "E08", "E09") for code in names)
    assert names["E06000009"] == "Blackpool" and names["E07000119"] == "Fylde"
    assert names["E06000063"] == "Cumberland"


def test_official_names_with_a_qualifier_read_as_people_write_them() -> None:
    assert display_name("Bristol, City of") == "City of Bristol"
    assert display_name("Herefordshire, County of") == "County of Herefordshire"
    assert authority_names()["E06000023"] == "City of Bristol"


@pytest.mark.parametrize(
    ("written", "code"),
    [("Blackpool", "E06000009"), ("blackpool ", "E06000009"), ("FYLDE", "E07000119"), ("e06000009", "E06000009"),
     ("City of Bristol", "E06000023"), ("Bristol, City of", "E06000023"), ("Bristol", "E06000023"),
     ("St Helens", "E08000013"), ("St. Helens", "E08000013"), ("Brighton & Hove", "E06000043"),
     ("Nowhereshire", None), ("", None)],
)  # fmt: skip
def test_a_name_in_any_case_or_a_code_gives_the_code(written: str, code: str | None) -> None:
    assert authority_code(written) == code


def test_a_typed_list_keeps_names_that_hold_a_comma_whole() -> None:
    assert split_authorities("Blackpool, Fylde") == ["Blackpool", "Fylde"]
    assert split_authorities("Bristol, City of; Wyre\nPendle") == ["Bristol, City of", "Wyre", "Pendle"]
    assert split_authorities("Bournemouth, Christchurch and Poole, Dorset") == [
        "Bournemouth, Christchurch and Poole", "Dorset",
    ]  # fmt: skip
    assert split_authorities(" , ;") == []


def test_a_code_no_list_knows_is_shown_as_it_is() -> None:
    assert authority_name("E06000009") == "Blackpool"
    assert authority_name("E06000999") == "E06000999"
    assert authority_name("E06000999", [("E06000999", "Newtown")]) == "Newtown"
