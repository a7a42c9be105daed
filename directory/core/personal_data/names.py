"""People's names, with or without a title, in any case.

A word starts a name when it is a known first name that is not also an everyday word ("margaret",
"Priya"), or when something before it says a person is meant: a relation or role ("her son Jamal",
"wife Rose", "my client Dave"), a verb of talking ("spoke to grace"), a title ("Mrs T.", "mr o'brien"), or
"and" after a name ("ian and june"). The run then takes in what looks like the rest of the name: capitalised
words, single initials, and lower-case words that are known surnames. A run followed by a place or venue
word ("Stanley Park", "Victoria Hospital", "Grace Church") or after "St" / "Queen" is a place, not a person.
"""

from __future__ import annotations

import re

from .lexicon import (
    ACTION_VERBS,
    ADVERBS,
    CALENDAR,
    FUNCTION_WORDS,
    NAMED_ORGANISATIONS,
    NATIONALITIES,
    NOT_BEFORE_NAMES,
    PLACE_NAMES,
    RELATIONS,
    TALK_CUES,
    VENUE_WORDS,
    WORD_NAMES,
    census_first_names,
    census_surnames,
    fold,
    world_first_names,
)

Span = tuple[int, int, str]

_TOKEN = re.compile(r"[^\W\d_](?:[\w'’-]*[^\W\d_])?\.?|\d+|[^\w\s]")
_SENTENCE_END = {".", "!", "?", ":", ";", "\n"}
_SKIPPABLE = {"(", ",", "-", "–", '"', "“"}
# Venue words that are also common surnames (Hill, Green, Wood): a venue only when another venue word follows.
_SURNAME_LIKE_VENUES = {
    "hill", "green", "bank", "lane", "gate", "court", "view", "rise", "way", "close", "walker", "brook", "brooks",
    "house", "hall", "grange", "foster", "porter", "temple", "mason",
}  # fmt: skip
_STRONG_VENUES = VENUE_WORDS - _SURNAME_LIKE_VENUES
_BUILDINGS = {"house", "hall", "court", "lodge", "grange"}
_HOMES = {"house", "home", "flat", "room", "rooms", "garden", "gardens", "bungalow", "place"}
# After a possessive these are the person's, not a venue: "Joseph's support worker", "Ann's care package".
_OWNED = _HOMES | {
    "support",
    "care",
    "health",
    "medical",
    "carers",
    "team",
    "group",
    "groups",
    "services",
    "service",
    "advice",
    "aid",
    "line",
    "end",
    "top",
    "bottom",
    "community",
    "council",
}
# A name followed by these (after up to two more capitalised words) names an organisation, a show or a venue:
# "Andy's Man Club", "Mrs Brown's Boys", "Sir John Moore Learning Centre".
_ORG_ENDS = {
    "boys",
    "girls",
    "lads",
    "men",
    "women",
    "ladies",
    "club",
    "centre",
    "center",
    "academy",
    "trust",
    "foundation",
    "hall",
    "school",
    "college",
    "house",
    "society",
    "fund",
    "appeal",
    "award",
    "awards",
    "show",
    "project",
    "institute",
    "hospice",
    "library",
    "theatre",
    "building",
    "court",
    "unit",
    "choir",
    "band",
    "orchestra",
    "singers",
    "players",
    "fc",
    "united",
    "rovers",
}
# Words of a place name joined by hyphens: "Poulton-le-Fylde", "Stratford-upon-Avon", "Stockton-on-Tees".
_PLACE_JOINS = {"le", "la", "on", "upon", "in", "by", "under", "super", "sur", "en", "the", "de"}
# An initial and a known surname: "J. Whittaker", "K Ashworth", "w. hargreaves"; and "roberts, s.".
_INITIAL_SURNAME = re.compile(
    r"(?<![\w.'’@])(?:([A-HJ-Z])\.?|([a-z])\.)\s{1,2}([A-Za-z][a-z]+(?:[-'’][A-Za-z][a-z]+)?)(?![\w@])"
)
_SURNAME_INITIAL = re.compile(r"(?<![\w.'’@])([A-Za-z][a-z]+),\s+([A-Za-z])\.(?!\w)")
# A social media handle, unless the words before say it is an organisation's ("the club's instagram").
# Not before "(": "@SUM(A1)" is a spreadsheet formula pasted in, not a handle.
_HANDLE = re.compile(r"(?<![\w.@])@[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,28}[A-Za-z0-9_])?(?![\w@(])")
_ORG_BEFORE = re.compile(
    r"\b(?:club|group|charity|centre|center|trust|service|council|organisation|organization|shed|project|"
    r"foundation|society|team|page|church|library|cafe|café|hub)(?:'s|’s)?\b[^.;\n]{0,25}$",
    re.IGNORECASE,
)

