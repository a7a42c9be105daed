"""The personal-data guard (directory/core/personal_data): each recogniser, its refusals, masking, measured accuracy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from directory.core.personal_data import describe, find_personal_data, mask, nhs_number_is_valid

DATA = Path(__file__).resolve().parents[2] / "data"
# The tuning sets (the held-out set is measured by bench/personal_data.py only, never asserted on here, so
# no change is ever fitted to it). Floors a little under the measured figures in docs/personal-data.md.
LABELLED = [DATA / "personal_data_eval.jsonl", DATA / "personal_data_old.jsonl"]
PRECISION_FLOOR = 0.93
RECALL_FLOOR = 0.95


def kinds(text: str) -> list[tuple[str, str]]:
    return [(f.kind, f.text) for f in find_personal_data(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Lives at FY1 1AD now", [("postcode", "FY1 1AD")]),
        ("lives at fy1 1ad now", [("postcode", "fy1 1ad")]),
        ("Lives at FY11AD now", [("postcode", "FY11AD")]),
        ("Ring 07700 900123 today", [("phone", "07700 900123")]),
        ("Ring +44 (0)1253 477000 today", [("phone", "+44 (0)1253 477000")]),
        ("Ring (01253) 477000 today", [("phone", "(01253) 477000")]),
        ("mail a.b+c@example.co.uk please", [("email", "a.b+c@example.co.uk")]),
        ("NHS 943 476 5919", [("nhs-number", "943 476 5919")]),
        ("NHS 9434765919", [("nhs-number", "9434765919")]),
        ("DOB 12/03/1954", [("date", "12/03/1954")]),
        ("born 3rd May, lonely", [("date", "3rd May")]),
        ("born on 14 February 1961", [("date", "14 February 1961")]),
        ("Mrs Smith and Dr. O'Neill", [("name", "Mrs Smith"), ("name", "Dr. O'Neill")]),
    ],
)
def test_each_kind_of_personal_data_is_found_with_its_span(text: str, expected: list[tuple[str, str]]) -> None:
    assert kinds(text) == expected
    for finding in find_personal_data(text):
        assert text[finding.start : finding.end] == finding.text


@pytest.mark.parametrize(
    "text",
    [
        "Nothing for carers in the FY1 district",  # an outward code alone is an area, not an address
        "Unit 3, QQ1 1ZZ is not a real postcode",  # a postcode shape ukpostcodeparser rejects
        "Ref 943 476 5918",  # the check digit is wrong and nothing says it is an NHS number
        "Between 10 and 15 people, 2020-2023, sessions 10.30 to 12.00",
        "The group closed in March 2024",  # a month and year identify nobody
        "The Lady Chapel hall; Miss out on nothing",
        "Version 2.3.1 of the form; 1 in 3 people",
        "Call 12345 for the switchboard",  # too short to be a UK number
    ],
)
def test_ordinary_text_raises_no_finding(text: str) -> None:
    assert kinds(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("spoke to margaret hughes today", [("name", "margaret hughes")]),
        ("daughter Lisa Wood phoned", [("name", "Lisa Wood")]),
        ("my client Dave Pickup", [("name", "Dave Pickup")]),
        ("her son Jamal needs help", [("name", "Jamal")]),
        ("wife Rose has had a fall", [("name", "Rose")]),
        ("spoke to ian and june at the club", [("name", "ian"), ("name", "june")]),
        ("Mrs T. says the bus has gone", [("name", "Mrs T.")]),
        ("mr and mrs hargreaves need a cleaner", [("name", "mrs hargreaves")]),
        ("mr o'brien was turned away", [("name", "mr o'brien")]),
        ("ring Steve Fairclough's daughter", [("name", "Steve Fairclough")]),
        ("Jean-Paul Mbeki wants a group", [("name", "Jean-Paul Mbeki")]),
        ("Priya Patel asked", [("name", "Priya Patel")]),
        ("lives at 9 Hollin Hill now", [("address", "9 Hollin Hill")]),
        ("flat 4, Warwick House, ground floor", [("address", "flat 4, Warwick House")]),
        ("the man at number 14 is alone", [("address", "number 14")]),
        ("her flat on Coronation Street is damp", [("address", "her flat on Coronation Street")]),
        ("email is sandra dot b at hotmail dot co dot uk", [("email", "sandra dot b at hotmail dot co dot uk")]),
        ("NHS number 943-476-5919", [("nhs-number", "943-476-5919")]),
        ("NHS number 943 476 5918", [("nhs-number", "943 476 5918")]),  # mistyped, still someone's
        ("84 year old with dementia on the Mereside estate", [("combination", "84 year old")]),
        ("Kevin, 58, COPD", [("name", "Kevin"), ("combination", "58")]),
    ],
)
def test_names_addresses_spelled_emails_and_combinations_are_found(text: str, expected: list[tuple[str, str]]) -> None:
    assert kinds(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Dr Barnardo's young carers project has a waiting list",
        "Age UK lunch club in Bispham is full",
        "St Mary's Church hall hosts the toddler group",
        "the group meets at 12 Church Street community centre on Wednesdays",
        "Walk starts at 3 Lytham Road car park",
        "Samaritans 116 123 given; advised to call NHS 111 if worse",
        "Mind infoline 0300 123 3393; council switchboard 01253 477 477",
        "Nothing on the Hollin Hill estate for young mums",
        "Mark this as urgent; there is little hope of a group before summer",
        "Stanley Park cafe and Victoria Hospital both host the walk",
        "The Rose and Crown pub hosts the quiz; Grace Church has a wait",
        "Lots of older people with dementia on Mereside; capacity is 20 on Monday",
        "Only 4 places left, waited 14 weeks for the gym",
        "Sir Lancelot pub has a room free on Wednesdays",
        "spoke to Age UK; rang Mind; spoke to Citizens Advice; visited Mereside Library",
        "Nothing accessible for people with MS in the north",
        "Nothing for young carers aged 8 to 12 in Mereside",
        "Tried Brian House children's hospice; forum in the Jean Stansfield Room",
        "Blackpool Carers Centre, 1 Kirby Road, runs a Tuesday drop-in",
    ],
)
def test_organisations_venues_helplines_and_places_raise_no_finding(text: str) -> None:
    assert kinds(text) == []


def test_mask_replaces_each_finding_with_its_kind() -> None:
    text = "spoke to margaret hughes on 07700 900123 at 9 Hollin Hill"
    assert mask(text) == "spoke to [name] on [phone] at [address]"
    assert mask("Nothing for carers in Layton") == "Nothing for carers in Layton"


def test_nhs_number_check_digit_follows_modulus_11() -> None:
    assert nhs_number_is_valid("9434765919")
    assert not nhs_number_is_valid("9434765918")
    assert not nhs_number_is_valid("0000000000")  # all one digit passes the sum but is not issued
    assert not nhs_number_is_valid("943476591")


def test_a_phone_number_is_not_also_reported_as_something_else() -> None:
    assert [f.kind for f in find_personal_data("Tel 0161 496 0000.")] == ["phone"]


def test_description_lists_each_kind_once_in_plain_english() -> None:
    findings = find_personal_data("Mrs Smith, 07700 900123, 07700 900124, FY1 1AD")
    assert describe(findings) == "This looks like it contains a person's name, a phone number and a full postcode."


def _labelled() -> list[dict[str, Any]]:
    return [
        json.loads(line) for path in LABELLED for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


def measure() -> tuple[int, int, int]:
    """Span-level counts over the labelled sets: a finding is right when it overlaps a label (any kind: the
    writer is shown it either way), a label is caught when a finding overlaps it."""
    true_pos = false_pos = false_neg = 0
    for row in _labelled():
        text = row["text"]
        labels = []
        for kind, snippet in row["pii"]:
            start = text.index(snippet)
            labels.append((kind, start, start + len(snippet)))
        findings = find_personal_data(text)
        for f in findings:
            if any(f.start < end and start < f.end for _kind, start, end in labels):
                true_pos += 1
            else:
                false_pos += 1
        for _kind, start, end in labels:
            if not any(f.start < end and start < f.end for f in findings):
                false_neg += 1
    return true_pos, false_pos, false_neg


def test_labelled_set_is_big_enough_and_well_formed() -> None:
    rows = _labelled()
    assert len(rows) >= 300
    assert sum(1 for r in rows if not r["pii"]) >= 150  # plenty of ordinary sentences, to measure precision
    for row in rows:
        for _kind, snippet in row["pii"]:
            assert snippet in row["text"], row


def test_precision_and_recall_on_the_labelled_set_stay_above_their_floors() -> None:
    true_pos, false_pos, false_neg = measure()
    precision = true_pos / (true_pos + false_pos)
    recall = true_pos / (true_pos + false_neg)
    print(f"pii guard: precision {precision:.3f}, recall {recall:.3f} ({true_pos} TP, {false_pos} FP, {false_neg} FN)")
    assert precision >= PRECISION_FLOOR
    assert recall >= RECALL_FLOOR


# Fixes after the independent set (tests/data/personal_data_independent.jsonl) was first measured: each
# case is new wording, not a sentence of that set, and each fails on the guard as it was before.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("rang P. Fairbrother about the walk", [("name", "P. Fairbrother")]),
        ("M Whitehead asked again", [("name", "M Whitehead")]),
        ("saw r. barlow at the hub", [("name", "r. barlow")]),
        ("client: hughes, m. - visits only", [("name", "hughes, m.")]),
        ("mrs j pritchard phoned", [("name", "mrs j pritchard")]),
        ("Cllr jones referred him", [("name", "Cllr jones")]),
        ("referral for grace to the choir", [("name", "grace")]),
        ("dm her on insta @jo_b_1982", [("name", "@jo_b_1982")]),
        ("NHS 9434 765 919 on the form", [("nhs-number", "9434 765 919")]),
        ("referral 94 34 76 59 19 came in", [("nhs-number", "94 34 76 59 19")]),
        ("his number 7700 900 123 (no 0)", [("phone", "7700 900 123")]),
        ("postcode FY1-1AD", [("postcode", "FY1-1AD")]),
        ("her postcode is FY4 2.. something", [("postcode", "FY4 2")]),
        ("born third of may nineteen fifty", [("date", "third of may nineteen fifty")]),
        ("moved to 2 The Mews, Lytham", [("address", "2 The Mews")]),
        ("neighbour (77, blind) is alone all day", [("combination", "77")]),
        ("visited Mrs Hay's house", [("name", "Mrs Hay")]),  # a home is not a venue
        ("dob 4/5/2026 per the health visitor", [("date", "4/5/2026")]),  # a birth cue wins over the year
    ],
)
def test_initials_handles_groupings_partial_postcodes_and_words_are_found(
    text: str, expected: list[tuple[str, str]]
) -> None:
    assert kinds(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Session dates: 4 March, 1 April and 6 May 2026",
        "The lunch club restarts on 12/01/2025 after the refit",
        "Grant letter received, payment due 31 March 2999",  # nobody is born in a future year
        "email info@ribblecarers.org.uk or hello@fyldeshed.org for a place",
        "referrals (at) fyldefoodbank (dot) org (dot) uk for vouchers",
        "Carers Centre - team@carerscentre.org - 01253 393 748",
        "ring 01253 478 222 (council leisure) to book",
        "Marie Curie nurses visit at night; the Sue Ryder shop on Talbot Road",
        "nothing in Poulton-le-Fylde or Stockton-on-Tees",
        "Lady Anne's Court lounge; Dr Ramsay's surgery is shut on Thursdays",
        "class for people aged 60+ with arthritis",
        "follow the club's instagram @fyldewalkers",
        "client in the north, carer in town",
        "will come back in jan with the timetable",
        "A Macmillan nurse visits the group",
        "@SUM(A1) +1 -1",  # a spreadsheet formula pasted into a note, not a handle
    ],
)
def test_event_dates_role_inboxes_and_places_named_after_people_raise_no_finding(text: str) -> None:
    assert kinds(text) == []


def test_independent_set_is_big_enough_and_well_formed() -> None:
    rows = [json.loads(line) for line in (DATA / "personal_data_independent.jsonl").read_text("utf-8").splitlines()]
    assert len(rows) >= 240
    assert 0.4 <= sum(1 for r in rows if r["pii"]) / len(rows) <= 0.6
    for row in rows:
        for _kind, snippet in row["pii"]:
            assert snippet in row["text"], row


# Issue 19, second held-out set: general rules, each tested on new wording.
@pytest.mark.parametrize(
    "text, expected",
    [
        ("Tomasz said the bus is too dear", "Tomasz"),  # a given name told by a verb after it
        ("Radosław rang twice this week", "Radosław"),  # accents folded for the lookup
        ("Faith now walks to the lunch club", "Faith"),  # an everyday-word name before an adverb and a verb
        ("Eoin Gallagher would like a walking group", "Eoin Gallagher"),  # international name and surname
        ("Kemisola Adeyemi-Jones has asked for a befriender", "Kemisola Adeyemi-Jones"),  # two capitals, verb
        ("Zbigniew's sister says he is lonely", "Zbigniew"),  # possessive and a relation
        ("Mirela (my client) likes painting", "Mirela"),  # a role in brackets
    ],
)
def test_names_told_by_what_follows(text: str, expected: str) -> None:
    assert expected in [text[f.start : f.end] for f in find_personal_data(text) if f.kind == "name"]


@pytest.mark.parametrize(
    "text",
    [
        "Kevin's Lads Club meets on Fridays",  # a name then an organisation word
        "residents like Mrs Mop's Cleaners Society",
        "the Sir Walter Raleigh Academy has a choir",
        "she wants Scottish country dancing",  # a nationality, not a name
        "tai chi for beginners on Thursdays",
    ],
)
def test_organisations_and_adjectives_are_not_names(text: str) -> None:
    assert [f for f in find_personal_data(text) if f.kind == "name"] == []


def test_partial_postcode_after_lives_on() -> None:
    text = "he lives on BB2 4 side of town"
    assert "BB2 4" in [text[f.start : f.end] for f in find_personal_data(text) if f.kind == "postcode"]
