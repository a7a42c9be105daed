"""The personal-data guard for free text (see ``guard``): names, addresses, contact details, dates, ages."""

from .contact import nhs_number_is_valid
from .guard import KINDS, MASKS, MAX_TEXT, Finding, describe, find_personal_data, mask

__all__ = ["KINDS", "MASKS", "MAX_TEXT", "Finding", "describe", "find_personal_data", "mask", "nhs_number_is_valid"]
