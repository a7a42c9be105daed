"""Rank 4: the Open Referral UK 3.0 read API and exports (JSON, CSV, GeoJSON)."""
