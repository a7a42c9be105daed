"""How likely a listing is to be wrong, from the kind, number and age of the evidence about it.

A listing starts from the chance that something about it changed since it was last checked (about half of
listings close, pause or change a detail within a year: ``YEARLY_CHANGE``), then each piece of open evidence
multiplies the odds by how much more often it is seen for a wrong listing than for a right one (its likelihood
ratio). A running group answers a reminder about a third of the time and a closed one almost never, so each
unanswered reminder since the last check multiplies the odds by about 1 / (1 − 1/3) = 1.5.

These ratios are stated, not fitted: change them here, and ``docs/freshness.md`` says where each comes from.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

YEARLY_CHANGE = 0.5
NEVER_CHECKED = 0.5
# Odds multiplier for one piece of open evidence of each kind.
LIKELIHOOD_RATIO = {
    "group-stopped": 50.0,  # the group itself says so; wrong only by mistake
    "reported-stopped": 8.0,  # a link worker noticed; each independent report counts again (the first: see RATES)
    "details-wrong": 6.0,
    "funding-ended": 1.0,  # not a ratio: it sets the chance of a closure itself (FUNDING_END_CLOSES)
    "website-failed": 2.0,
    "no-future-events": 2.0,
    "source-removed": 3.0,  # the publisher dropped it: often closed, sometimes a feed's mistake
    "no-reply": 1.0,  # counted as unanswered reminders instead
    "no-email": 1.0,  # no evidence either way: it cannot be asked by email
}
UNANSWERED_RATIO = 1.5
# Evidence that sets the chance of a closure itself, however recently the listing was checked: a group whose funding
# ended has closed about this often, and a link worker's closure report (one person's) is right about this often.
# ``likelihood.py`` measures both from staff's outcomes for those follow-ups, starting from these; each further
# independent report still multiplies the odds by its ratio.
RATES = {"funding-ended": 0.3, "reported-stopped": 0.7}

# Whether a listing has closed (what decides that it sinks or leaves search) is a narrower question than whether
# something about it is wrong: about a fifth of groups close in a year, so a listing starts from that.
YEARLY_CLOSE = 0.2
# Odds multiplier for closure, by evidence; details reported wrong say nothing about closure.
CLOSURE_RATIO = {**LIKELIHOOD_RATIO, "details-wrong": 1.0}
# Signs of life since the last check. A link worker who records a wait heard from the group (or from the person
# they sent) has as good as seen it running. A person signposted to a closed group usually comes back to say so
# (their link worker reports it), so each signposting not followed by a report makes a closure less likely; they
# count at most SIGNPOSTINGS_COUNTED times, because the same silence repeated is not new evidence.
WAIT_HEARD_RATIO = 0.25
SIGNPOSTED_RATIO = 0.7
SIGNPOSTINGS_COUNTED = 3

# What to ask on the phone, by the evidence that brought the listing to the queue.
QUESTIONS = {
    "group-stopped": ["Has the group stopped for good, or paused? If paused, until when?"],
    "reported-stopped": ["Is it still running? When was the last session, and when is the next?"],
    "details-wrong": ["Are the times, place and contact details in the listing right?"],
    "funding-ended": ["Is the funding renewed, or is it carrying on without it? Until when?"],
    "website-failed": ["Has the website moved? What is the address now?"],
    "no-future-events": ["When are the next sessions?"],
    "source-removed": ["Is it still running? The directory it came from no longer lists it."],
    "no-reply": ["Is it still running?", "Who should our reminders go to (email)?"],
    "no-email": ["Is it still running?", "Is there an email address we may use for reminders?"],
}
ALWAYS_ASK = ["What is the wait for a new person now? Are you taking new referrals?"]


@dataclass(frozen=True)
class Likelihood:
    probability: float
    why: list[str]


def unanswered_ratio(reply_rate: float) -> float:
    """How much likelier a closure is after one more reminder goes unanswered: a closed group almost never answers,
    a running one answers with ``reply_rate`` (so 1 / (1 − rate); a third gives 1.5)."""
    return 1 / (1 - min(max(reply_rate, 0.0), 0.9))


def wrong_probability(
    days_since_check: int | None,
    evidence: Iterable[tuple[str, str]],
    unanswered_reminders: int,
    ratio: float = UNANSWERED_RATIO,
    rates: Mapping[str, float] = RATES,
) -> Likelihood:
    """P(the listing is wrong) from its age and open evidence ((reason, reported_by) pairs; a reason counts once
    per distinct reporter) and the reminders sent since its last check."""
    if days_since_check is None:
        prior, why = NEVER_CHECKED, ["never checked"]
    else:
        prior = 1 - math.exp(-max(days_since_check, 0) / 365 * -math.log(1 - YEARLY_CHANGE))
        why = [f"checked {days_since_check} days ago"]
    prior = min(max(prior, 0.01), 0.99)
    odds = prior / (1 - prior)
    seen = set(evidence)
    odds = _with_evidence(odds, seen, LIKELIHOOD_RATIO, rates)
    counted: dict[str, int] = {}
    for reason, _ in seen:
        counted[reason] = counted.get(reason, 0) + 1
    why += [f"{reason} ×{n}" if n > 1 else reason for reason, n in sorted(counted.items())]
    if unanswered_reminders:
        odds *= ratio**unanswered_reminders
        why.append(f"{unanswered_reminders} reminder{'s' if unanswered_reminders != 1 else ''} unanswered")
    return Likelihood(odds / (1 + odds), why)


def _with_evidence(
    odds: float, evidence: set[tuple[str, str]], ratios: Mapping[str, float], rates: Mapping[str, float]
) -> float:
    """Odds after the evidence, each (reason, reporter) once: a kind with a measured rate sets the odds to at least
    that rate's (its first piece), and every other piece multiplies them by its ratio."""
    reasons = [reason for reason, _ in evidence]
    for reason, rate in rates.items():
        if reason in reasons:
            odds = max(odds, rate / (1 - rate))
            reasons.remove(reason)
    for reason in reasons:
        odds *= ratios.get(reason, 1.0)
    return odds


