"""Open Referral UK (HSDS 3.0) feeds: page through ``/services``, fetch each full service, map it.

``fetch`` walks the paginated ``/services`` listing (the standard page envelope: ``contents``,
``page_number``, ``total_pages``, ``last_page``) and yields each full ``/services/{id}`` payload.
``parse`` maps one payload (a full service, a page of them, or a list) onto
:class:`~scrapers.base.ServiceRecord`; taxonomy terms become the directory's category codes through
a configurable table (term id, term code or term name, case-insensitive, to a category code).

What the standard does not model (waiting time, capacity, funding end date, eligibility by gender,
referral routes, phone numbers in this profile) travels in the ``x_asset_directory`` extension
object, which the directory's own ORUK API writes; any feed may omit it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from . import http, oruk_feed, oruk_schedules
from .base import (
    ContactRecord,
    Importer,
    LocationRecord,
    OrganisationRecord,
    Parsed,
    ParseFailed,
    ParseResult,
    Rejected,
    ServiceRecord,
    as_text,
    collect,
)
from .points import area_codes, outside, point

EXTENSION = "x_asset_directory"
CATEGORY_TAXONOMY = "social-prescribing-needs"
# ORUK service status -> the directory's; and back (directory/views/oruk.py uses OUT).
STATUS_IN = {"active": "active", "temporarily closed": "paused", "inactive": "paused", "defunct": "closed"}
STATUS_OUT = {"active": "active", "paused": "temporarily closed", "closed": "defunct", "archived": "inactive"}
LAD_CODE = re.compile(r"\bE0[6-9]\d{6}\b")
PER_PAGE = 100


def parse_category_map(text: str) -> dict[str, str]:
    """Read a mapping table: JSON ``{"term": "category-code"}`` or CSV lines ``term,category-code``."""
    text = text.strip()
    if not text:
        return {}
    if text.startswith("{"):
        try:
            loaded = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"the category mapping is not valid JSON: {exc}") from exc
        if not isinstance(loaded, dict):
            raise ValueError("the category mapping must be a JSON object of term -> category code")
        return {str(k).strip().lower(): str(v).strip() for k, v in loaded.items()}
    table: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        term, sep, code = line.rpartition(",")
        if not sep or not term.strip() or not code.strip():
            raise ValueError(f"line {number} of the category mapping is not 'term,category-code'")
        table[term.strip().lower()] = code.strip()
    return table


class OrukImporter(Importer):
    """An Open Referral UK API (HSDS 3.0 profile) read by its base URL."""

    kind = "oruk"
    label = "Open Referral UK feed"

    def __init__(
        self,
        category_map: Mapping[str, str] | None = None,
        *,
        allow_private: bool = False,
        max_bytes: int = http.DEFAULT_MAX_BYTES,
        timeout: float = http.DEFAULT_TIMEOUT,
        per_page: int = PER_PAGE,
    ) -> None:
        self.category_map = {k.lower(): v for k, v in (category_map or {}).items()}
        self.allow_private = allow_private
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.per_page = per_page

    def fetch(self, location: str) -> Iterator[bytes | Rejected]:  # type: ignore[override]
        """Yield each full service of the feed at base URL ``location`` (one kept-alive connection), or a
        :class:`Rejected` in the place of an item the feed lists but cannot give (see ``oruk_feed``)."""
        with http.client(self.allow_private) as session:
            yield from oruk_feed.walk(location, session, per_page=self.per_page, allow_private=self.allow_private,
                                      max_bytes=self.max_bytes, timeout=self.timeout)  # fmt: skip

    def parse(self, payload: bytes) -> ParseResult:
        """Map a full service, a page envelope of services, or a JSON list of services."""
        return collect(self.stream(payload))

    def stream(self, payload: bytes) -> Iterator[Parsed]:
        """Map the services of one payload in turn (a record or a reject each, then its notices)."""
        try:
            data = json.loads(payload)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ParseFailed(f"not valid JSON: {exc}") from exc
        if isinstance(data, dict) and isinstance(data.get("contents"), list):
            items: list[Any] = data["contents"]
        elif isinstance(data, list):
            items = data
        elif isinstance(data, dict):
            items = [data]
        else:
            raise ParseFailed("not an ORUK service, page or list")
        for position, item in enumerate(items, start=1):
            where = f"service {item.get('id')}" if isinstance(item, dict) and item.get("id") else f"item {position}"
            try:
                record, notices = self.map_service(item, where)
            except ValueError as exc:
                yield Rejected(where, str(exc), as_text(item.get("id")) if isinstance(item, dict) else "")
                continue
            yield record
            yield from notices

    def map_service(self, item: Any, where: str) -> tuple[ServiceRecord, list[str]]:
        """One ORUK service object -> a record (and notices about what could not be mapped)."""
        if not isinstance(item, dict):
            raise ValueError("not a JSON object")
        external_id = as_text(item.get("id"))
        name = as_text(item.get("name"))
        if not external_id:
            raise ValueError("the service has no id")
        if not name:
            raise ValueError("the service has no name")
        notices: list[str] = []
        ext: dict[str, Any] = item[EXTENSION] if isinstance(item.get(EXTENSION), dict) else {}
        status_raw = as_text(item.get("status")).lower()
        status = STATUS_IN.get(status_raw, "active")
        if status_raw and status_raw not in STATUS_IN:
            notices.append(f"{where}: unknown status {status_raw!r}, taken as active")

        categories, unmapped = self._categories(item)
        cost_options = [c for c in _list(item.get("cost_options")) if isinstance(c, dict)]
        fees = as_text(item.get("fees"))
        amounts = [c.get("amount") for c in cost_options if isinstance(c.get("amount"), int | float)]
        if "is_free" in ext:
            is_free = bool(ext["is_free"])
        else:
            is_free = (not fees and not any(a for a in amounts)) or fees.lower() == "free"
        cost_description = fees or "; ".join(
            " ".join(p for p in (as_text(c.get("option")), _amount(c)) if p) for c in cost_options if c.get("amount")
        )
        funding = [as_text(f.get("source")) for f in _list(item.get("funding")) if isinstance(f, dict)]
        record = ServiceRecord(
            external_id=external_id,
            name=name,
            where=where,
            organisation=_organisation(item.get("organization")),
            description=as_text(item.get("description")),
            url=as_text(item.get("url")) or None,
            email=as_text(item.get("email")) or None,
            phone=_first_phone(item) or _str_or_none(ext.get("phone")),
            status=status,
            minimum_age=_age(item.get("minimum_age")),
            maximum_age=_age(item.get("maximum_age")),
            gender=_str_or_none(ext.get("gender")),
            eligibility_conditions=_str_or_none(ext.get("eligibility_conditions"))
            or _str_or_none(item.get("eligibility_description")),
            is_free=is_free,
            cost_description=cost_description if not is_free or fees else "",
            referral_routes=_tuple_or_none(ext.get("referral_routes")),
            referral_form_url=_str_or_none(ext.get("referral_form_url")),
            languages=_tuple_or_none(ext.get("languages")) or _languages(item),
            accessibility=_tuple_or_none(ext.get("accessibility")),
            delivery_modes=_tuple_or_none(ext.get("delivery_modes")),
            capacity=_str_or_none(ext.get("capacity")),
            funding_status=_str_or_none(ext.get("funding_status")),
            funder=_str_or_none(ext.get("funder")) or ("; ".join(f for f in funding if f) or None),
            funded_until=_str_or_none(ext.get("funded_until")),
            assured_date=_str_or_none(ext.get("verified_at")) or as_text(item.get("assured_date")) or None,
            categories=categories,
            unmapped_terms=unmapped,
            service_areas=_service_areas(item),
            locations=_locations(item, where, notices),
            schedules=oruk_schedules.schedules(item, where, notices),
            contacts=_contacts(item),
            waiting_weeks=_waiting_weeks(ext),
            waiting_reported_at=_str_or_none((ext.get("waiting_time") or {}).get("reported_at"))
            if isinstance(ext.get("waiting_time"), dict)
            else None,
            last_modified=as_text(item.get("last_modified")) or None,
        )
        return record, notices

    def _categories(self, item: dict[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        codes: list[str] = []
        unmapped: list[str] = []
        terms = [a.get("taxonomy_term") for a in _list(item.get("attributes")) if isinstance(a, dict)]
        terms += _list(item.get("taxonomy_terms"))
        for term in terms:
            if not isinstance(term, dict):
                continue
            keys = [as_text(term.get(k)).lower() for k in ("id", "code", "term", "name")]
            code = next((self.category_map[k] for k in keys if k and k in self.category_map), None)
            if code is None:
                unmapped.append(as_text(term.get("name")) or as_text(term.get("term")) or as_text(term.get("id")))
            elif code not in codes:
                codes.append(code)
        return tuple(sorted(codes)), tuple(u for u in unmapped if u)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _str_or_none(value: Any) -> str | None:
    text = as_text(value)
    return text or None


def _tuple_or_none(value: Any) -> tuple[str, ...] | None:
    if isinstance(value, list):
        return tuple(as_text(v) for v in value if as_text(v))
    return None


def _amount(option: dict[str, Any]) -> str:
    amount = option.get("amount")
    text = f"£{amount:g}" if isinstance(amount, int | float) else ""
    return " ".join(p for p in (text, as_text(option.get("amount_description"))) if p)


def _age(value: Any) -> int | None:
    if isinstance(value, bool) or value is None or value == "":
        return None
    try:
        return int(float(value))
    except (TypeError, ValueError):
        raise ValueError(f"age {value!r} is not a number") from None


def _waiting_weeks(ext: dict[str, Any]) -> int | None:
    wait = ext.get("waiting_time")
    if isinstance(wait, dict) and isinstance(wait.get("weeks"), int) and not isinstance(wait.get("weeks"), bool):
        return int(wait["weeks"])
    return None


def _first_phone(item: dict[str, Any]) -> str | None:
    for phone in _list(item.get("phones")):
        if isinstance(phone, dict) and as_text(phone.get("number")):
            return as_text(phone.get("number"))
    return None


def _languages(item: dict[str, Any]) -> tuple[str, ...] | None:
    names = [
        as_text(lang.get("name")) or as_text(lang.get("code"))
        for lang in _list(item.get("languages"))
        if isinstance(lang, dict)
    ]
    names = [n for n in names if n]
    return tuple(names) if names else None


def _organisation(value: Any) -> OrganisationRecord | None:
    if not isinstance(value, dict) or not as_text(value.get("name")):
        return None
    ext: dict[str, Any] = value[EXTENSION] if isinstance(value.get(EXTENSION), dict) else {}
    charity = None
    for identifier in _list(value.get("organization_identifiers")):
        if isinstance(identifier, dict) and as_text(identifier.get("identifier_scheme")).upper() in ("GB-CHC", "GB-SC"):
            charity = as_text(identifier.get("identifier")) or None
    return OrganisationRecord(
        name=as_text(value.get("name")),
        external_id=as_text(value.get("id")),
        description=as_text(value.get("description")),
        website=as_text(value.get("website")) or None,
        email=as_text(value.get("email")) or None,
        phone=_first_phone(value),
        charity_number=charity,
        sector=_str_or_none(ext.get("sector")),
    )


def _service_areas(item: dict[str, Any]) -> tuple[str, ...] | None:
    codes: list[str] = []
    for area in _list(item.get("service_areas")):
        if isinstance(area, dict):
            text = " ".join(as_text(area.get(k)) for k in ("uri", "extent", "name", "service_area"))
            codes += [c for c in LAD_CODE.findall(text) if c not in codes]
    return tuple(sorted(codes)) if codes else None


def _locations(item: dict[str, Any], where: str, notices: list[str]) -> tuple[LocationRecord, ...]:
    found: list[LocationRecord] = []
    for link in _list(item.get("service_at_locations")):
        location = link.get("location") if isinstance(link, dict) else None
        if not isinstance(location, dict):
            continue
        if as_text(location.get("location_type")).lower() == "virtual":
            continue
        addresses = [a for a in _list(location.get("addresses")) if isinstance(a, dict)]
        physical = [a for a in addresses if as_text(a.get("address_type")).lower() == "physical"]
        address = (physical or addresses or [{}])[0]
        latitude, longitude = point(location.get("latitude"), location.get("longitude"))
        named = f"{where}: location {as_text(location.get('name')) or as_text(location.get('id')) or '(unnamed)'}"
        if latitude is None and (location.get("latitude") is not None or location.get("longitude") is not None):
            notices.append(f"{named}: {outside(location.get('latitude'), location.get('longitude'))}")
        if latitude is None and not as_text(address.get("postal_code")):
            notices.append(f"{named}: no coordinates and no postcode, so it cannot be shown on the map")
        areas, refused = area_codes(location.get(EXTENSION))
        notices += [f"{named}: {why}" for why in refused]
        found.append(
            LocationRecord(
                name=as_text(location.get("name")),
                address_1=as_text(address.get("address_1")),
                city=as_text(address.get("city")),
                postcode=as_text(address.get("postal_code")) or None,
                latitude=latitude,
                longitude=longitude,
                accessibility=_access_notes(location),
                **areas,
            )
        )
    return tuple(found)


def _access_notes(location: dict[str, Any]) -> tuple[str, ...]:
    """A location's ORUK accessibility entries in words: "description: details", in the feed's order."""
    notes = []
    for entry in _list(location.get("accessibility")):
        if isinstance(entry, dict):
            words = [as_text(entry.get("description")), as_text(entry.get("details"))]
            note = ": ".join(w for w in words if w)[:255]
            if note and note not in notes:
                notes.append(note)
    return tuple(notes[:20])


def _contacts(item: dict[str, Any]) -> tuple[ContactRecord, ...]:
    found: list[ContactRecord] = []
    for contact in _list(item.get("contacts")):
        if not isinstance(contact, dict):
            continue
        found.append(
            ContactRecord(
                name=as_text(contact.get("name")),
                title=as_text(contact.get("title")),
                phone=_first_phone(contact) or "",
                email=as_text(contact.get("email")),
            )
        )
    return tuple(found)
