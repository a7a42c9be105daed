"""Turning submitted values into clean field values, or naming exactly what is wrong.

The snapshot a revision stores uses the same plain shapes that these functions accept, so
restoring a revision is simply writing its snapshot back through validation.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date, datetime, time
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from email_validator import EmailNotValidError, validate_email

from geo.authorities import authority_code, split_authorities
from geo.postcodes import InvalidPostcode, normalise_postcode
from scrapers.points import AREA_CODES

from . import vocab


class ValidationFailed(ValueError):
    """Bad input: ``errors`` maps each field to a message a person can act on."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


Cleaner = Callable[[Any], Any]

LAD_CODE = re.compile(r"^E0[6-9]\d{6}$")
# A place's areas as another directory gives them (its ORUK export): hints for placing it when this directory's
# own postcode table cannot, never a part of the listing's own details.
AREA_HINTS = AREA_CODES
# A number, and an extension if it has one ("+44 (0)1253 477 477 ext. 204"): switchboards need it.
PHONE = re.compile(r"^[0-9 +()\-]{6,32}(?: ?(?:ext\.?|extension|x) ?\d{1,6})?$", re.IGNORECASE)


def refuse(message: str) -> Any:
    """Raise the message as a field error, from inside an expression (a lambda cleaner)."""
    raise ValueError(message)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


LINE_BREAK = re.compile(r"[\r\n\t\u2028\u2029\x85]")


def text(max_length: int, *, required: bool = False, multiline: bool | None = None) -> Cleaner:
    """Text of at most ``max_length`` characters, without control characters. Fields of up to 255 characters are
    names, titles and addresses: one line, so a line break can never reach an email header or a CSV row."""
    one_line = not multiline if multiline is not None else max_length <= 255

    def clean(value: Any) -> str:
        value = "" if value is None else str(value).strip()
        if CONTROL.search(value):
            raise ValueError("Remove the control characters (such as NUL) from this text.")
        if one_line and LINE_BREAK.search(value):
            raise ValueError("Keep this to one line (it has a line break or tab).")
        if required and not value:
            raise ValueError("This is required.")
        if len(value) > max_length:
            raise ValueError(f"Use at most {max_length} characters (this has {len(value)}).")
        return str(value)

    return clean


def optional_text(max_length: int) -> Cleaner:
    inner = text(max_length)

    def clean(value: Any) -> str | None:
        return None if _blank(value) else str(inner(value))

    return clean


# What may stand in a URL as written (RFC 3986: unreserved and reserved characters, and %-escapes).
URL_CHARACTERS = re.compile(r"^[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*$")
HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def url(value: Any) -> str | None:
    """A web address, read by a parser: http or https, a real host name, no user name or password, nothing a
    URL may not hold (quotes, angle brackets, spaces). Accented host names and paths are accepted and stored
    encoded (IDNA for the host, percent-escapes for the rest), so what goes out to other systems is plain ASCII."""
    if _blank(value):
        return None
    written = str(value).strip()
    if len(written) > 500:
        raise ValueError("Use a web address of at most 500 characters.")
    problem = f"{written!r} is not a web address starting http:// or https://"
    try:
        parts = urlsplit(written)
        port = parts.port  # a bad port raises ValueError
    except ValueError:
        raise ValueError(f"{problem}.") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{problem}.")
    if parts.username is not None or parts.password is not None:
        raise ValueError(f"{written!r}: a web address for the public may not hold a user name or password.")
    try:
        host = parts.hostname.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise ValueError(f"{problem} (its host name cannot be written).") from None
    labels = host.rstrip(".").split(".")
    if len(labels) < 2 or not all(HOST_LABEL.match(label) for label in labels):
        raise ValueError(f"{problem} (its host name looks like {parts.hostname!r}).")
    rest = quote(urlunsplit(("", "", parts.path, parts.query, parts.fragment)), safe="/?#[]@!$&'()*+,;=%:~-._")
    if not URL_CHARACTERS.match(rest) or any(c in written for c in '"<>`{}|\\^ \t\r\n'):
        raise ValueError(f"{problem} (it holds characters a web address cannot: quotes, <, >, spaces).")
    address = f"{parts.scheme.lower()}://{host}{f':{port}' if port else ''}{rest}"
    if len(address) > 500:
        raise ValueError("Use a web address of at most 500 characters.")
    return address


def url_for_others(value: str | None) -> str | None:
    """A stored web address as it goes out to other systems (JSON, GeoJSON, CSV): anything a URL may not hold
    percent-encoded, so an address stored before addresses were checked strictly is still inert."""
    if not value:
        return value
    return quote(value, safe="/?#[]@!$&'()*+,;=%:~-._")


def email(value: Any) -> str | None:
    if _blank(value):
        return None
    try:
        return str(validate_email(str(value).strip(), check_deliverability=False).normalized)
    except EmailNotValidError as exc:
        written = str(value).strip()
        raise ValueError(f"{written!r} is not an email address: {exc} Enter one like name@example.org.") from exc


