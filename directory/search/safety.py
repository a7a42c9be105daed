"""Queries that signal risk (suicide, self-harm, abuse, crisis) always bring national crisis lines first.

Deliberately code, not admin-editable data: an edit must never be able to switch a crisis line off. The
words are matched on stems, in any order, with spelling put right first ("sucidal" is read as "suicidal").
Numbers checked against each service's own published details (Samaritans, NHS England's 111 mental
health option, Refuge's National Domestic Abuse Helpline, Shout, Childline), December 2026.
"""

from __future__ import annotations

from dataclasses import dataclass

from .words import stem


@dataclass(frozen=True)
class CrisisLine:
    name: str
    how: str  # the number to ring or text, as a person would say it
    tel: str  # for a tel: or sms: link
    when: str
    for_what: str
    sms: bool = False


SAMARITANS = CrisisLine("Samaritans", "116 123", "116123", "Free, any time, day or night",
                        "Anyone struggling to cope or thinking about suicide")  # fmt: skip
NHS_111 = CrisisLine("NHS 111, option 2", "111, then option 2", "111", "Free, any time",
                     "An urgent mental health crisis (NHS mental health crisis line)")  # fmt: skip
EMERGENCY = CrisisLine("Emergency services", "999", "999", "Any time",
                       "Someone is in immediate danger or has harmed themselves")  # fmt: skip
DOMESTIC_ABUSE = CrisisLine("National Domestic Abuse Helpline (Refuge)", "0808 2000 247", "08082000247",
                            "Free, any time, day or night", "Anyone experiencing domestic abuse")  # fmt: skip
SHOUT = CrisisLine("Shout", "text SHOUT to 85258", "85258", "Free text service, any time",
                   "Anyone in crisis who would rather text than talk", sms=True)  # fmt: skip
CHILDLINE = CrisisLine("Childline", "0800 1111", "08001111", "Free, any time", "Children and young people up to 19")

# kind -> (phrases whose words must all appear, the needs whose local services come first, the lines)
_RISKS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[CrisisLine, ...]]] = {
    "suicide": (
        (
            "suicide",
            "suicidal",
            "kill myself",
            "killing myself",
            "end my life",
            "ending my life",
            "end it all",
            "want to die",
            "wanting to die",
            "better off dead",
            "take my own life",
            "not want to live",
            "don't want to be here",
            "no reason to live",
            "overdose",
            "hang myself",
        ),
        ("mental-health",),
        (SAMARITANS, NHS_111, SHOUT, EMERGENCY),
    ),
    "self-harm": (
        (
            "self harm",
            "self-harm",
            "selfharm",
            "harming myself",
            "hurting myself",
            "hurt myself",
            "cutting myself",
            "cut myself",
            "burning myself",
        ),
        ("mental-health",),
        (SAMARITANS, NHS_111, SHOUT, EMERGENCY),
    ),
    "abuse": (
        (
            "abuse",
            "abused",
            "abusive",
            "domestic violence",
            "partner hits",
            "husband hits",
            "wife hits",
            "boyfriend hits",
            "girlfriend hits",
            "hits me",
            "hit me",
            "beats me",
            "beaten",
            "violent partner",
            "violent husband",
            "coercive",
            "controlling partner",
            "controlling husband",
            "scared of my partner",
            "scared of my husband",
            "afraid of my partner",
            "afraid of my husband",
            "threatens me",
            "threatening me",
            "rape",
            "raped",
            "sexual assault",
            "stalked",
            "stalking",
            "forced marriage",
            "honour based violence",
        ),
        ("domestic-abuse",),
        (DOMESTIC_ABUSE, EMERGENCY, SAMARITANS),
    ),
    "crisis": (
        (
            "crisis",
            "breakdown",
            "in danger",
            "not safe at home",
            "can't cope",
            "cannot cope",
            "psychosis",
            "hearing voices",
        ),
        ("mental-health",),
        (NHS_111, SAMARITANS, SHOUT, EMERGENCY),
    ),
}
# "alcohol abuse" is not domestic abuse: the bare word counts only without these beside it.
_SUBSTANCES = frozenset(stem(w) for w in ("alcohol", "drug", "drugs", "substance", "drink", "drinking", "solvent"))
_BARE_ABUSE = frozenset(stem(w) for w in ("abuse", "abused", "abusive"))
_CHILD_WORDS = frozenset(stem(w) for w in ("child", "children", "kid", "teen", "teenager", "school", "young"))


@dataclass(frozen=True)
class Risk:
    kinds: tuple[str, ...]
    needs: tuple[str, ...]
    lines: tuple[CrisisLine, ...]


def _patterns() -> dict[str, tuple[list[frozenset[str]], tuple[str, ...], tuple[CrisisLine, ...]]]:
    compiled = {}
    for kind, (phrases, needs, lines) in _RISKS.items():
        # Risk words keep the little words that carry the meaning ("end it all", "hit me").
        sets = [frozenset(stem(w) for w in p.replace("-", " ").replace("'", "").split()) for p in phrases]
        compiled[kind] = (sets, needs, lines)
    return compiled


_PATTERNS = _patterns()


def risk_in(text: str, corrections: tuple[tuple[str, str], ...] = ()) -> Risk | None:
    """The risks a query signals, with the needs to put first and the crisis lines to show; None if none."""
    raw = text.lower().replace("’", "'").replace("-", " ").replace("'", "")
    words = "".join(c if c.isalnum() else " " for c in raw).split()
    stems = {stem(w) for w in words} | {stem(fixed) for _typed, fixed in corrections}
    kinds: list[str] = []
    needs: dict[str, None] = {}
    lines: dict[CrisisLine, None] = {}
    for kind, (sets, kind_needs, kind_lines) in _PATTERNS.items():
        hits = [s for s in sets if s <= stems]
        if kind == "abuse" and stems & _SUBSTANCES:
            hits = [s for s in hits if not s <= _BARE_ABUSE]
        if hits:
            kinds.append(kind)
            needs.update(dict.fromkeys(kind_needs))
            lines.update(dict.fromkeys(kind_lines))
    if not kinds:
        return None
    if stems & _CHILD_WORDS:
        lines[CHILDLINE] = None
    return Risk(tuple(kinds), tuple(needs), tuple(lines))
