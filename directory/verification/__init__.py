"""Rank 6: keeping listings true: reminder emails, one-click answers from groups, staff follow-ups and the
verification queue; their pages.
"""
