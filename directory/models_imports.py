"""Models for: Importers, sources and run reports (issue 7)."""

from __future__ import annotations
