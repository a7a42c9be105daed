"""English local authorities (local authority districts) by code and by name, without a database or a network.

The names are those of the English Indices of Deprivation 2019 shipped in the package (all 317 districts of
England in 2019, as MHCLG published them), with the unitary authorities made since then. People write names;
codes such as ``E06000009`` are for data, so forms take either and pages show names.
"""

from __future__ import annotations

import csv
import functools
import gzip
import re
from collections.abc import Iterable

from geo.readers.packaged_deprivation import PACKAGED_IOD2019

#: Unitary authorities created after 2019 (Buckinghamshire 2020, Northamptonshire 2021, Cumbria, North
#: Yorkshire and Somerset 2023), which the 2019 files cannot name.
SINCE_2019 = {
    "E06000060": "Buckinghamshire",
    "E06000061": "North Northamptonshire",
    "E06000062": "West Northamptonshire",
    "E06000063": "Cumberland",
    "E06000064": "Westmorland and Furness",
    "E06000065": "North Yorkshire",
    "E06000066": "Somerset",
}
CODE = re.compile(r"^E0[6-9]\d{6}$")
# Official names put a qualifier after a comma ("Bristol, City of"): a reader writes "City of Bristol".
_QUALIFIED = re.compile(r"^(?P<place>.+), (?P<kind>City of|County of)$")


@functools.lru_cache(maxsize=1)
def authority_names() -> dict[str, str]:
    """Every known English local authority: code -> name as a reader writes it ("City of Bristol").

    Returns
    -------
    dict
        Codes (``E06``-``E09``) to names, read once per process from the packaged IoD2019 file.
    """
    names: dict[str, str] = {}
    with gzip.open(PACKAGED_IOD2019, "rt", encoding="utf-8", newline="") as raw:
        for row in csv.DictReader(raw):
            names.setdefault(row["lad_code"], display_name(row["lad_name"]))
    names.update(SINCE_2019)
    return names


def display_name(official: str) -> str:
    """An official name as a reader writes it: "Bristol, City of" -> "City of Bristol"; others unchanged."""
    found = _QUALIFIED.match(official.strip())
    return f"{found['kind']} {found['place']}" if found else official.strip()


def _key(name: str) -> str:
    return " ".join(re.sub(r"[,.\-']", " ", name.lower().replace("&", " and ")).split())


@functools.lru_cache(maxsize=1)
def _codes_by_name() -> dict[str, str]:
    codes: dict[str, str] = {}
    for code, name in authority_names().items():
        codes[_key(name)] = code
        found = re.match(r"^(?P<kind>City|County) of (?P<place>.+)$", name)
        if found:  # "City of Bristol", "Bristol, City of" and "Bristol" all name it
            codes.setdefault(_key(f"{found['place']} {found['kind']} of"), code)
            codes.setdefault(_key(found["place"]), code)
    return codes


def authority_code(written: str) -> str | None:
    """The code of the authority ``written`` names (a name in any case, or a code); None when unknown."""
    text = written.strip()
    if CODE.match(text.upper()):
        return text.upper()
    return _codes_by_name().get(_key(text))


def split_authorities(written: str) -> list[str]:
    """The authorities in a list a person typed, separated by commas, semicolons or new lines.

    A name that holds a comma stays whole: "Bristol, City of, Fylde" and "Bournemouth, Christchurch and
    Poole, Dorset" are two authorities each.
    """
    parts = [part.strip() for part in re.split(r"[,;\n]", written) if part.strip()]
    found: list[str] = []
    index = 0
    while index < len(parts):
        pair = ", ".join(parts[index : index + 2])
        if index + 1 < len(parts) and authority_code(pair) is not None:
            found.append(pair)
            index += 2
        else:
            found.append(parts[index])
            index += 1
    return found


def authority_name(code: str, names: Iterable[tuple[str, str]] = ()) -> str:
    """The name to show for ``code``: from ``names`` (say, a database's own) first, else the packaged list;
    the code itself only when no list knows it."""
    own = dict(names)
    return own.get(code) or authority_names().get(code) or code
