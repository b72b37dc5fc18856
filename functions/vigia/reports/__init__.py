"""Residents' reports of unsafe places and non-emergencies, in Vigía's /v1 and as Open311 GeoReport v2."""
