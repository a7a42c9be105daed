"""Rank 7: importing outside listings: sources, runs and their queue, the record writer, merge review and website
checks; their pages and the `import` command.
"""
