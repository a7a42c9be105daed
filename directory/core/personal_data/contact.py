"""Contact details and dates: postcodes, phone numbers, email addresses (also spelled out), NHS numbers.

Each function takes the text and returns ``(start, end, kind)`` spans; ``guard.find_personal_data`` merges
them with the name and address recognisers. Numbers a service publishes (freephone and 03 numbers, a
number named as a helpline, switchboard or office) are not a client's, so they are left alone.
"""

from __future__ import annotations

import re
from datetime import date

from geo.postcodes import InvalidPostcode, normalise_postcode

Span = tuple[int, int, str]

# Candidates: an outward code (1-2 letters, a digit, an optional letter or digit), an optional space,
# an inward code (a digit, two letters). ukpostcodeparser then decides whether it is a real shape.
_POSTCODE = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{1,2}[0-9][A-Za-z0-9]?)[ -]?([0-9][A-Za-z]{2})(?![A-Za-z0-9])")
# A district and sector without the last two letters ("FY3 9..", "FY2 0 something") is a person's postcode
# cut short when the words before say whose it is; a district alone ("referrals from FY1") is an area.
_PARTIAL_POSTCODE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{1,2}[0-9][A-Za-z0-9]? [0-9](?![A-Za-z0-9])")
_POSTCODE_CUE = re.compile(
    r"\b(?:post\s?code|p/?code|pc|lives?|living|address|home|moved)\b(?:\s+(?:is|in|at|to|was|on|near|round|around))?\s*:?\s*$",
    re.IGNORECASE,
)

_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9._%+'-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)

# A run that starts like a UK number (+44, 0044 or 0) and goes on in digits, spaces, dots, hyphens and
# brackets; the digits are counted afterwards (10 or 11 nationally).
_PHONE = re.compile(r"(?<![\w+])(?:\+44|0044|\(0\d{2,4}\)|0)[\d\s().-]{6,18}\d(?![\w])")

# Ten digits in 3-3-4 groups, with spaces, hyphens, en dashes, dots or slashes (people type all of them).
_NHS = re.compile(r"(?<![\w-])(\d{3})\s?[ ./\u2013-]?\s?(\d{3})\s?[ ./\u2013-]?\s?(\d{4})(?![\w-])")
# People also group the ten digits 4-3-3, 3-4-3 or in pairs ("4013 461 714", "96 70 32 07 12").
_DIGIT_GROUPS = re.compile(r"(?<![\w-])\d{2,4}(?:[ .\u2013-]\d{2,4}){2,4}(?![\w-])")
# After "NHS number" ten digits count even with a wrong check digit: a mistyped number still points at someone.
_NHS_CUE = re.compile(r"\bnhs\s*(?:no\.?|number|num|#)?\s*(?:is\s*)?:?\s*$", re.IGNORECASE)

# An address spelled out to get past filters: "sandra dot b at hotmail dot co dot uk", "jo (at) gmail.com".
_DOT = r"(?:\s+dot\s+|\s*\(dot\)\s*|\s*\[dot\]\s*|\.)"
_AT = r"(?:\s+at\s+|\s*\(at\)\s*|\s*\[at\]\s*|\s*@\s*)"
_SPELLED_EMAIL = re.compile(
    rf"(?<![\w.])[A-Za-z0-9_+-]+(?:{_DOT}[A-Za-z0-9_+-]+)*{_AT}([A-Za-z0-9-]+)((?:{_DOT}[A-Za-z0-9-]+)+)(?!\w)",
    re.IGNORECASE,
)
_TLDS = {"com", "uk", "org", "net", "info", "me", "io", "biz", "eu", "ie", "co", "email", "online"}
_MAIL_HOSTS = {"hotmail", "gmail", "googlemail", "yahoo", "outlook", "live", "btinternet", "aol", "icloud", "sky",
               "virginmedia", "talktalk", "msn", "ntlworld", "nhs", "me", "mail", "protonmail", "tiscali"}  # fmt: skip
