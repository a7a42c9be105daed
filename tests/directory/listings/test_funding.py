"""Funding in words: the end date decides what has passed, whatever the stored status says."""

from __future__ import annotations

from datetime import date

import pytest

from directory.listings.funding import SOON_DAYS, funding

TODAY = date(2026, 12, 5)


def test_an_end_date_in_the_past_reads_ended_even_when_the_status_says_funded() -> None:
    result = funding("funded", date(2026, 9, 15), TODAY)
    assert result.state == "ended"
    assert result.label == result.full == "Funding ended 15 Sep 2026"


def test_yesterday_has_ended_and_today_has_not() -> None:
    assert funding("funded", date(2026, 12, 4), TODAY).label == "Funding ended 4 Dec 2026"
    today = funding("funded", TODAY, TODAY)
    assert today.state == "ending"
    assert (today.label, today.full) == ("Funding ends today", "Funding ends today (5 Dec 2026)")
    assert funding("funded", date(2026, 12, 6), TODAY).full == "Funding ends tomorrow (6 Dec 2026)"


@pytest.mark.parametrize(
    ("until", "words"),
    [(date(2026, 12, 12), "in 7 days"), (date(2026, 12, 26), "in 3 weeks"), (date(2027, 2, 27), "in 12 weeks")],
)
def test_an_end_date_soon_counts_down(until: date, words: str) -> None:
    result = funding("time-limited", until, TODAY)
    assert result.state == "ending"
    assert result.label == f"Funding ends {words}"
    assert result.full == f"Funding ends {words} ({until.day} {until:%b %Y})"


def test_a_distant_end_date_reads_funded_until_and_at_risk_is_kept() -> None:
    far = date.fromordinal(TODAY.toordinal() + SOON_DAYS)
    assert funding("funded", far, TODAY).label == f"Funded until {far.day} {far:%b %Y}"
    assert funding("funded", far, TODAY).state == "funded"
    assert funding("at-risk", far, TODAY).label.startswith("Funding at risk, funded until")
    assert funding("at-risk", date(2026, 12, 26), TODAY).label.startswith("Funding at risk, ends in 3 weeks")


def test_an_unfunded_status_with_a_future_date_follows_the_date() -> None:
    assert funding("unfunded", date(2030, 3, 31), TODAY).label == "Funded until 31 Mar 2030"


@pytest.mark.parametrize(
    ("status", "state", "label"),
    [("funded", "funded", "Funded"), ("unfunded", "unfunded", "Runs without funding"),
     ("at-risk", "ending", "Funding at risk"),
     ("unknown", "unknown", "Funding unknown"), (None, "unknown", "Funding unknown"),
     ("time-limited", "funded", "Time-limited funding")],
)  # fmt: skip
def test_without_a_date_the_status_is_all_there_is(status: str | None, state: str, label: str) -> None:
    result = funding(status, None, TODAY)
    assert (result.state, result.label) == (state, label)
