"""Godoy Cruz's city pack, loaded once per process for every test and benchmark that reads it."""

from __future__ import annotations

import functools
from pathlib import Path

from vigia.city import CityPack, load_city_pack

ROOT = Path(__file__).resolve().parents[2]
PACK_DIR = ROOT / "infra/cities/godoy-cruz"
SCHEMA = ROOT / "schemas/city.schema.json"


@functools.cache
def godoy_cruz_pack() -> CityPack:
    """The pack as the functions load it; cached: loading and checking it is the slow part of set-up."""
    return load_city_pack(PACK_DIR, SCHEMA)