_TITLE_ANY_CASE = r"(?i:mr|mrs|mx|cllr|councillor)|Ms|ms"  # not "MS": multiple sclerosis
_TITLE_CAPITAL = r"Miss|Dr|Prof|Rev|Revd|Sir|Dame|Lady|Lord|Master|Mister"
_NAME_WORD = r"(?i:mc|mac|o'|o’)?[A-Za-z][a-z]+(?:[-'’][A-Za-z][a-z]+)?"
_TITLE = re.compile(rf"(?<![\w])(?:{_TITLE_ANY_CASE}|{_TITLE_CAPITAL})\.?\s+")
_TITLED_NAME = re.compile(
    rf"(?:[A-Za-z]\.\s*|[A-Za-z]\s+(?=[A-Za-z]{{2}}))?{_NAME_WORD}(?:\s+{_NAME_WORD})?|[A-Z]\.|[A-Z](?![\w'])"
)
_NOT_SURNAMES = {
    "the", "a", "an", "and", "or", "of", "in", "on", "at", "to", "for", "with", "who", "chapel", "street", "road",
    "lane", "surgery", "practice", "appointment", "appointments", "out", "men", "universe", "world", "saigon",
    "is", "was", "has", "had", "said", "says", "will", "would", "can", "could", "did", "does", "from", "about",
}  # fmt: skip


def _key(word: str) -> str:
    """The lookup form: lower case, no possessive, no apostrophe ("O'Neill's" -> "oneill")."""
    word = word.lower().rstrip(".")
    for suffix in ("'s", "’s"):
        if word.endswith(suffix):
            word = word[: -len(suffix)]
    return word.replace("'", "").replace("’", "")


def _name_end(token: tuple[int, int, str]) -> int:
    start, end, word = token
    for suffix in ("'s", "’s"):
        if word.lower().endswith(suffix):
            return end - len(suffix)
    return end - 1 if word.endswith(".") and len(word) > 2 else end


_NOT_PLAIN = FUNCTION_WORDS | VENUE_WORDS | PLACE_NAMES | NATIONALITIES | CALENDAR | _ORG_ENDS


def _org_follows(rest: str) -> bool:
    """Up to two more capitalised words and then an organisation or venue word: "'s Man Club", " Learning Centre"."""
    words = rest.split(maxsplit=3)[:3]
    for word in words:
        if not word[:1].isupper():
            return False
        if _key(word.strip(",.;:")) in _ORG_ENDS:
            return True
    return False


