"""The AlertCreated event (schemas/events/alert-created.json), built from a stored alert."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def alert_created(image: Mapping[str, Any], *, city_id: str) -> dict[str, Any]:
    """The event for a newly stored alert. No personal data: consumers read the store for what they need."""
    return {
        "event_type": "AlertCreated",
        "event_version": 1,
        "event_id": f"{image['pk']}:created",
        "city_id": city_id,
        "alert_id": str(image["pk"]),
        "type": str(image["type"]),
        "priority": int(image["priority"]),
        "block_id": image.get("block_id"),
        "quadrant_id": image.get("quadrant_id"),
        "created_at": str(image["created_at"]),
        "local_date": str(image["local_date"]),
    }


def routing_attributes(event: Mapping[str, Any]) -> dict[str, str]:
    """SNS message attributes subscribers filter on (never personal data)."""
    return {"event_type": str(event["event_type"]), "alert_type": str(event["type"])}