# An organisation's shared inbox ("info@", "referrals@") on its own domain is how the public reaches a
# service, not a person; the same local part at a webmail host is somebody's own address.
_ROLE_INBOXES = {"info", "hello", "enquiries", "enquiry", "referrals", "referral", "admin", "bookings", "booking",
                 "contact", "office", "general", "events", "volunteering", "volunteer", "volunteers", "help",
                 "support", "team", "mail", "post", "groups", "reception"}  # fmt: skip
# Numbers that belong to an organisation: freephone, 03 (non-geographic) and 084/087 lines.
_SERVICE_PREFIXES = ("080", "03", "084", "087")
_SERVICE_CUE = re.compile(
    r"\b(?:helpline|help\s*line|infoline|advice\s*line|switchboard|reception|office|freephone|hotline|"
    r"crisis\s*line|enquiries|bookings?(?:\s*line)?|council|surgery|practice|centre|center|charity|trust|service|team)\b[^.;\n]{0,25}$",
    re.IGNORECASE,
)

# A cue in brackets right after the number: "01253 478222 (council leisure)".
_SERVICE_AFTER = re.compile(
    r"\s*\((?:[^)]{0,20}\s)?(?:council|surgery|practice|centre|office|reception|charity|"
    r"helpline|leisure|library|service|team|trust)\b",
    re.IGNORECASE,
)

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


# Words before a date that make it the date of something that happens, not someone's birthday: "last
# session was 03/12/2026", "raised 02/10/2026", "Session dates: ...". A birth cue wins over them.
_EVENT_CUE = re.compile(
    r"\b(?:sessions?|dates?|meetings?|raised|opened|closed|closing|closes|restarts?|restarting|starts?|starting|"
    r"started|ends?|ending|ended|until|till|from|cancelled|postponed|launch(?:es|ed)?|reviewed|deadline|funding|"
    r"term|event|back on|next|last|reopens?|runs?|held|booked)\b[^.;\n]{0,35}$",
    re.IGNORECASE,
)
_BIRTH_BEFORE = re.compile(r"\b(?:born|d\.?o\.?b|date\s+of\s+birth|birthday|b\.)[^.;\n]{0,12}$", re.IGNORECASE)
# A date of birth in words: "d.o.b fourteenth of july nineteen eighty".
_ORDINALS = (r"first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|thirteenth|"
             r"fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|thirtieth")  # fmt: skip
_TENS = r"twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
_UNITS = r"one|two|three|four|five|six|seven|eight|nine"
_WORD_BIRTH_DATE = re.compile(
    rf"(?<!\w){_BIRTH_CUE}((?:(?:twenty|thirty)[\s-]+)?(?:{_ORDINALS})(?:\s+of)?\s+(?:{_MONTH})"
    rf"(?:,?\s+nineteen\s+(?:{_TENS})(?:[\s-]+(?:{_UNITS}))?)?)(?!\w)",
    re.IGNORECASE,
)
# Ten digits starting 7 in a phone's groups: a mobile written without its 0 ("7712 903 441").
_MOBILE_NO_ZERO = re.compile(r"(?<![\w+])7[1-9]\d{2}[ -]?\d{3}[ -]?\d{3}(?![\w-])")


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
    """Dates that could be someone's birth: with a birth cue, or with no cue that an event is meant."""
    spans = [(m.start(), m.end()) for m in _full_dates(text) if _maybe_birth(text, m.start(), m.end())]
    for match in _BIRTH_DAY_MONTH.finditer(text):
        day, month = (int(match[2]), _MONTHS[match[3].lower()]) if match[2] else (int(match[4]), int(match[5]))
        if _real_date(day, month, None):
            spans.append(match.span(1))
    spans.extend(match.span(1) for match in _WORD_BIRTH_DATE.finditer(text))
    return spans


def _maybe_birth(text: str, start: int, end: int) -> bool:
    before = text[max(0, start - 50) : start]
    if _BIRTH_BEFORE.search(before):
        return True
    year = int(re.findall(r"\d{4}", text[start:end])[-1]) if re.search(r"\d{4}", text[start:end]) else 0
    return year <= date.today().year and not _EVENT_CUE.search(before)  # nobody is born next year


