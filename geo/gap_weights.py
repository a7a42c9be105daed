"""The weights and scales of the gap score (:class:`GapWeights`), and the national LSOA counts ranks are scaled by.

docs/gap-score.md explains each weight, the defaults and the settings that change them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["NATIONAL_LSOAS", "GapWeights"]

#: Number of LSOAs in England per edition: the rank of the least deprived LSOA in the IoD.
NATIONAL_LSOAS = {"2011": 32_844, "2021": 33_755}


@dataclass(frozen=True)
class GapWeights:
    """The weights and scales of the gap score (see docs/gap-score.md).

    Attributes
    ----------
    deprivation
        Weight of the deprivation part (setting ``DIRECTORY_GAP_WEIGHT_DEPRIVATION``), default 0.4.
    provision
        Weight of the provision part (setting ``DIRECTORY_GAP_WEIGHT_PROVISION``), default 0.4.
    demand
        Weight of the demand part (setting ``DIRECTORY_GAP_WEIGHT_DEMAND``), default 0.2.
    distance_scale_m
        Metres at which the distance term reaches 1 - 1/e = 0.63 (setting
        ``DIRECTORY_GAP_DISTANCE_SCALE_M``), default 2000.
    per_1000_reference
        Services per 1,000 residents at which the shortage term falls to 1/e = 0.37, default 1.0.
    area_covered_relief
        Share of the provision part removed when an area-wide service covers the LSOA's
        local authority, 0..1, default 0.5.
    demand_full_at
        Events (signpostings plus gap flags, in the LSOA and its neighbours, in the window)
        at which the demand part reaches 1, default 20.

    The weights need not sum to 1: the score divides by their sum. All must be >= 0 and
    at least one > 0.
    """

    deprivation: float = 0.4
    provision: float = 0.4
    demand: float = 0.2
    distance_scale_m: float = 2000.0
    per_1000_reference: float = 1.0
    area_covered_relief: float = 0.5
    demand_full_at: float = 20.0

    def __post_init__(self) -> None:
        weights = {"deprivation": self.deprivation, "provision": self.provision, "demand": self.demand}
        bad = {name: value for name, value in weights.items() if not (np.isfinite(value) and value >= 0)}
        if bad:
            raise ValueError(f"Gap score weights must be finite numbers >= 0; got {bad}.")
        if sum(weights.values()) <= 0:
            raise ValueError("At least one gap score weight (deprivation, provision, demand) must be above 0.")
        for name in ("distance_scale_m", "per_1000_reference", "demand_full_at"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value > 0):
                raise ValueError(f"GapWeights.{name} must be a number above 0, not {value}.")
        if not 0 <= self.area_covered_relief <= 1:
            raise ValueError(f"GapWeights.area_covered_relief must be between 0 and 1, not {self.area_covered_relief}.")

    @property
    def total(self) -> float:
        """The sum of the three weights, which the score divides by."""
        return self.deprivation + self.provision + self.demand
