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
from collections.abc import Iterable
from dataclasses import dataclass

YEARLY_CHANGE = 0.5
NEVER_CHECKED = 0.5
# Odds multiplier for one piece of open evidence of each kind.
LIKELIHOOD_RATIO = {
    "group-stopped": 50.0,  # the group itself says so; wrong only by mistake
    "reported-stopped": 8.0,  # a link worker noticed; each independent report counts again
    "details-wrong": 6.0,
    "funding-ended": 2.5,
    "website-failed": 2.0,
    "no-future-events": 2.0,
    "source-removed": 3.0,  # the publisher dropped it: often closed, sometimes a feed's mistake
    "no-reply": 1.0,  # counted as unanswered reminders instead
    "no-email": 1.0,  # no evidence either way: it cannot be asked by email
}
UNANSWERED_RATIO = 1.5

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


def wrong_probability(
    days_since_check: int | None, evidence: Iterable[tuple[str, str]], unanswered_reminders: int
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
    seen = set()
    for reason, reporter in evidence:
        if (reason, reporter) in seen:
            continue
        seen.add((reason, reporter))
        odds *= LIKELIHOOD_RATIO.get(reason, 1.0)
    counted: dict[str, int] = {}
    for reason, _ in seen:
        counted[reason] = counted.get(reason, 0) + 1
    why += [f"{reason} ×{n}" if n > 1 else reason for reason, n in sorted(counted.items())]
    if unanswered_reminders:
        odds *= UNANSWERED_RATIO**unanswered_reminders
        why.append(f"{unanswered_reminders} reminder{'s' if unanswered_reminders != 1 else ''} unanswered")
    return Likelihood(odds / (1 + odds), why)


def questions(reasons: Iterable[str]) -> list[str]:
    """The questions to ask on the phone for this evidence, without repeats."""
    asked: list[str] = []
    for reason in reasons:
        for question in QUESTIONS.get(reason, []):
            if question not in asked:
                asked.append(question)
    return asked + ALWAYS_ASK
