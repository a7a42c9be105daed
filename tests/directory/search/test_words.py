"""Reading what a link worker typed: stems, little words, spelling, everyday phrases and risk (no database)."""

from __future__ import annotations

import pytest

from directory.search.safety import DOMESTIC_ABUSE, EMERGENCY, NHS_111, SAMARITANS, SHOUT, risk_in
from directory.search.synonyms import shipped_synonyms, shipped_vocabulary
from directory.search.text import alternatives, expression
from directory.search.words import build_lexicon, content_stems, understand


@pytest.fixture(scope="module")
def lexicon():  # type: ignore[no-untyped-def]
    entries = [(phrase, needs, words) for phrase, (needs, words) in shipped_vocabulary().items()]
    entries += [(term, [], alts) for term, alts in shipped_synonyms().items()]
    return build_lexicon(entries, ["Specific conditions: dementia, diabetes, stroke", "Counselling and grief"])


def test_little_words_go_and_words_are_stemmed() -> None:
    assert content_stems("I am looking after my husband") == ("look", "husband")
    assert content_stems("Walking groups") == ("walk", "group")


@pytest.mark.parametrize(
    ("typed", "need"),
    [("money worries", "debt-benefits"), ("can't pay the rent", "housing"),
     ("my mum has dementia", "specific-conditions"), ("looking after my husband", "carers"), ("hungry", "food"),
     ("food parcel", "food"), ("get fit", "physical-activity"),
     ("stressed out", "mental-health"), ("lost my son", "bereavement"), ("drinking too much", "drugs-alcohol"),
     ("damp flat", "housing"), ("men's shed", "loneliness"), ("english classes", "education-skills"),
     ("back to work", "employment-volunteering"), ("toddler group", "parenting-families"),
     ("partner hits me", "domestic-abuse"), ("my husband is looking after me", "carers")],
)  # fmt: skip
def test_everyday_phrases_name_needs_in_any_order(lexicon, typed: str, need: str) -> None:  # type: ignore[no-untyped-def]
    assert need in understand(typed, lexicon).needs


def test_a_longer_phrase_names_its_need_more_strongly_than_a_word_in_it(lexicon) -> None:  # type: ignore[no-untyped-def]
    understood = understand("lost my mum", lexicon)
    assert understood.needs[0] == "bereavement"
    assert understood.weights["bereavement"] > understood.weights.get("parenting-families", 0)


@pytest.mark.parametrize(
    ("typed", "read_as"), [("dimentia", "dementia"), ("councelling", "counselling"), ("excercize", "exercise")]
)
def test_misspellings_are_read_as_the_nearest_known_word(lexicon, typed: str, read_as: str) -> None:  # type: ignore[no-untyped-def]
    understood = understand(typed, lexicon)
    assert (typed, read_as) in understood.corrections
    assert understood.terms[0] == (typed, read_as)  # the typed word is still searched for too


def test_known_short_and_numeric_words_are_never_corrected(lexicon) -> None:  # type: ignore[no-untyped-def]
    assert understand("dementia yoga 2024 abc", lexicon).corrections == ()


def test_weak_words_are_dropped_beside_words_that_say_more(lexicon) -> None:  # type: ignore[no-untyped-def]
    assert [g[0] for g in understand("support group for carers", lexicon).terms] == ["carers"]
    assert [g[0] for g in understand("support group", lexicon).terms] == ["support", "group"]


def test_quoted_words_are_one_exact_phrase(lexicon) -> None:  # type: ignore[no-untyped-def]
    understood = understand('"walking football"', lexicon)
    assert understood.terms == (("walking football",),)
    assert understood.needs == ()
    assert expression(alternatives(understood, {"walking football": {"exercise"}}), fts5=True) == '"walking football"'


def test_any_word_may_match_and_nothing_typed_is_query_syntax(lexicon) -> None:  # type: ignore[no-untyped-def]
    understood = understand('chess OR "x" NEAR(knit) -debt*', lexicon)
    fts5 = expression(alternatives(understood, {}), fts5=True)
    pg = expression(alternatives(understood, {}), fts5=False)
    assert fts5 is not None and pg is not None
    assert " OR " in fts5 and "NEAR(" not in fts5 and "-" not in fts5
    assert set(pg) <= set("abcdefghijklmnopqrstuvwxyz0123456789_'():*|<-> ")


@pytest.mark.parametrize(
    ("typed", "kind", "first"),
    [("suicidal thoughts", "suicide", SAMARITANS), ("I want to end it all", "suicide", SAMARITANS),
     ("sucidal", "suicide", SAMARITANS), ("self-harm", "self-harm", SAMARITANS),
     ("cutting myself", "self-harm", SAMARITANS),
     ("partner hits me", "abuse", DOMESTIC_ABUSE), ("scared of my husband", "abuse", DOMESTIC_ABUSE),
     ("mental health crisis", "crisis", NHS_111)],
)  # fmt: skip
def test_risk_words_bring_crisis_lines(lexicon, typed: str, kind: str, first: object) -> None:  # type: ignore[no-untyped-def]
    risk = risk_in(typed, understand(typed, lexicon).corrections)
    assert risk is not None and kind in risk.kinds
    assert risk.lines[0] == first
    assert EMERGENCY in risk.lines


@pytest.mark.parametrize("typed", ["alcohol abuse", "food parcel", "walking group", "hit the gym", "emergency food"])
def test_everyday_words_bring_no_crisis_lines(typed: str) -> None:
    assert risk_in(typed) is None


def test_crisis_numbers_are_the_published_ones() -> None:
    assert (SAMARITANS.how, NHS_111.how, EMERGENCY.how, DOMESTIC_ABUSE.how) == (
        "116 123", "111, then option 2", "999", "0808 2000 247",
    )  # fmt: skip
    assert SHOUT.how == "text SHOUT to 85258" and SHOUT.sms


def test_shipped_vocabulary_has_hundreds_of_phrases_for_every_need() -> None:
    vocabulary = shipped_vocabulary()
    assert len(vocabulary) >= 500
    import json
    from importlib import resources

    codes = {c["code"] for c in json.loads(resources.files("directory").joinpath("data/categories.json").read_text())}
    named = {n for needs, _words in vocabulary.values() for n in needs}
    assert named == codes


def test_who_it_is_about_does_not_outweigh_what_it_is_about(lexicon) -> None:  # type: ignore[no-untyped-def]
    understood = understand("my dad keeps forgetting things", lexicon)
    assert understood.needs[0] == "specific-conditions"
    assert understood.weights.get("parenting-families", 0.0) < understood.weights["specific-conditions"] / 2
    assert ("dad",) not in understood.terms  # not searched as text: a dads' group is not the answer
    death = understand("death of a parent", lexicon)
    assert death.needs[0] == "bereavement" and ("parent",) not in death.terms


def test_a_relation_alone_still_names_its_need(lexicon) -> None:  # type: ignore[no-untyped-def]
    understood = understand("single dad", lexicon)
    assert understood.needs == ("parenting-families",) and understood.weights["parenting-families"] == 1.0
    assert ("dad",) in understood.terms
