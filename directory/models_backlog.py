"""Models for: Gap flags and the community-development backlog (issue 5)."""

from __future__ import annotations
