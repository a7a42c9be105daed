"""Models for: Deprivation, boundaries and gap scores (issue 4)."""

from __future__ import annotations
