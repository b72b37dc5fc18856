"""Benchmarks: each module prints figures; `python -m bench` runs them all; nothing fails on time."""
