"""Checks `make lint` runs beside ruff and mypy (import-linter contracts of our own)."""
