"""Rank 4: finding services: the search engine, full-text matching, synonyms, results as JSON, the signposting
basket and sheet; the public search and listing pages.
"""
