"""Models for: Group self-service, freshness reminders and scheduled jobs (issue 6)."""

from __future__ import annotations
