"""Rank 5: deprivation, boundaries and provision: gap computation, area data, authority outlines, the gap map and
its cache, tables and exports; their pages and commands.
"""