def phone(value: Any) -> str | None:
    if _blank(value):
        return None
    number = " ".join(str(value).split())
    if not PHONE.match(number):
        raise ValueError(f"{number!r} is not a phone number. Enter one like 01253 477477 (and 'ext. 204' if need be).")
    return number


def one_of(choices: dict[str, str]) -> Cleaner:
    def clean(value: Any) -> str:
        if value not in choices:
            raise ValueError(f"{value!r} is not one of: {', '.join(choices)}.")
        return str(value)

    return clean


def some_of(choices: dict[str, str]) -> Cleaner:
    def clean(value: Any) -> list[str]:
        values = _as_list(value)
        unknown = [v for v in values if v not in choices]
        if unknown:
            raise ValueError(f"Unknown: {', '.join(map(repr, unknown))}. Use: {', '.join(choices)}.")
        return [c for c in choices if c in values]  # canonical order, no repeats

    return clean


def _as_list(value: Any) -> list[Any]:
    if _blank(value):
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return list(value)


def words(value: Any) -> list[str]:
    seen: list[str] = []
    for item in _as_list(value):
        item = str(item).strip()
        if item and item not in seen:
            seen.append(item[:64])
    return seen


def age(value: Any) -> int | None:
    if _blank(value):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{value!r} is not a whole number of years.") from exc
    if not 0 <= number <= 120:
        raise ValueError("An age must be between 0 and 120.")
    return number


def boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"y", "yes", "true", "on", "1"}:
        return True
    if _blank(value) or (isinstance(value, str) and value.strip().lower() in {"n", "no", "false", "off", "0"}):
        return False
    raise ValueError(f"{value!r} is not yes or no.")


