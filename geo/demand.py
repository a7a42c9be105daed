"""Demand per LSOA x category: signposting and gap-flag events over the LSOA and its neighbours in a window."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from geo.frames import lsoa_edition_of, require_columns

__all__ = ["DEMAND_KINDS", "demand"]

#: The kinds of demand event :func:`demand` counts.
DEMAND_KINDS = ("signposting", "gap-flag")


def _timestamp(value: object, what: str) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise ValueError(f"demand needs {what} as a date or datetime, not {value!r}.") from exc
    if pd.isna(stamp):
        raise ValueError(f"demand needs {what} as a date or datetime, not {value!r}.")
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def demand(
    events: pd.DataFrame,
    neighbours: pd.DataFrame,
    *,
    since: dt.date | dt.datetime | str,
    until: dt.date | dt.datetime | str | None = None,
) -> pd.DataFrame:
    """Signposting and gap-flag events per LSOA x category, over the LSOA and its neighbours.

    An event in LSOA B counts for LSOA A when A is B or A and B are neighbours, so demand
    recorded on one side of a boundary is seen on both.

    Parameters
    ----------
    events
        ``lsoa_code``, ``category``, ``kind`` ("signposting" or "gap-flag") and
        ``occurred_at`` (datetime or ISO text; naive times are taken as UTC).
    neighbours
        ``lsoa_code``, ``neighbour_code`` pairs (as from :func:`neighbours`).
    since
        Start of the window, inclusive (a date means its midnight, UTC).
    until
        End of the window, exclusive; None means no end.

    Returns
    -------
    pandas.DataFrame
        One row per (``lsoa_code``, ``category``) with at least one event in reach:
        ``signposting``, ``gap_flags`` and ``events`` (their sum), all int. Sorted by
        ``lsoa_code``, ``category``. ``attrs``: ``since``, ``until``, ``events_in_window``.

    Raises
    ------
    ValueError
        When a column is missing, a kind is not one of :data:`DEMAND_KINDS`, or a time
        cannot be read.
    """
    require_columns(events, ["lsoa_code", "category", "kind", "occurred_at"], "demand needs events")
    require_columns(neighbours, ["lsoa_code", "neighbour_code"], "demand needs neighbours")
    unknown = sorted(set(pd.unique(events["kind"].dropna().astype(str))) - set(DEMAND_KINDS))
    if unknown or events["kind"].isna().any():
        raise ValueError(
            f"demand counts events of kind {' or '.join(map(repr, DEMAND_KINDS))}; got {unknown or ['a blank kind']}.",
        )
    start = _timestamp(since, "since")
    end = _timestamp(until, "until") if until is not None else None
    try:
        occurred = pd.to_datetime(events["occurred_at"], utc=True, format="mixed")
    except (TypeError, ValueError) as exc:
        raise ValueError(f"demand cannot read the events' occurred_at times ({exc}).") from exc
    in_window = (occurred >= start).to_numpy(dtype=bool)
    if end is not None:
        in_window = in_window & (occurred < end).to_numpy(dtype=bool)
    chosen = events.loc[in_window, ["lsoa_code", "category", "kind"]].astype(str)
    chosen = chosen.assign(
        signposting=(chosen["kind"] == "signposting").astype("int64"),
        gap_flags=(chosen["kind"] == "gap-flag").astype("int64"),
    )
    counts = chosen.groupby(["lsoa_code", "category"], as_index=False)[["signposting", "gap_flags"]].sum()
    pairs = neighbours.loc[neighbours["lsoa_code"] != neighbours["neighbour_code"], ["lsoa_code", "neighbour_code"]]
    sources = counts["lsoa_code"].drop_duplicates()
    pairs = pd.concat(
        [pairs.astype(str), pd.DataFrame({"lsoa_code": sources, "neighbour_code": sources})],
        ignore_index=True,
    ).drop_duplicates()
    reached = pairs.merge(counts.rename(columns={"lsoa_code": "neighbour_code"}), on="neighbour_code")
    out = reached.groupby(["lsoa_code", "category"], as_index=False)[["signposting", "gap_flags"]].sum()
    out = out.astype({"signposting": "int64", "gap_flags": "int64"})
    out["events"] = out["signposting"] + out["gap_flags"]
    out = out.sort_values(["lsoa_code", "category"], ignore_index=True)
    out.attrs.update(since=start, until=end, events_in_window=int(in_window.sum()))
    edition = lsoa_edition_of(neighbours)
    if edition is not None:
        out.attrs["lsoa_edition"] = edition
    return out
