"""Where a gap is: a client's postcode, or a point on the map, turned into its LSOA and MSOA.

The postcode or the point is used here and then discarded; a flag keeps only the area codes. The MSOA
comes from the ``lsoa_msoa`` lookup (loaded by ``msoa_lookup``) and is None while that is not loaded.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from geo.distance import haversine_km

from ..core.db import DbSession
from ..core.validation import ValidationFailed
from ..models import Postcode
from ..models.backlog import LsoaMsoa
from ..search.query import SearchError, locate


@dataclass(frozen=True)
class Area:
    lsoa_code: str
    msoa_code: str | None
    lad_code: str | None
    district: str | None = None  # a flag for a whole postcode district ("FY1"); see area_from_postcode

    @property
    def key(self) -> str:
        return self.msoa_code or self.lsoa_code


def msoa_for(session: DbSession, lsoa_code: str) -> str | None:
    found = session.get(LsoaMsoa, lsoa_code)
    return found.msoa_code if found is not None else None


def area_from_postcode(session: DbSession, postcode: str) -> Area:
    """The LSOA (and MSOA) a full postcode lies in; the postcode itself is not kept.

    A district alone ("FY1", which search accepts too) is taken at that coarser level: a district covers
    several neighbourhoods, so the flag says so (``district``) rather than pretending to one of them. It joins
    the backlog by the neighbourhood at the district's middle (the LSOA of the live postcode nearest the
    centre of the district's postcodes), and the gap figures do not count it as that neighbourhood's flag.
    """
    try:
        origin = locate(session, postcode)
    except SearchError as exc:
        raise ValidationFailed({"postcode": str(exc)}) from None
    if origin.outward_only:
        middle = session.execute(
            select(Postcode.lsoa_code, Postcode.lad_code)
            .where(Postcode.pcds.like(f"{origin.postcode} %"), Postcode.lsoa_code.is_not(None))
            .order_by(func.abs(Postcode.latitude - origin.latitude) + func.abs(Postcode.longitude - origin.longitude))
            .limit(1)
        ).first()  # fmt: skip
        if middle is None:
            raise ValidationFailed({"postcode": f"No postcode in the district {origin.postcode} has a known "
                                                "neighbourhood: give the full postcode."})  # fmt: skip
        lsoa = str(middle[0])
        return Area(lsoa, msoa_for(session, lsoa), origin.lad_code or middle[1], district=origin.postcode)
    if not origin.lsoa_code:
        unknown = f"{origin.postcode} has no known neighbourhood in this directory's list of postcodes"
        raise ValidationFailed({"postcode": f"{unknown}: try a nearby one, or pick the place on the map."})
    return Area(origin.lsoa_code, msoa_for(session, origin.lsoa_code), origin.lad_code)


def area_from_point(session: DbSession, latitude: float, longitude: float, *, max_km: float) -> Area:
    """The LSOA of the nearest known postcode to a map point, if one is within ``max_km``."""
    if not (49.0 <= latitude <= 61.0 and -9.0 <= longitude <= 2.5):
        raise ValidationFailed({"point": "That point is not in England."})
    dlat = max_km / 111.0
    dlon = max_km / 60.0  # generous: a degree of longitude is at least 60 km anywhere in England
    near = session.execute(
        select(Postcode.latitude, Postcode.longitude, Postcode.lsoa_code, Postcode.lad_code).where(
            Postcode.latitude.between(latitude - dlat, latitude + dlat),
            Postcode.longitude.between(longitude - dlon, longitude + dlon),
            Postcode.lsoa_code.is_not(None),
        )
    ).all()
    best = min(near, key=lambda r: haversine_km(latitude, longitude, r[0], r[1]), default=None)
    if best is None or haversine_km(latitude, longitude, best[0], best[1]) > max_km:
        raise ValidationFailed(
            {"point": f"No postcode in this directory's postcode table is within {max_km:g} km of that point."}
        )
    lsoa = str(best[2])
    return Area(lsoa, msoa_for(session, lsoa), best[3])
