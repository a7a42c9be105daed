"""UK postcode normalisation (parsing by the maintained ``ukpostcodeparser`` library)."""

from __future__ import annotations

import pandas as pd
from ukpostcodeparser.parser import parse_uk_postcode


class InvalidPostcode(ValueError):
    """Raised when text is not a UK postcode; the message names the input."""


def normalise_postcode(text: str, *, allow_outward_only: bool = False) -> str:
    """Return a postcode in its official ``pcds`` form ("FY1 1AN"), or raise InvalidPostcode.

    With ``allow_outward_only`` an outward code alone ("FY1") is accepted and returned as is.
    """
    cleaned = " ".join((text or "").split()).upper()
    if not cleaned:
        raise InvalidPostcode("A postcode is needed.")
    try:
        outward, inward = parse_uk_postcode(
            cleaned,
            strict=True,
            incode_mandatory=not allow_outward_only,
        )
    except (ValueError, IndexError) as exc:
        raise InvalidPostcode(f"{text.strip()!r} is not a valid UK postcode.") from exc
    return f"{outward} {inward}".strip()


def postcode_key(pcds: str) -> str:
    """The join key for postcodes: upper case with every space removed."""
    return "".join(pcds.split()).upper()


def pcds_series(values: pd.Series) -> pd.Series:
    """Vectorised ``pcds`` form of many postcodes, as the official files spell them.

    Each value has its spaces removed, is upper-cased and gets one space before the
    last three characters ("fy11an", "FY1  1AN" and "FY11AN" all give "FY1 1AN").
    Values that cannot be a postcode (blank, or fewer than 5 or more than 7
    characters once spaces are removed) become ``None``. No full validation is done:
    the official files are trusted, and ``normalise_postcode`` is for user input.

    Parameters
    ----------
    values
        Postcodes as text, in any of the official forms (pcd7, pcd8, pcds).

    Returns
    -------
    pandas.Series
        Object dtype, same index as ``values``.
    """
    keys = values.astype("string").str.replace(r"\s+", "", regex=True).str.upper()
    shaped = keys.str.len().between(5, 7).fillna(False).astype(bool)
    formatted = keys.str.slice(0, -3) + " " + keys.str.slice(-3)
    return formatted.astype(object).where(shaped, None)