def _prior(days_since_check: int | None, yearly: float) -> float:
    if days_since_check is None:
        return NEVER_CHECKED
    prior = 1 - math.exp(-max(days_since_check, 0) / 365 * -math.log(1 - yearly))
    return min(max(prior, 0.01), 0.99)


def closed_probability(
    days_since_check: int | None,
    evidence: Iterable[tuple[str, str]],
    unanswered_reminders: int,
    *,
    waits_heard: int = 0,
    signposted: int = 0,
    unanswered_ratio: float = UNANSWERED_RATIO,
    rates: Mapping[str, float] = RATES,
    yearly_close: float = YEARLY_CLOSE,
) -> float:
    """P(the listing has closed) from the same evidence as :func:`wrong_probability`, starting from the yearly
    closure rate (measured: ``likelihood.closure_rate``), less likely with each sign of life since the last check
    (waits heard, signpostings with no report after them)."""
    odds = _prior(days_since_check, yearly_close)
    odds /= 1 - odds
    odds = _with_evidence(odds, set(evidence), CLOSURE_RATIO, rates)
    odds *= unanswered_ratio**unanswered_reminders
    odds *= WAIT_HEARD_RATIO**waits_heard * SIGNPOSTED_RATIO ** min(signposted, SIGNPOSTINGS_COUNTED)
    return odds / (1 + odds)


def questions(reasons: Iterable[str]) -> list[str]:
    """The questions to ask on the phone for this evidence, without repeats."""
    asked: list[str] = []
    for reason in reasons:
        for question in QUESTIONS.get(reason, []):
            if question not in asked:
                asked.append(question)
    return asked + ALWAYS_ASK
