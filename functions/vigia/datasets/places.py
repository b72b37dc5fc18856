"""The city pack's places as ingestion places a record: a point's block and quadrant, a block's quadrant."""

from __future__ import annotations

from dataclasses import dataclass

from vigia.city import CityPack
from vigia.datasets.manifest import Place


@dataclass(frozen=True)
class PackZones:
    """vigia.datasets.ingestion.Zones over a city pack."""

    pack: CityPack

    @property
    def city_zone(self) -> tuple[str, str]:
        """The whole city as the observatory names it: its INDEC department or CUT comuna."""
        kind = {"INDEC": "department", "CUT": "comuna"}.get(self.pack.official_code.scheme, "city")
        return kind, self.pack.official_code.value if kind != "city" else self.pack.city_id

    def block_at(self, lat: float, lon: float) -> tuple[str, str] | None:
        block = self.pack.block_at(lat, lon)
        return None if block is None else (block.block_id, block.quadrant_id)

    def quadrant_of(self, block_id: str) -> str | None:
        block = self.pack.blocks.get(block_id)
        return None if block is None else block.quadrant_id

    def has_quadrant(self, quadrant_id: str) -> bool:
        return quadrant_id in self.pack.quadrants


def place_of(pack: CityPack) -> Place:
    """What a manifest is checked against (its country, official code, block and quadrant ids)."""
    return Place(
        country_code=pack.country_code,
        official_scheme=pack.official_code.scheme,
        official_code=pack.official_code.value,
        blocks=frozenset(pack.blocks),
        quadrants=frozenset(pack.quadrants),
    )
