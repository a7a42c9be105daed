"""Property tests (hypothesis) for the postcode parser and the search query parser."""

from __future__ import annotations

import re
import sqlite3

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from directory.listings.fts import fts_expression, tsquery_expression
from directory.search.query import SearchError, parse_query
from geo.postcodes import InvalidPostcode, normalise_postcode

PCDS = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}$")
AREAS = st.sampled_from(["FY", "BB", "OL", "M", "B", "SW", "LS", "E", "N", "W"])
INWARD_LETTERS = st.sampled_from(list("ABDEFGHJLNPQRSTUWXYZ"))


@given(st.text(max_size=40))
def test_any_text_is_a_clean_postcode_or_a_named_refusal(text: str) -> None:
    try:
        result = normalise_postcode(text)
    except InvalidPostcode as exc:
        assert str(exc)
    else:
        assert PCDS.match(result), result


@given(AREAS, st.integers(1, 9), st.integers(0, 9), INWARD_LETTERS, INWARD_LETTERS, st.sampled_from(["", " ", "  "]))
def test_valid_postcodes_normalise_whatever_their_spacing_and_case(
    area: str, district: int, sector: int, first: str, second: str, gap: str
) -> None:
    canonical = f"{area}{district} {sector}{first}{second}"
    typed = f" {area.lower()}{district}{gap}{sector}{first.lower()}{second} "
    assert normalise_postcode(typed) == canonical


@given(st.dictionaries(st.sampled_from(["q", "radius", "age", "sort", "day", "time", "max_wait", "gender",
                                        "accessibility", "delivery", "limit", "free", "postcode"]),
                       st.text(max_size=30)))  # fmt: skip
def test_any_query_parameters_parse_or_name_the_bad_one(args: dict[str, str]) -> None:
    try:
        query = parse_query(args)
    except SearchError as exc:
        assert exc.field in args and str(exc)
    else:
        assert 0 < query.radius_km <= 100 and 1 <= query.limit <= 200


FTS = sqlite3.connect(":memory:", check_same_thread=False)
FTS.execute("CREATE VIRTUAL TABLE t USING fts5(a, tokenize='porter unicode61 remove_diacritics 2', prefix='2 3')")
FTS.execute("INSERT INTO t(a) VALUES ('Knit and natter at St John''s café')")


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.text(max_size=60),
    st.dictionaries(st.text(min_size=1, max_size=12), st.sets(st.text(max_size=12), max_size=3), max_size=3),
)
def test_no_typed_text_or_synonym_can_break_the_full_text_query(text: str, synonyms: dict[str, set[str]]) -> None:
    expression = fts_expression(text, synonyms)
    if expression is not None:
        FTS.execute("SELECT rowid FROM t WHERE t MATCH ?", (expression,)).fetchall()
    pg = tsquery_expression(text, synonyms)
    if pg is not None:
        # Lexemes are quoted, non-empty words of letters and digits only: nothing else reaches to_tsquery.
        assert re.fullmatch(r"[\s()|&<\->:*'\w]+", pg), pg
        assert "''" not in pg and "()" not in pg, pg