def _titled(text: str) -> list[Span]:
    spans = []
    for title in _TITLE.finditer(text):  # each title in turn, so "mr and mrs Hargreaves" reaches "mrs"
        match = _TITLED_NAME.match(text, title.end())
        if match is None:
            continue
        parts = list(re.finditer(r"\S+", match[0]))
        words = [parts[0].group()]
        if _key(words[0]) in _NOT_SURNAMES or words[0][0].islower() and title[0][0].lower() not in "mc":
            continue
        if any(text[title.start() : match.end() + 2].lower().startswith(org) for org in NAMED_ORGANISATIONS):
            continue
        end = match.start() + parts[0].end()
        for part in parts[1:]:  # "Mrs Ellen Barker", "mrs j. smith"; not "Mrs T. says"
            word = part.group()
            if _key(word) in _NOT_SURNAMES or _key(word) in FUNCTION_WORDS:
                break
            if word[0].islower() and len(_key(words[-1])) != 1:  # lower case only after an initial: "mrs j. smith"
                break
            words.append(word)
            end = match.start() + part.end()
        rest = text[end:]
        possessive = rest[:2] in ("'s", "’s")
        following = rest[2 if possessive else 0 :].split(maxsplit=1)[:1]
        if any(_key(w) in _STRONG_VENUES for w in words[1:] + following):
            continue  # "Sir Lancelot pub", "Lady Margaret Hall", "Dr Ramsay's surgery"
        if _org_follows(rest[2 if possessive else 0 :]):
            continue  # "Mrs Brown's Boys", "Sir John Moore Learning Centre"
        if possessive and following and _key(following[0]) in VENUE_WORDS - _HOMES:
            continue  # "Lady Anne's Court"; but "Mrs Hay's house" is where she lives
        spans.append((title.start(), end, "name"))
    return spans