def a_date(value: Any) -> date | None:
    if _blank(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = " ".join(str(value).split())
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    # People write "25 December 2026" (or "25 Dec 2026"); the style guide asks pages for dates that way too.
    for pattern in ("%d %B %Y", "%d %b %Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(f"{value!r} is not a date: write it like 25 December 2026.")


def a_datetime(value: Any) -> datetime | None:
    if _blank(value):
        return None
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a date and time (use YYYY-MM-DDTHH:MM).") from exc


def a_time(value: Any) -> time | None:
    if _blank(value):
        return None
    if isinstance(value, time):
        return value
    try:
        return time.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a time: write it like 14:30 (the 24-hour clock).") from exc


def lad_codes(value: Any) -> list[str]:
    """Local authorities as their codes (what is stored), from names as people write them ("Blackpool, Fylde")
    or codes as imports and older data send them (E06000009)."""
    written = split_authorities(value) if isinstance(value, str) else [str(v).strip() for v in _as_list(value)]
    codes = {item: authority_code(item) for item in written if item}
    unknown = [item for item, code in codes.items() if code is None]
    if unknown:
        raise ValueError(
            f"We do not know {' or '.join(repr(u) for u in unknown)} as a council area in England. Write each "
            "local authority's name as the council writes it, separated by commas, like: Blackpool, Fylde."
        )
    return sorted({code for code in codes.values() if code})


def postcode(value: Any) -> str | None:
    if _blank(value):
        return None
    try:
        return normalise_postcode(str(value))
    except InvalidPostcode as exc:
        raise ValueError(f"{exc} Enter a full postcode, like FY1 1AN.") from exc


def _whole(value: Any, what: str, allowed: Iterable[int]) -> int | None:
    if _blank(value):
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ValueError(f"{what} {value!r} is not a whole number.") from None
    if number not in allowed:
        raise ValueError(f"{what} {number} is out of range.")
    return number


def _session_rule(item: dict[str, Any]) -> dict[str, Any]:
    """A session's recurrence (freq, interval, week or day of the month, dates), cleaned; ValueError names the fault."""
    week = _whole(item.get("week_of_month"), "Week of the month", vocab.WEEKS_OF_MONTH)
    monthday = _whole(item.get("bymonthday"), "Day of the month", [*range(1, 32), -1])
    interval = _whole(item.get("interval"), "Every", range(1, 53)) or 1
    given = str(item.get("freq") or "").strip().upper()
    if given and given not in vocab.FREQUENCIES:
        raise ValueError(f"{given!r} is not a frequency (WEEKLY or MONTHLY).")
    if week is not None and monthday is not None:
        raise ValueError("give a week of the month or a day of the month, not both.")
    freq = "MONTHLY" if week is not None or monthday is not None else "WEEKLY"
    if given == "MONTHLY" and freq == "WEEKLY" and interval > 1:
        raise ValueError("a monthly session needs a week of the month (e.g. first) or a day of the month.")
    dtstart, valid_from, valid_to = (a_date(item.get(k)) for k in ("dtstart", "valid_from", "valid_to"))
    if valid_from and valid_to and valid_to < valid_from:
        raise ValueError("it must end on or after the date it starts.")
    if interval > 1 and not (dtstart or valid_from):
        raise ValueError(f"a session every {interval} weeks or months needs a first date to count from.")
    skipped = sorted({d.isoformat() for d in (a_date(x) for x in _as_list(item.get("except_dates"))) if d})
    return {
        "freq": freq, "interval": interval, "week_of_month": week, "bymonthday": monthday,
        "dtstart": dtstart.isoformat() if dtstart else None,
        "valid_from": valid_from.isoformat() if valid_from else None,
        "valid_to": valid_to.isoformat() if valid_to else None,
        "except_dates": skipped,
    }  # fmt: skip


def schedules(value: Any) -> list[dict[str, Any]]:
    cleaned = []
    for number, item in enumerate(_as_list(value), start=1):
        by_appointment = boolean(item.get("by_appointment", False))
        byday = item.get("byday") or None
        opens, closes = a_time(item.get("opens_at")), a_time(item.get("closes_at"))
        if byday is not None and byday not in vocab.WEEKDAYS:
            raise ValueError(f"Session {number}: {byday!r} is not a day (MO, TU, ... SU).")
        try:
            rule = _session_rule(item)
        except ValueError as exc:
            raise ValueError(f"Session {number}: {exc}") from exc
        if rule["week_of_month"] is not None and byday is None:
            raise ValueError(f"Session {number}: a week of the month needs a day (e.g. first Tuesday).")
        if not by_appointment and byday is None and rule["bymonthday"] is None:
            raise ValueError(f"Session {number}: give a day, or mark it 'by appointment'.")
        if opens and closes and closes <= opens:
            raise ValueError(f"Session {number}: it must finish after it starts.")
        cleaned.append(
            {
                "byday": byday,
                "opens_at": opens.strftime("%H:%M") if opens else None,
                "closes_at": closes.strftime("%H:%M") if closes else None,
                "by_appointment": by_appointment,
                "description": text(255)(item.get("description")),
                **rule,
            }
        )
    return cleaned


def contacts(value: Any) -> list[dict[str, str]]:
    cleaned = []
    for number, item in enumerate(_as_list(value), start=1):
        try:
            contact = {
                "name": text(255)(item.get("name")),
                "title": text(255)(item.get("title")),
                "phone": phone(item.get("phone")) or "",
                "email": email(item.get("email")) or "",
            }
        except ValueError as exc:
            raise ValueError(f"Contact {number}: {exc}") from exc
        if any(contact.values()):
            cleaned.append(contact)
    return cleaned


def _point(latitude: Any, longitude: Any) -> dict[str, float]:
    """A place's own coordinates, when given (an import's): both numbers, in range. None given is none kept."""
    if _blank(latitude) and _blank(longitude):
        return {}
    try:
        lat, lon = float(latitude), float(longitude)
    except (TypeError, ValueError):
        raise ValueError(f"coordinates ({latitude!r}, {longitude!r}) are not two numbers.") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError(f"coordinates ({lat}, {lon}) are out of range.")
    return {"latitude": lat, "longitude": lon}


def _access_notes(value: Any) -> list[str]:
    """A place's accessibility in words ("Step-free entrance; hearing loop"): a list, or one text split at ';'."""
    items = value.split(";") if isinstance(value, str) else ([] if _blank(value) else list(value))
    notes = [text(255)(item) for item in items]
    return [note for note in notes if note][:20]


def _area_hints(item: dict[str, Any]) -> dict[str, str]:
    hints = {}
    for name, pattern in AREA_HINTS.items():
        code = item.get(name)
        if _blank(code):
            continue
        if not (isinstance(code, str) and pattern.match(code)):
            what = "neighbourhood (LSOA) code" if name == "lsoa_code" else "local authority code"
            raise ValueError(f"{str(code)[:40]!r} is not an English {what}.")
        hints[name] = code
    return hints


def locations(value: Any) -> list[dict[str, Any]]:
    cleaned = []
    for number, item in enumerate(_as_list(value), start=1):
        try:
            location = {
                "name": text(255)(item.get("name")),
                "address_1": text(255)(item.get("address_1")),
                "city": text(128)(item.get("city")),
                "postcode": postcode(item.get("postcode")),
                "accessibility": _access_notes(item.get("accessibility")),
            }
            location.update(_point(item.get("latitude"), item.get("longitude")))
            location.update(_area_hints(item))
        except ValueError as exc:
            raise ValueError(f"Place {number}: {exc}") from exc
        if any(location.values()):
            cleaned.append(location)
    return cleaned


def clean_fields(values: dict[str, Any], spec: dict[str, Cleaner], *, partial: bool) -> dict[str, Any]:
    """Clean every known field; refuse unknown fields; collect every error before failing."""
    unknown = set(values) - set(spec)
    errors = dict.fromkeys(sorted(unknown), "This is not a field that can be set.")
    cleaned: dict[str, Any] = {}
    names: Iterable[str] = values if partial else spec
    for name in names:
        if name in unknown:
            continue
        try:
            cleaned[name] = spec[name](values.get(name))
        except ValueError as exc:
            errors[name] = str(exc)
    if errors:
        raise ValidationFailed(errors)
    return cleaned
