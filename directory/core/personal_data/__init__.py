"""The personal-data guard for free text (see ``guard``): names, addresses, contact details, dates, ages."""

from .contact import nhs_number_is_valid
from .guard import KINDS, MASKS, MAX_TEXT, Finding, describe, find_personal_data, mask
from .overrides import (
    PersonalDataFound,
    PersonalDataOverride,
    Screened,
    overridden,
    record_override,
    screen,
    screen_or_refuse,
)

__all__ = [
    "KINDS", "MASKS", "MAX_TEXT", "Finding", "PersonalDataOverride", "Screened", "describe", "find_personal_data",
    "mask", "nhs_number_is_valid", "overridden", "PersonalDataFound", "record_override", "screen", "screen_or_refuse",
]  # fmt: skip