class _Scan:
    def __init__(self, text: str):
        self.text = text
        self.tokens = [(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(text)]
        self.first = census_first_names()
        self.world = world_first_names()
        self.surnames = census_surnames()

    def word(self, i: int) -> str:
        return self.tokens[i][2] if 0 <= i < len(self.tokens) else ""

    def is_word(self, i: int) -> bool:
        return bool(self.word(i)) and self.word(i)[0].isalpha()

    def previous_words(self, i: int, count: int) -> list[str]:
        """Up to ``count`` words before token i, skipping brackets and commas, stopping at a sentence end."""
        words: list[str] = []
        j = i - 1
        while j >= 0 and len(words) < count:
            word = self.word(j)
            if word in _SENTENCE_END:
                break
            if self.is_word(j):
                words.insert(0, _key(word))
            elif word not in _SKIPPABLE:
                break
            j -= 1
        return words

    def sentence_start(self, i: int) -> bool:
        return i == 0 or self.word(i - 1) in _SENTENCE_END or self.word(i - 1) in {'"', "“", "("} and i == 1

    def related(self, i: int) -> bool:
        """A relation or role right before: "her son Jamal", "wife Rose", "my client Dave"."""
        before = self.previous_words(i, 1)
        return bool(before) and before[-1] in RELATIONS

    def cued(self, i: int, names_before: set[int]) -> bool:
        """A relation, a verb of talking ("spoke to", "according to"), or "and" after a name ("ian and june")."""
        if self.related(i):
            return True
        before = self.previous_words(i, 4)
        joined = " ".join(before)
        if any(joined == cue or joined.endswith(" " + cue) for cue in TALK_CUES):
            return True
        return bool(before) and before[-1] in {"and", "&"} and (i - 2) in names_before

    def starts_name(self, i: int, names_before: set[int]) -> bool:
        word = self.word(i)
        key = _key(word)
        if not self.is_word(i) or len(key) < 2 or key in FUNCTION_WORDS and key not in self.first:
            return False
        if "-" in key and _PLACE_JOINS & set(key.split("-")) or key in NATIONALITIES:
            return False  # "Poulton-le-Fylde", "Irish dancing"
        if key in FUNCTION_WORDS and word.islower():
            return False  # "client in fy1": a lower-case everyday word is not a name, even when it can be one
        known, everyday = self.known(key)
        if not known and not word[0].isupper():
            return False  # most words: neither a known first name nor capitalised, so no cue can make a name
        before = self.previous_words(i, 1)
        if before and before[0] in NOT_BEFORE_NAMES:
            return False
        if self.cued(i, names_before):
            if known:
                return True
            acronym = len(word) > 1 and word.isupper()  # "call NHS 111", "rang PALS"
            if not word[0].isupper() or acronym or key in VENUE_WORDS or key in FUNCTION_WORDS or key in PLACE_NAMES:
                return False
            # After a relation any capitalised word is a name ("son Jamal"); after "spoke to" only a known
            # surname is ("spoke to Hughes", not "spoke to Healthwatch", "rang Mind").
            return self.related(i) or key in self.surnames
        if known and not everyday:
            return True
        if self.placed(i, known):
            return True
        # An everyday-word first name followed by a capitalised known surname: "Amber Hill", "Rose Ashworth"
        return (
            known and word[0].isupper() and self.surname_at(i + 1, capital_only=True)
            and _key(self.word(i + 1)) in self.surnames
        )  # fmt: skip

    def acts(self, j: int) -> bool:
        """Token j (after an adverb: "Declan now goes") is a verb of talking or doing: a person is meant."""
        if _key(self.word(j)) in ADVERBS:
            j += 1
        return _key(self.word(j)) in ACTION_VERBS or self.word(j) in {"and", "&"} and _key(self.word(j + 1)) in {
            "his", "her", "their"}  # fmt: skip

    def described(self, last: int) -> bool:
        """What follows a run says a person: a verb, "'s" and a relation, or a role in brackets ("(my client)")."""
        if self.acts(last + 1):
            return True
        if self.word(last).lower().endswith(("'s", "’s")):
            return _key(self.word(last + 1)) in RELATIONS | _OWNED | {"support", "worker", "mum", "dad"}
        if self.word(last + 1) == "(":
            inside = [_key(self.word(j)) for j in (last + 2, last + 3)]
            return inside[0] in RELATIONS or inside[0] in {"my", "her", "his", "our"} and inside[1] in RELATIONS
        return False

    def plain_capital(self, j: int) -> bool:
        """A capitalised word that is not an acronym, a function, venue or place word, or a nationality."""
        word, key = self.word(j), _key(self.word(j))
        return (
            self.is_word(j) and word[0].isupper() and not (len(word) > 1 and word.isupper())
            and not {key, fold(key)} & _NOT_PLAIN
            and not any(p in VENUE_WORDS or p in _PLACE_JOINS for p in key.split("-"))
        )  # fmt: skip

    def placed(self, i: int, known: bool) -> bool:
        """A name told by what is around it rather than by a cue before it.

        A capitalised given name (the census or the international list, accents folded) followed by a verb,
        a possessive or a role in brackets ("Hope said", "Stanisław asked", "Dawid (my client)"); an
        international given name with a capitalised surname ("Colm Fitzgerald"); at the start of a sentence
        any two capitalised words followed by a verb ("Ngozi Okonkwo-Smith has stopped"); a lower-case known
        first name and surname followed by a verb ("jan kowalski wants"); an everyday-word name joined by
        "and" to a given name ("Bill and Mavis").
        """
        word, key = self.word(i), fold(_key(self.word(i)))
        if not self.plain_capital(i):
            lower_pair = (
                known and word.islower() and key not in FUNCTION_WORDS | WORD_NAMES and self.is_word(i + 1)
                and self.word(i + 1).islower() and _key(self.word(i + 1)) in self.surnames
                and self.surname_at(i + 1) and self.acts(i + 2)
            )  # fmt: skip
            return lower_pair
        given = key in self.first or key in self.world
        last = i + 1 if self.plain_capital(i + 1) and not self.word(i).lower().endswith(("'s", "’s")) else i
        if given and self.described(last):
            return True
        if given and key not in WORD_NAMES and last > i:
            return True
        if last > i and self.sentence_start(i) and self.described(last):
            return True
        nxt = self.word(i + 2)
        return (
            given and self.word(i + 1) in {"and", "&"} and self.plain_capital(i + 2)
            and fold(_key(nxt)) in self.first and fold(_key(nxt)) not in WORD_NAMES
        )  # fmt: skip

    def known(self, key: str) -> tuple[bool, bool]:
        """Whether ``key`` is a first name, and whether it is also an everyday word or place."""
        parts = [key] if "-" not in key else [p for p in key.split("-") if p]
        known = [p for p in parts if p in self.first]
        everyday = all(p in WORD_NAMES or p in PLACE_NAMES for p in known)
        return bool(known), everyday

    def surname_at(self, i: int, *, capital_only: bool = False) -> bool:
        if not self.is_word(i):
            return False
        word, key = self.word(i), _key(self.word(i))
        if key in FUNCTION_WORDS or key in _STRONG_VENUES:
            return False
        if word[0].isupper():
            return not (key in _SURNAME_LIKE_VENUES and _key(self.word(i + 1)) in VENUE_WORDS)
        if capital_only:
            return False
        return len(key) == 1 or (key in self.surnames and key not in WORD_NAMES)

    def run_end(self, i: int) -> int:
        """The last token of the name starting at token i (up to two more words)."""
        last = i
        for j in (i + 1, i + 2):
            if j - last == 1 and self.surname_at(j) and not self.word(last).lower().endswith(("'s", "’s")):
                last = j
            else:
                break
        return last

    def spans(self) -> list[Span]:
        found: list[Span] = []
        names_at: set[int] = set()
        i = 0
        while i < len(self.tokens):
            if self.starts_name(i, names_at):
                last = self.run_end(i)
                if any(self.text[self.tokens[i][0] :].lower().startswith(org) for org in NAMED_ORGANISATIONS):
                    i = last + 1  # "Marie Curie nurses", "Sue Ryder shop"
                    continue
                after = self.word(last + 1)
                venue = _key(after) in _STRONG_VENUES or after[:1].isupper() and _key(after) in VENUE_WORDS
                if self.word(last).lower().endswith(("'s", "’s")) and _key(after) in _OWNED:
                    venue = False  # "Joseph Mwangi's support worker": his, not a place
                venue = venue or _org_follows(self.text[self.tokens[last][1] :])
                # "Brian House", "Jean Hall": a building named after someone, unless a cue says a person
                venue = venue or (last > i and _key(self.word(last)) in _BUILDINGS and not self.cued(i, names_at))
                if not venue:
                    found.append((self.tokens[i][0], _name_end(self.tokens[last]), "name"))
                    names_at.add(last)
                i = last + 1
            else:
                i += 1
        return found


def _surname(word: str) -> bool:
    key = _key(word)
    return (
        key in census_surnames() and key not in FUNCTION_WORDS and key not in VENUE_WORDS
        and key not in PLACE_NAMES and (word[0].isupper() or key not in WORD_NAMES)
    )  # fmt: skip


def _initialled(text: str) -> list[Span]:
    """An initial with a known surname; a capital "A" only mid-sentence, where it is not the article."""
    spans = []
    for match in _INITIAL_SURNAME.finditer(text):
        capital, lower, word = match[1], match[2], match[3]
        if capital and not word[0].isupper() or lower and word[0].isupper() or not _surname(word):
            continue
        if capital == "A" and (match.start() == 0 or text[: match.start()].rstrip()[-1:] in {".", "!", "?", ":", ""}):
            continue
        spans.append((match.start(), match.end(), "name"))
    spans.extend((m.start(), m.end(), "name") for m in _SURNAME_INITIAL.finditer(text) if _surname(m[1]))
    return spans


def _handles(text: str) -> list[Span]:
    return [
        (m.start(), m.end(), "name") for m in _HANDLE.finditer(text)
        if not _ORG_BEFORE.search(text[max(0, m.start() - 40) : m.start()])
    ]  # fmt: skip


def name_spans(text: str) -> list[Span]:
    """Names in ``text``: titled ones first, then untitled runs (overlaps are settled by the guard)."""
    return _titled(text) + _initialled(text) + _handles(text) + _Scan(text).spans()
