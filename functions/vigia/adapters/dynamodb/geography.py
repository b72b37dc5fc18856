"""GeographyTable: blocks, quadrants and siren units of the city pack (pk = BLOCK#id / QUADRANT#id,
sk = kind), loaded by the seed tools (infra/local/seed.py); the functions read the city pack itself."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import MapAttribute, NumberAttribute, UnicodeAttribute

from vigia.adapters.dynamodb.binding import Record, table, unbound


@table("geography_table")
class GeographyRecord(Record):
    Meta = unbound()
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute(null=True)
    quadrant_id = UnicodeAttribute(null=True)
    population = NumberAttribute(null=True)
    lat = NumberAttribute(null=True)
    lon = NumberAttribute(null=True)
    data = MapAttribute[str, Any](null=True)
