"""Rank 9: the seeded demo directory (Blackpool, Burnley, Pendle and Rossendale) and its invented content."""
