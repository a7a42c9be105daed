"""Rank 0: what every package shares: settings, the database handle, the clock, vocabularies, validation, email,
CSRF, per-process caches, small database facts, and who writes (Actor) with the write errors.
"""
