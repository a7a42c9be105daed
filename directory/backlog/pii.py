"""The personal-data guard: find what looks like personal data in free text before it is saved.

Gap flags and comments are about needs and places, never about a person. Link workers type in a
hurry, though, so before free text is saved it is checked for the things that identify a client:
full UK postcodes, UK phone numbers, email addresses, NHS numbers (only those whose modulus-11
check digit is right), dates (a full date, or a day and month after "born" / "DOB"), and names
with a title ("Mrs Smith"). The guard warns; the worker edits the text or confirms it is fine.

Each finding is a kind and a span (``start``/``end`` as Python string offsets), so the form can
show the worker exactly what was found. Precision and recall on a labelled set of sentences are
measured by ``tests/directory/test_pii.py`` and reported in ``docs/backlog.md``.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from geo.postcodes import InvalidPostcode, normalise_postcode

KINDS = {
    "postcode": "a full postcode",
    "phone": "a phone number",
    "email": "an email address",
    "nhs-number": "an NHS number",
    "date": "a date (of birth?)",
    "titled-name": "a name with a title",
}
MAX_TEXT = 20_000  # longer text is refused by the API; flag descriptions are far shorter


@dataclass(frozen=True)
class Finding:
    kind: str
    start: int
    end: int
    text: str

    @property
    def label(self) -> str:
        return KINDS[self.kind]

    def as_json(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if key != "text"}


# Candidates: an outward code (1-2 letters, a digit, an optional letter or digit), an optional space,
# an inward code (a digit, two letters). ukpostcodeparser then decides whether it is a real shape.
_POSTCODE = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{1,2}[0-9][A-Za-z0-9]?) ?([0-9][A-Za-z]{2})(?![A-Za-z0-9])")

_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9._%+'-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)

# A run that starts like a UK number (+44, 0044 or 0) and goes on in digits, spaces, dots, hyphens and
# brackets; the digits are counted afterwards (10 or 11 nationally).
_PHONE = re.compile(r"(?<![\w+])(?:\+44|0044|\(0\d{2,4}\)|0)[\d\s().-]{6,18}\d(?![\w])")

_NHS = re.compile(r"(?<![\w-])(\d{3})[ -]?(\d{3})[ -]?(\d{4})(?![\w-])")

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),  # fmt: skip
        start=1,
    )
    for name in names
}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_NUMERIC_DATE = re.compile(r"(?<![\d/.-])(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})(?![\d/-]|\.\d)")
_ISO_DATE = re.compile(r"(?<![\d-])(\d{4})-(\d{1,2})-(\d{1,2})(?![\d-])")
_DAY_MONTH_YEAR = re.compile(
    rf"(?<!\w)(\d{{1,2}})(?:st|nd|rd|th)?(?:\s+of)?\s+({_MONTH})\.?,?\s+(\d{{4}})(?!\d)", re.IGNORECASE
)
_MONTH_DAY_YEAR = re.compile(rf"(?<!\w)({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})(?!\d)", re.IGNORECASE)
# A day and month without a year counts only as a birthday: "born 3rd May", "DOB 3 May", "d.o.b. 3/5".
_BIRTH_CUE = r"(?:born(?:\s+on)?|d\.?o\.?b\.?:?|date\s+of\s+birth:?|birthday(?:\s+is)?(?:\s+on)?)\s+"
_BIRTH_DAY_MONTH = re.compile(
    rf"(?<!\w){_BIRTH_CUE}((\d{{1,2}})(?:st|nd|rd|th)?(?:\s+of)?\s+({_MONTH})\.?|(\d{{1,2}})/(\d{{1,2}}))(?![\w/])",
    re.IGNORECASE,
)

_TITLES = r"Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Rev|Revd|Sir|Dame|Lady|Lord|Master|Mister"
_SURNAME = r"(?:Mc|Mac|O'|O’)?[A-Z][a-z]+(?:[-'’][A-Z][a-z]+)?"
_TITLED = re.compile(rf"(?<![\w])(?:{_TITLES})\.?\s+((?:[A-Z]\.?\s+)?{_SURNAME}(?:\s+{_SURNAME})?)")
# Capitalised words after a title that are not a surname ("Lady Chapel", "Miss Out", "Dr Appointment").
_NOT_SURNAMES = {
    "The", "A", "An", "And", "Or", "Of", "In", "On", "At", "To", "For", "With", "Who", "Chapel", "Street", "Road",
    "Lane", "Surgery", "Practice", "Appointment", "Appointments", "Out", "Men", "Universe", "World", "Saigon",
}  # fmt: skip


def _valid_postcode(outward: str, inward: str) -> bool:
    try:
        normalise_postcode(f"{outward} {inward}")
    except InvalidPostcode:
        return False
    return True


def nhs_number_is_valid(digits: str) -> bool:
    """The NHS number modulus-11 check: weights 10..2 on the first nine digits give the tenth."""
    if len(digits) != 10 or not digits.isdigit() or len(set(digits)) == 1:
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def _phone_digits_ok(raw: str) -> bool:
    digits = re.sub(r"\D", "", raw)
    if digits.startswith("0044"):
        digits = "0" + digits[4:]
    elif digits.startswith("44") and raw.lstrip().startswith("+"):
        digits = "0" + digits[2:]
    if digits.startswith("00"):  # +44 (0) 1253 ...: the bracketed 0 is not dialled from abroad
        digits = digits[1:]
    return digits.startswith("0") and len(digits) in (10, 11) and digits[1] in "1235789"


def _phone_prefix(candidate: str) -> str:
    """The longest run of whole groups at the start of a candidate that dials as a UK number."""
    groups = re.split(r"(?<=\d)(?=\s)", candidate)
    for count in range(len(groups), 0, -1):
        raw = "".join(groups[:count]).rstrip(" .-(")
        if _phone_digits_ok(raw):
            return raw
    return ""


def _real_date(day: int, month: int, year: int | None) -> bool:
    try:
        date(year if year is not None else 2000, month, day)
    except ValueError:
        return False
    return True


def _year(text: str) -> int:
    value = int(text)
    return value + (1900 if value >= 30 else 2000) if len(text) == 2 else value


def _dates(text: str) -> list[tuple[int, int]]:
    spans = []
    for match in _NUMERIC_DATE.finditer(text):
        day, month, year = int(match[1]), int(match[2]), _year(match[3])
        if _real_date(day, month, year):
            spans.append(match.span())
    for match in _ISO_DATE.finditer(text):
        if _real_date(int(match[3]), int(match[2]), int(match[1])):
            spans.append(match.span())
    for match in _DAY_MONTH_YEAR.finditer(text):
        if _real_date(int(match[1]), _MONTHS[match[2].lower()], int(match[3])):
            spans.append(match.span())
    for match in _MONTH_DAY_YEAR.finditer(text):
        if _real_date(int(match[2]), _MONTHS[match[1].lower()], int(match[3])):
            spans.append(match.span())
    for match in _BIRTH_DAY_MONTH.finditer(text):
        day, month = (int(match[2]), _MONTHS[match[3].lower()]) if match[2] else (int(match[4]), int(match[5]))
        if _real_date(day, month, None):
            spans.append(match.span(1))
    return spans


def find_personal_data(text: str) -> list[Finding]:
    """Everything in ``text`` that looks like personal data, in order of position.

    Overlapping candidates keep the first, longest one (a phone number is not also an NHS number).
    """
    text = text or ""
    found: list[tuple[int, int, str]] = []
    for match in _EMAIL.finditer(text):
        found.append((match.start(), match.end(), "email"))
    for match in _POSTCODE.finditer(text):
        if _valid_postcode(match[1], match[2]):
            found.append((match.start(), match.end(), "postcode"))
    for match in _PHONE.finditer(text):
        raw = _phone_prefix(match.group())
        if raw:
            found.append((match.start(), match.start() + len(raw), "phone"))
    for match in _NHS.finditer(text):
        if nhs_number_is_valid(match[1] + match[2] + match[3]):
            found.append((match.start(), match.end(), "nhs-number"))
    for start, end in _dates(text):
        found.append((start, end, "date"))
    for match in _TITLED.finditer(text):
        first = match[1].split()[0].rstrip(".")
        if first not in _NOT_SURNAMES:
            found.append((match.start(), match.end(), "titled-name"))
    findings: list[Finding] = []
    for start, end, kind in sorted(found, key=lambda f: (f[0], -(f[1] - f[0]))):
        if findings and start < findings[-1].end:
            continue
        findings.append(Finding(kind, start, end, text[start:end]))
    return findings


def describe(findings: list[Finding]) -> str:
    """One sentence for a person: "This looks like it contains a phone number and a full postcode."."""
    labels = list(dict.fromkeys(f.label for f in findings))
    if not labels:
        return ""
    listed = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]
    return f"This looks like it contains {listed}."
