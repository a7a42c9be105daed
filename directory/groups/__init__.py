"""Rank 5: groups keep their own listings: edit links, changes held for review, requests to be listed and claims
to manage a listing; their pages and the `groups` command.
"""
