"""Home addresses without a postcode, and details that together point at one person.

A house number and a street ("9 Hollin Hill", "22a Bond Street"), a flat ("flat 4, Warwick House"), "at
number 14" or "her flat on Coronation Street" are a home address. The same shape is a venue when the words
around it say so: "meets at 12 Church Street community centre", "starts from 3 Lytham Road car park". Words
that say a home is meant ("lives at", "her flat", "client's address") win over venue words.

An exact age with a condition or a small area ("84 year old with dementia on the Mereside estate") can
identify someone in a small place even without a name; the age is the part to take out.
"""

from __future__ import annotations

import re

from .lexicon import FUNCTION_WORDS

Span = tuple[int, int, str]

_STREETS = (
    r"Road|Rd|Street|St|Lane|Ln|Avenue|Ave|Close|Drive|Dr|Way|Crescent|Cres|Grove|Gardens|Court|Ct|Terrace|"
    r"Place|Pl|Walk|Rise|View|Park|Mews|Row|Square|Sq|Hill|Green|Parade|Promenade|Prom|Vale|Croft|Fold|Brow|"
    r"Gate|Bank|Meadows?|Boulevard|Wynd|Chase|Heights|Glade|Dene|Side|Brook|Fields?|End|Villas|Cottages"
)
_HOUSE = re.compile(rf"(?<![\w/.:-])(\d{{1,4}}[A-Za-z]?),?\s+((?:[A-Za-z][\w'’-]*\s+){{0,3}}(?:{_STREETS}))\b",
                    re.IGNORECASE)  # fmt: skip
_FLAT = re.compile(
    r"(?<!\w)(?:flat|apartment|apt|bedsit)\s+\d{1,4}[A-Za-z]?\b(?:,?\s+(?:\d{1,4}[A-Za-z]?\s+)?"
    r"(?:[A-Z][\w'’-]*\s+){0,2}(?:House|Court|Lodge|Mansions|Tower|Heights|Point|Block|Building|Road|Street|"
    r"Lane|Avenue|Close|Drive|Way|Crescent|Grove|Gardens|Terrace|Place|Walk|Park|Mews|Square|Hill))?",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"(?<=\bat )number \d{1,4}[a-z]?\b|(?<=\bat no\. )\d{1,4}\b", re.IGNORECASE)
_HOME_ON = re.compile(
    rf"\b(?:her|his|their|my|client's|clients'|the client's)\s+(?:flat|house|home|bungalow|maisonette|room)\s+"
    rf"(?:on|in|at)\s+(?:[A-Z][\w'’-]*\s+){{1,3}}?(?:{_STREETS})\b"
)
_HOME_CUE = re.compile(
    r"\b(?:lives?|living|live[sd]?|lived|stays|staying|moved|moving|address|addr|home|house|flat|resides|"
    r"residing|at home|visit(?:ed)?|see (?:her|him|them) at)\b[^.;]{0,20}$",
    re.IGNORECASE,
)
_VENUE_BEFORE = re.compile(
    r"\b(?:meets?|meeting|met|held|runs?|running|based|starts?|starting|hosted|opens?|located|venue|moved"
    r" to|relocated|takes place|now at|sessions?|group|class(?:es)?|club|hub|café|cafe|centre|center|hall|church|"
    r"chapel|library|surgery|clinic|school|office|trust|charity)\b[^.;]{0,25}$",
    re.IGNORECASE,
)
_VENUE_AFTER = re.compile(
    r"^[\s,]*(?:\w+\s+){0,2}?(?:community|centre|center|hall|church|chapel|library|surgery|clinic|hub|car park|"
    r"park gates|school|club|caf[eé]|mosque|temple|hospital|health|leisure|offices?|building|room|"
    r"upstairs|downstairs|entrance|outside|opposite|tourist|shop|pub|venue|unit)\b",
    re.IGNORECASE,
)
_UNITS = {"weeks", "week", "days", "day", "months", "month", "years", "year", "hours", "hour", "minutes", "mins",
          "people", "places", "spaces", "miles", "km", "times", "sessions", "clients", "pm", "am", "percent",
          "pounds", "children", "adults", "members", "volunteers", "of"}  # fmt: skip

