"""Session fixtures every test layer shares: the city pack, loaded once."""

from __future__ import annotations

import pytest

from tests.support import godoy_cruz_pack
from vigia.city import CityPack


@pytest.fixture(scope="session")
def city_pack() -> CityPack:
    """Godoy Cruz's pack as the functions load it (the same object `godoy_cruz_pack()` returns)."""
    return godoy_cruz_pack()
