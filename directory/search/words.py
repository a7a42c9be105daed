"""What a link worker typed, understood: content words, spelling put right, and the needs it names.

"my mum has dementia", "can't pay the rent", "looking after my husband": people type a client's own
words, not a directory's. The words are stemmed (Snowball English) and stripped of little words; a
word the directory does not know is matched to the nearest one it does (edit distance on its own
vocabulary: synonyms, everyday phrases and the needs' names and descriptions); and every everyday
phrase whose words all appear (in any order, with others between) adds the needs and service words
it stands for. Nothing here touches the listings: the engine turns the result into a query.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import snowballstemmer
from rapidfuzz import process
from rapidfuzz.distance import OSA

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that carry no need of their own: a listing need not contain them, and they are never corrected.
STOP_WORDS = _word_set(
    """
    a about after again all also am an and any are as at be been being but by can can't cannot could did
    didn't do does doesn't doing don't for from get gets getting got had has hasn't have haven't having he her
    here hers herself him himself his how i i'm i've if in into is isn't it it's its just keep keeps let like
    lot lots me more most much my myself need needs needed near nearby no nor not now of off on once only or
    other our ours out over really she should so some someone something somewhere such than that the their
    them then there these they this those through to too under until up us very want wants wanted was wasn't
    way we were what when where which while who whom why will with won't would you your yours yourself please
    thing things anything everything everyone anyone any local around since still always never ever every all
    """
)
# Words that appear in nearly every listing's text ("group", "support"): matched, but never on their own
# when a query has words that say more.
WEAK_WORDS = _word_set(
    """
    help helps helping support supports group groups service services club clubs advice people person somebody
    session sessions person's find finding looking look
    """
)
# Words for who a client is to someone ("my dad", "her husband"): they say whose problem it is, not what it is.
# Beside words that name a need, "my dad keeps forgetting things" is about memory, not a dads' group, so a
# phrase made only of these names its need at RELATION_SHARE of its weight and they are not searched as text.
RELATION_WORDS = _word_set(
    """
    mum mums mam mom mother mummy dad dads father daddy parent parents husband wife partner boyfriend girlfriend
    fiance fiancee son sons daughter daughters kid kids child children brother sister nan nana nanna gran granny
    grandma grandad grandpa grandmother grandfather grandson granddaughter grandchild grandchildren friend
    friends mate mates family relative relatives uncle aunt auntie niece nephew neighbour ex
    """
)
RELATION_SHARE = 0.3
_STEM = snowballstemmer.stemmer("english")


def words_of(text: str) -> list[str]:
    """Lower-case words, apostrophes kept inside ("men's", "can't"); curly quotes straightened."""
    return _WORD.findall((text or "").lower().replace("’", "'").replace("‘", "'"))


@lru_cache(maxsize=20_000)
def stem(word: str) -> str:
    """The Snowball English stem of one word ("walking" -> "walk"), a possessive dropped first."""
    if word.endswith("'s"):
        word = word[:-2]
    return str(_STEM.stemWord(word.replace("'", "")))


def content_stems(text: str) -> tuple[str, ...]:
    return tuple(stem(w) for w in words_of(text) if w not in STOP_WORDS)


@dataclass(frozen=True)
class Entry:
    """One everyday phrase: the stems that must all appear, the needs it names and the words it adds."""

    phrase: str
    stems: frozenset[str]
    needs: tuple[str, ...]
    words: tuple[str, ...]


@dataclass(frozen=True)
class Lexicon:
    """The directory's own vocabulary, built from the synonym table and the needs (kept per process)."""

    entries: tuple[Entry, ...]
    by_stem: Mapping[str, tuple[int, ...]]  # stem -> indexes of entries containing it
    known: frozenset[str]  # every word the directory knows, for spelling
    known_stems: frozenset[str]
    spelling: tuple[str, ...]  # known words long enough to correct towards


def build_lexicon(entries: Iterable[tuple[str, Iterable[str], Iterable[str]]], extra_text: Iterable[str]) -> Lexicon:
    """Entries are (phrase, needs, words); extra_text adds known words (needs' names and descriptions)."""
    built: list[Entry] = []
    known: set[str] = set()
    for phrase, needs, words in entries:
        stems = frozenset(content_stems(phrase))
        words = tuple(words)
        known.update(words_of(phrase))
        for w in words:
            known.update(words_of(w))
        if stems:
            built.append(Entry(phrase, stems, tuple(needs), words))
    for text in extra_text:
        known.update(words_of(text))
    by_stem: dict[str, list[int]] = {}
    for index, entry in enumerate(built):
        for s in entry.stems:
            by_stem.setdefault(s, []).append(index)
    known -= STOP_WORDS
    spelling = tuple(sorted(w for w in known if len(w) >= 4 and "'" not in w))
    return Lexicon(
        tuple(built),
        {s: tuple(ix) for s, ix in by_stem.items()},
        frozenset(known),
        frozenset(stem(w) for w in known),
        spelling,
    )


