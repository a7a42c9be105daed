"""Rank 3: organisations and services: the one write path (operations), its rules and batched form, revisions as
snapshots, read queries, categories, freshness, timetables, referral forms, the search index and the postcode
table; staff pages for services and organisations.
"""
