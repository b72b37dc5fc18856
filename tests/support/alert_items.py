"""One stored Alerts item as intake writes it, for tests that put history straight into the table (the
nightly indicators, hot spots, exports) instead of sending each alert through the API."""

from __future__ import annotations

from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Any

from vigia import clock


def stored_alert(
    block: Any, created: datetime, zone: tzinfo, type_: str = "robbery", **extra: Any
) -> dict[str, Any]:
    """The Alerts item of a resolved `type_` alert at `block`'s centroid, filed under its local date in
    `zone`; `extra` overrides or adds attributes (pk, sender_id, note, lifecycle fields …)."""
    return {
        "pk": clock.new_id(created),
        "sk": "ALERT",
        "type": type_,
        "silent": type_ == "domestic_violence",
        "priority": 2,
        "sender_id": f"resident-{created.timestamp()}",
        "location": {
            "lat": Decimal(str(round(block.centroid.lat, 6))),
            "lon": Decimal(str(round(block.centroid.lon, 6))),
        },
        "block_id": block.block_id,
        "quadrant_id": block.quadrant_id,
        "status": "resolved",
        "created_at": clock.iso(created),
        "local_date": created.astimezone(zone).date().isoformat(),
        **extra,
    }


def wire(item: dict[str, Any]) -> dict[str, Any]:
    """An item in DynamoDB's wire format (`{"S": …}`, `{"N": …}`), for the low-level client's put_item."""
    from boto3.dynamodb.types import TypeSerializer

    serializer = TypeSerializer()
    return {name: serializer.serialize(value) for name, value in item.items()}
