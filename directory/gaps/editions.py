"""Which LSOA edition (2011 or 2021) the gap data is on: the join coverage of each edition held, the edition
to compute on, and the edition pages show.

LSOA codes are always kept with their edition: boundaries of one edition do not join to deprivation of
the other (unless it was carried across by the ONS lookup, see ``lsoa_lookup``). Coverage says, per
edition, how many LSOAs have boundaries, deprivation or both, and what to do when they do not join;
import reports and the gap pages show it. The latest gap run is read here too, since its edition is
the one pages show.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from ..core.db import DbSession
from ..models import Deprivation, GapRun, Lsoa
from .cache import data_version, render_cache


@dataclass
class Coverage:
    """How many LSOAs of one edition have both boundaries and deprivation figures."""

    edition: str
    boundaries: int
    deprivation: int
    matched: int
    note: str = ""
    carried: int = 0  # deprivation rows carried from the other edition by the ONS lookup

    def __str__(self) -> str:
        carried = (
            f" ({self.carried:,} carried from LSOA {'2021' if self.edition == '2011' else '2011'} by the ONS lookup)"
            if self.carried
            else ""
        )
        text = (
            f"LSOA {self.edition}: {self.boundaries:,} with boundaries, {self.deprivation:,} with deprivation"
            f"{carried}, {self.matched:,} with both"
        )
        return text + (f". {self.note}" if self.note else ".")


def coverage(session: DbSession) -> list[Coverage]:
    """Join coverage of boundaries and deprivation for each LSOA edition held."""
    carried = dict(
        session.execute(
            select(Deprivation.edition, func.count()).where(Deprivation.carried != "").group_by(Deprivation.edition)
        ).all()
    )
    counts: dict[str, list[int]] = {}
    for edition, count in session.execute(select(Lsoa.edition, func.count()).group_by(Lsoa.edition)):
        counts.setdefault(edition, [0, 0])[0] = count
    for edition, count in session.execute(select(Deprivation.edition, func.count()).group_by(Deprivation.edition)):
        counts.setdefault(edition, [0, 0])[1] = count
    out = []
    for edition, (boundaries, deprivation) in sorted(counts.items()):
        matched = (
            session.scalar(
                select(func.count())
                .select_from(Lsoa)
                .join(Deprivation, (Deprivation.lsoa_code == Lsoa.code) & (Deprivation.edition == Lsoa.edition))
                .where(Lsoa.edition == edition)
            )
            or 0
        )
        note = ""
        others = [e for e in counts if e != edition]
        if boundaries and not deprivation and any(counts[o][1] for o in others):
            note = (
                f"Deprivation is held only for LSOA {', '.join(o for o in others if counts[o][1])}, which does "
                f"not join to LSOA {edition} boundaries: import IoD2019 with LSOA 2011 boundaries, or IoD2025 "
                "with LSOA 2021 boundaries, or carry it across with the ONS LSOA 2011 to 2021 lookup "
                "(`asset-directory geo import-lsoa-lookup FILE`)"
            )
        elif deprivation and not boundaries and any(counts[o][0] for o in others):
            note = (
                f"Boundaries are held only for LSOA {', '.join(o for o in others if counts[o][0])}; these "
                f"LSOA {edition} deprivation figures cannot be mapped until LSOA {edition} boundaries are imported"
            )
        elif boundaries and matched < boundaries and deprivation:
            note = f"{boundaries - matched:,} LSOAs with boundaries have no deprivation figures"
        out.append(Coverage(edition, boundaries, deprivation, matched, note, carried.get(edition, 0)))
    return out


def other_edition(edition: str) -> str:
    return "2021" if edition == "2011" else "2011"


def choose_edition(session: DbSession) -> str | None:
    """The LSOA edition to compute on: the newer one (LSOA 2021, IoD2025) as soon as any of its boundaries join
    deprivation, so an imported IoD2025 replaces the IoD2019 shipped in the package; else the one whose
    boundaries and deprivation match most."""
    held = coverage(session)
    with_boundaries = [c for c in held if c.boundaries]
    if not with_boundaries:
        return None
    return max(with_boundaries, key=lambda c: (c.matched > 0, c.edition, c.matched, c.boundaries)).edition


#: The release of the English Indices of Deprivation each source kind names ("IoD2019 File 1 + ...").
_RELEASE_YEARS = {"IoD2019": "2019", "IoD2025": "2025", "IoD2015": "2015"}


def deprivation_release(session: DbSession, edition: str | None) -> str | None:
    """The name of the deprivation release pages show for an LSOA edition, e.g. "English Indices of Deprivation
    2019" (with ", carried to LSOA 2021" when its figures were carried across by the ONS lookup); None when
    that edition has no deprivation."""
    if edition is None:
        return None
    kind = session.scalars(
        select(Deprivation.source_kind).where(Deprivation.edition == edition).order_by(Deprivation.carried).limit(1)
    ).first()
    if kind is None:
        return None
    year = next((y for prefix, y in _RELEASE_YEARS.items() if kind.startswith(prefix)), None)
    name = f"English Indices of Deprivation {year}" if year else f"English Indices of Deprivation ({kind})"
    return name + (f", carried to LSOA {edition}" if "carried from" in kind else "")


def latest_run(session: DbSession) -> GapRun | None:
    return session.scalars(select(GapRun).order_by(GapRun.computed_at.desc(), GapRun.id.desc())).first()


def page_edition(session: DbSession) -> str | None:
    """The LSOA edition pages show: the latest gap run's, else the one a computation would choose."""
    run = latest_run(session)
    return run.lsoa_edition if run is not None else choose_edition(session)


def shown_release(session: DbSession) -> str | None:
    """The deprivation release the gap pages show (that of ``page_edition``), kept per process until the gap data
    changes: every page that shows deprivation names it."""
    key = ("deprivation-release", data_version(session))
    return (
        render_cache().get_or_make(
            key, lambda: deprivation_release(session, page_edition(session)) or "", lambda made: 100 + len(made)
        )
        or None
    )