def _full_dates(text: str) -> list[re.Match[str]]:
    spans = []
    for match in _NUMERIC_DATE.finditer(text):
        day, month, year = int(match[1]), int(match[2]), _year(match[3])
        if _real_date(day, month, year):
            spans.append(match)
    for match in _ISO_DATE.finditer(text):
        if _real_date(int(match[3]), int(match[2]), int(match[1])):
            spans.append(match)
    for match in _DAY_MONTH_YEAR.finditer(text):
        if _real_date(int(match[1]), _MONTHS[match[2].lower()], int(match[3])):
            spans.append(match)
    for match in _MONTH_DAY_YEAR.finditer(text):
        if _real_date(int(match[2]), _MONTHS[match[1].lower()], int(match[3])):
            spans.append(match)
    return spans


def _is_service_number(text: str, start: int, raw: str) -> bool:
    digits = re.sub(r"\D", "", raw)
    if digits.startswith("44"):
        digits = "0" + digits[2:]
    if digits.startswith("07"):  # a mobile is a person's, even when a worker at a service carries it
        return False
    # An organisation's email between the cue and the number ("Carers Centre - hello@... - 01253 ...") is
    # no sentence end, so it is shortened to one word before looking back.
    before = _EMAIL.sub("email", text[max(0, start - 70) : start])
    after = text[start + len(raw) : start + len(raw) + 30]
    return (
        digits.startswith(_SERVICE_PREFIXES) or bool(_SERVICE_CUE.search(before)) or bool(_SERVICE_AFTER.match(after))
    )


def _role_inbox(address: str) -> bool:
    local, _, domain = address.lower().partition("@")
    return local in _ROLE_INBOXES and domain.split(".")[0] not in _MAIL_HOSTS


def contact_spans(text: str) -> list[Span]:
    """Emails (plain and spelled out), postcodes, a client's phone numbers, NHS numbers and dates."""
    found: list[Span] = [(m.start(), m.end(), "email") for m in _EMAIL.finditer(text) if not _role_inbox(m[0])]
    for match in _SPELLED_EMAIL.finditer(text):
        parts = [p for p in re.split(_DOT, match[2].lower()) if p]
        if _role_inbox("@".join(re.split(_AT, match[0].lower(), maxsplit=1))):
            continue
        if parts and parts[-1] in _TLDS and (match[1].lower() in _MAIL_HOSTS or len(parts) >= 2 or "@" in match[0]):
            found.append((match.start(), match.end(), "email"))
    for match in _POSTCODE.finditer(text):
        if _valid_postcode(match[1], match[2]):
            found.append((match.start(), match.end(), "postcode"))
    for match in _PARTIAL_POSTCODE.finditer(text):
        if _POSTCODE_CUE.search(text[max(0, match.start() - 25) : match.start()]):
            found.append((match.start(), match.end(), "postcode"))
    for match in _PHONE.finditer(text):
        raw = _phone_prefix(match.group())
        if raw and not _is_service_number(text, match.start(), raw):
            found.append((match.start(), match.start() + len(raw), "phone"))
    for match in _NHS.finditer(text):
        digits = match[1] + match[2] + match[3]
        cued = bool(_NHS_CUE.search(text[max(0, match.start() - 20) : match.start()]))
        if nhs_number_is_valid(digits) or (cued and len(set(digits)) > 1):
            found.append((match.start(), match.end(), "nhs-number"))
    for match in _DIGIT_GROUPS.finditer(text):  # other groupings of ten digits; only a valid check digit counts
        digits = re.sub(r"\D", "", match[0])
        if nhs_number_is_valid(digits):
            found.append((match.start(), match.end(), "nhs-number"))
        elif _MOBILE_NO_ZERO.fullmatch(match[0]):
            found.append((match.start(), match.end(), "phone"))
    found.extend((start, end, "date") for start, end in _dates(text))
    return found
