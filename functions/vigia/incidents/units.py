"""The city's police units as operators see them (GET /v1/units and the units' own routes)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from vigia.city import CityPack
from vigia.incidents.lifecycle import Unit


def unit_item(unit: Unit, pack: CityPack, *, now: datetime) -> dict[str, Any]:
    """A police unit as operators see it: its live status, its alert, and whether it is on shift now."""
    info = pack.units.get(unit.unit_id)
    local = now.astimezone(pack.zone_info).time()
    return {
        "unit_id": unit.unit_id,
        "name": info.name if info else None,
        "quadrant_id": info.quadrant_id if info else None,
        "status": unit.status,
        "alert_id": unit.alert_id,
        "on_duty": info.on_duty(local) if info else None,
        "crew_size": len(unit.crew),
        # the police view lands on the car whose crew holds the signed-in officer (user ids, not names)
        "crew": sorted(unit.crew),
        "updated_at": unit.updated_at,
    }