_AGE = re.compile(
    r"(?<![\w-])(?:aged\s+\d{1,3}|age\s+\d{1,3}|\d{1,3}\s*(?:-\s*|\s)?(?:year|yr)s?(?:\s*-\s*|\s+)old|"
    r"\d{1,3}\s*y/?o\b|(?<=\bis )\d{1,3}(?![\d:.]|\s*(?:weeks|days|months|minutes|hours|%|mins|miles|pm|am))|"
    r"(?<=, )\d{1,3}(?=,)|(?<=\()\d{1,3}(?=,))",
    re.IGNORECASE,
)
_AGE_RANGE = re.compile(r"\s*(?:(?:-|–|to|and|or)\s*\d|\+|plus\b)", re.IGNORECASE)  # "aged 55+": a band
_CONDITIONS = re.compile(
    r"\b(?:dementia|alzheimer'?s|parkinson'?s|\bms\b|mnd|motor neurone|copd|stroke|cancer|blind|sight loss|"
    r"partially sighted|macular|deaf|hearing loss|wheelchair|amputee|diabetes|diabetic|epilepsy|autism|autistic|"
    r"adhd|bipolar|schizophreni\w*|psychosis|ptsd|depression|anxiety|hiv|pregnant|heart failure|learning "
    r"disabilit\w+|down'?s syndrome|cerebral palsy|housebound|bed-?bound|terminal|palliative|veteran|"
    r"asylum|refugee|sclerosis|arthritis|oxygen|dialysis|cognitive)\b",
    re.IGNORECASE,
)
_SMALL_AREA = re.compile(
    r"\b(?:estate|village|close|cul-de-sac|block|tower|flats)\b|"
    r"\b(?:on|in) (?:the )?(?!(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day|January|February|March|April|May|June|July|"
    r"August|September|October|November|December)[A-Z][a-z]+"
)
# "is 84" is an age after a person ("she is 84", "Chris is 52"), not after a count ("capacity is 20").
_COUNT_IS = re.compile(
    r"\b(?:capacity|cost|price|number|total|wait|list|limit|size|minimum|maximum|max|min|fee|it|there|that|this|"
    r"charge|rate|score|count|target|age limit|room|group|class|session|level|ratio|temperature) is $",
    re.IGNORECASE,
)


def _venue_context(text: str, start: int, end: int) -> bool:
    before = text[max(0, start - 45) : start]
    if _HOME_CUE.search(before):
        return False
    return bool(_VENUE_BEFORE.search(before) or _VENUE_AFTER.search(text[end : end + 40]))


def address_spans(text: str) -> list[Span]:
    found: list[Span] = []
    for match in _HOUSE.finditer(text):
        middle = match[2].split()[:-1]
        if middle[:1] == ["The"]:  # "8 The Crescent", "2 The Mews": a street named with "The"
            middle = middle[1:]
        if any(word.lower() in FUNCTION_WORDS or word.lower() in _UNITS for word in middle):
            continue
        if not middle and match[2].lower() in {"st", "dr", "way", "end", "side", "field", "fields", "park", "view"}:
            continue  # "2 way", "10 St", "12 end": too short to be a street
        if _venue_context(text, match.start(), match.end()):
            continue
        found.append((match.start(), match.end(), "address"))
    for match in _FLAT.finditer(text):
        found.append((match.start(), match.end(), "address"))
    found.extend((m.start(), m.end(), "address") for m in _NUMBER.finditer(text))
    found.extend((m.start(), m.end(), "address") for m in _HOME_ON.finditer(text))
    return found


def combination_spans(text: str) -> list[Span]:
    """An exact age, when the same note names a condition or a small area."""
    ages = [
        m for m in _AGE.finditer(text)
        if 0 < int(re.findall(r"\d+", m[0])[0]) <= 110
        and not _AGE_RANGE.match(text, m.end())  # "aged 8 to 12" is an age band, not someone's age
        and (not m[0][0].isdigit() or text[max(0, m.start() - 3) : m.start()] != "is " or not _COUNT_IS.search(
            text[max(0, m.start() - 20) : m.start()]))
    ]  # fmt: skip
    if not ages:
        return []
    rest = _AGE.sub(" ", text)
    if not (_CONDITIONS.search(rest) or _SMALL_AREA.search(rest)):
        return []
    return [(m.start(), m.end(), "combination") for m in ages]
