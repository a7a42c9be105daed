"""Rank 5: gap flags from link workers, the personal-data guard, clustering into backlog items and their
workflow; their pages and the `backlog` command.
"""
