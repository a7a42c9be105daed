"""Areas named as people name them: "Burnley, around BB11 2 and BB11 3", not "E01024868".

A neighbourhood (an LSOA, or an MSOA of several) is named by its local authority and the postcode
sectors that fall in it, read from the postcode table this product loads for search; the ONS name and
code ("LSOA Burnley 009B, E01024868") stay as a small second line for specialists. It lives here, beside
the postcode table's loader, because both the gap pages and the backlog name areas, and those two
packages do not import each other.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from geo.authorities import authority_names as packaged_authority_names
from geo.authorities import display_name

from ..core.db import DbSession
from ..models import Deprivation, Lsoa, Postcode
from ..models.backlog import LsoaMsoa
from ..models.gaps import LsoaLookup

#: At most this many postcode sectors are named: more reads as a list, not a place.
MAX_SECTORS = 3
_CHUNK = 900  # codes per IN (...) list: under SQLite's old limit of 999 bound values
_MSOA = re.compile(r"^[EW]02\d{6}$")
# ONS names an LSOA "<authority> <MSOA number><letter>" ("Burnley 009B") and an MSOA "<authority> <number>".
_ONS_NAME = re.compile(r"^(?P<authority>.+?) (?P<number>\d{3}[A-Z]?)$")


@dataclass(frozen=True)
class PlaceName:
    """How an area is shown: ``headline`` for everyone, ``detail`` (the ONS name and code) for specialists."""

    code: str
    headline: str
    detail: str
    authority: str = ""
    sectors: tuple[str, ...] = ()

    def __str__(self) -> str:
        return self.headline


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def headline(authority: str, sectors: Iterable[str], ons_name: str = "") -> str:
    """The name an area goes by: "Burnley, around BB11 2 and BB11 3" (sectors in the order given, most
    postcodes first, at most ``MAX_SECTORS``); without postcodes, "Burnley, neighbourhood 009B" from the ONS
    name; with nothing known, "A neighbourhood not in the loaded data". Never a bare code."""
    shown = list(dict.fromkeys(sectors))[:MAX_SECTORS]
    parsed = _ONS_NAME.match(ons_name.strip())
    place = authority or (parsed.group("authority") if parsed else "")
    if shown:
        return f"{place}, around {_listed(shown)}" if place else f"Around {_listed(shown)}"
    if parsed:
        return f"{place}, neighbourhood {parsed.group('number')}"
    if place:
        return f"A neighbourhood of {place}"
    return "A neighbourhood not in the loaded data"


_NAMES = "place_names.authority_names"  # their key in ``session.info``


def authority_names(session: DbSession) -> dict[str, str]:
    """Local authority names by code: from the loaded deprivation files, else the ONS LSOA lookup, else the
    packaged official list (boundaries may be loaded without either).

    Read once per transaction: a page names areas in several places (the choices, the rows, the backlog's
    items), and each used to read both tables again. The copy is dropped when the transaction ends, so names
    loaded by an import are seen by the next request. Callers must not change the dict they get.
    """
    kept = session.info.get(_NAMES)
    if kept is not None:
        return kept  # type: ignore[no-any-return]
    names = dict(packaged_authority_names())
    for model in (LsoaLookup, Deprivation):  # the later wins
        found = session.execute(select(model.lad_code, func.max(model.lad_name)).group_by(model.lad_code))
        names.update({str(code): display_name(str(name)) for code, name in found if code and name})
    session.info[_NAMES] = names
    return names


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_soft_rollback")
def _forget_authority_names(session: Session, *_args: object) -> None:
    session.info.pop(_NAMES, None)


def _chunks(codes: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(codes), _CHUNK):
        yield codes[start : start + _CHUNK]


def name_areas(session: DbSession, codes: Iterable[str]) -> dict[str, PlaceName]:
    """A ``PlaceName`` for each LSOA or MSOA code (a few queries for any number of codes)."""
    wanted = sorted({c for c in codes if c})
    msoas = [c for c in wanted if _MSOA.match(c)]
    members: dict[str, list[str]] = {c: [c] for c in wanted if c not in msoas}
    for chunk in _chunks(msoas):
        pairs = select(LsoaMsoa.lsoa_code, LsoaMsoa.msoa_code).where(LsoaMsoa.msoa_code.in_(chunk))
        for lsoa, msoa in session.execute(pairs):
            members.setdefault(msoa, []).append(lsoa)
    lsoas = sorted({lsoa for group in members.values() for lsoa in group})
    ons: dict[str, tuple[str, str | None]] = {}
    sectors: dict[str, Counter[str]] = defaultdict(Counter)
    postcode_lads: dict[str, str] = {}
    sector = func.substr(Postcode.pcds, 1, func.length(Postcode.pcds) - 2)
    for chunk in _chunks(lsoas):
        published = select(Deprivation.lsoa_code, Deprivation.lsoa_name, Deprivation.lad_code)
        for code, name, lad in session.execute(published.where(Deprivation.lsoa_code.in_(chunk))):
            ons[code] = (name or "", lad)
        # Boundaries name areas of either edition; they win over deprivation's names (same ONS names, or newer).
        bounded = select(Lsoa.code, Lsoa.name, Lsoa.lad_code).where(Lsoa.code.in_(chunk)).order_by(Lsoa.edition)
        for code, name, lad in session.execute(bounded):
            ons[code] = (name or ons.get(code, ("", None))[0], lad or ons.get(code, ("", None))[1])
        counted = (
            select(Postcode.lsoa_code, sector, func.max(Postcode.lad_code), func.count())
            .where(Postcode.lsoa_code.in_(chunk))
            .group_by(Postcode.lsoa_code, sector)
        )
        for code, text, lad, count in session.execute(counted):
            sectors[code][str(text).strip()] += int(count)
            if lad:
                postcode_lads.setdefault(code, str(lad))
    lad_names = authority_names(session) if wanted else {}
    out: dict[str, PlaceName] = {}
    for code, group in members.items():
        counts: Counter[str] = Counter()
        for lsoa in group:
            counts.update(sectors.get(lsoa, Counter()))
        # Most postcodes first, then in postcode order; the ones named are then shown in postcode order.
        top = [s for s, _n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:MAX_SECTORS]]
        top.sort()
        lads = [ons.get(lsoa, ("", None))[1] or postcode_lads.get(lsoa) for lsoa in group]
        lad = next((x for x in lads if x), None)
        ons_name = _ons_name(code, group, ons)
        authority = lad_names.get(lad, "") if lad else ""
        kind = "MSOA" if code in msoas else "LSOA"
        detail = f"{kind} {ons_name}, {code}" if ons_name else f"{kind} {code}"
        out[code] = PlaceName(code, headline(authority, top, ons_name), detail, authority, tuple(top))
    return out


def _ons_name(code: str, group: list[str], ons: dict[str, tuple[str, str | None]]) -> str:
    """The ONS name: the LSOA's own, or for an MSOA its LSOAs' name without the letter ("Burnley 009")."""
    if group == [code]:
        return ons.get(code, ("", None))[0]
    names = sorted({ons.get(lsoa, ("", None))[0] for lsoa in group} - {""})
    return names[0][:-1] if names and re.search(r"\d{3}[A-Z]$", names[0]) else ""


def name_area(session: DbSession, code: str) -> PlaceName:
    """The ``PlaceName`` of one LSOA or MSOA code."""
    return name_areas(session, [code])[code]