@dataclass(frozen=True)
class Understanding:
    """A query's meaning: the typed terms (each with what else it may be), the needs, and the words added."""

    typed: str
    terms: tuple[tuple[str, ...], ...]  # one group per typed content word: the word first, then corrections
    corrections: tuple[tuple[str, str], ...] = ()  # (typed, read as)
    phrases: tuple[str, ...] = ()  # everyday phrases recognised
    needs: tuple[str, ...] = ()
    added: tuple[str, ...] = ()  # service words the phrases stand for
    # need -> how specific the longest phrase naming it is (1.0: as long as the longest phrase recognised), so
    # "lost my mum" names bereavement more than "mum" names parenting
    weights: Mapping[str, float] = field(default_factory=dict)
    weak: frozenset[str] = field(default_factory=frozenset)

    @property
    def empty(self) -> bool:
        return not self.terms and not self.needs and not self.added


def _allowed_edits(word: str) -> int:
    return 0 if len(word) < 5 else 1 if len(word) < 7 else 2


def correct(word: str, lexicon: Lexicon, in_listings: Callable[[str], bool] | None = None) -> str | None:
    """The nearest known word to one the directory does not know, or None (known, too short, too far, or a
    word some listing uses: "form" is not a misspelling of "farm")."""
    if word in lexicon.known or stem(word) in lexicon.known_stems or "'" in word or word.isdigit():
        return None
    if in_listings is not None and in_listings(word):
        return None
    edits = _allowed_edits(word)
    if not edits:
        return None
    best = process.extractOne(word, lexicon.spelling, scorer=OSA.distance, score_cutoff=edits)
    if best is None:
        return None
    return str(best[0])


def understand(text: str, lexicon: Lexicon, in_listings: Callable[[str], bool] | None = None) -> Understanding:
    """Read a query: content words (with spelling put right) and the everyday phrases it contains.
    ``in_listings(word)`` says whether any listing uses a word, so that it is not corrected."""
    # Words in quotes are wanted exactly, together: a phrase, neither corrected nor read for needs.
    quoted = [" ".join(words_of(q)) for q in re.findall(r'"([^"]*)"', text or "")]
    quoted = [q for q in quoted if q]
    rest = re.sub(r'"[^"]*"', " ", text or "") if quoted else text
    typed = [w for w in words_of(rest) if w not in STOP_WORDS][:12]
    groups: list[tuple[str, ...]] = [(q,) for q in quoted]
    corrections: list[tuple[str, str]] = []
    stems: set[str] = set()
    for word in dict.fromkeys(typed):
        fixed = correct(word, lexicon, in_listings)
        if fixed is not None:
            corrections.append((word, fixed))
            groups.append((word, fixed))
            stems.add(stem(fixed))
        else:
            groups.append((word,))
        stems.add(stem(word))
    matched = _phrases(stems, lexicon) if stems else []
    longest = max((len(e.stems) for e in matched), default=1)
    relations = _relation_stems()
    # Who it is about matters only when nothing else names a need ("single dad" is about dads).
    about_someone = any(e.needs and not e.stems <= relations for e in matched)
    weights: dict[str, float] = {}
    for e in sorted(matched, key=lambda e: -len(e.stems)):
        share = RELATION_SHARE if about_someone and e.stems <= relations else 1.0
        for n in e.needs:
            weights[n] = max(weights.get(n, 0.0), share * len(e.stems) / longest)
    needs = tuple(sorted(weights, key=lambda n: -weights[n]))
    # Service words come from plain synonym phrases ("low mood"); a phrase that names needs brings the needs.
    added = tuple(dict.fromkeys(w for e in matched if not e.needs for w in e.words))
    weak = frozenset(g[0] for g in groups if g[0] in WEAK_WORDS)
    # "support group" alone is searched as typed; beside words that say more, the weak words are dropped.
    if weak and len(weak) < len(groups) or (weak and (needs or added)):
        groups = [g for g in groups if g[0] not in weak]
    if about_someone:  # searched as text only where a phrase about more than who uses it ("single dad")
        kept = {s for e in matched if e.needs and not e.stems <= relations for s in e.stems}
        groups = [g for g in groups if stem(g[0]) not in relations - kept]
    return Understanding(
        text, tuple(groups), tuple(corrections), tuple(e.phrase for e in matched), needs, added, weights, weak
    )


@lru_cache(maxsize=1)
def _relation_stems() -> frozenset[str]:
    return frozenset(stem(w) for w in RELATION_WORDS)


def _phrases(stems: set[str], lexicon: Lexicon) -> list[Entry]:
    """Entries whose every stem is in the query; one contained in a longer match is left out."""
    seen: set[int] = set()
    for s in stems:
        seen.update(lexicon.by_stem.get(s, ()))
    matched = [lexicon.entries[i] for i in sorted(seen) if lexicon.entries[i].stems <= stems]
    return [e for e in matched if not any(e.stems < other.stems and e.needs == other.needs for other in matched)]
