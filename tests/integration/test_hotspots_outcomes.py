"""Hot spots read from the Alerts table never count false alarms or alerts their senders cancelled."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import h3

from vigia import clock


def test_a_block_flooded_with_false_alarms_and_cancelled_alerts_is_no_hot_spot(api, staff_claims, stack):
    # Given, in the four weeks before a day, 40 false alarms and 40 alerts their senders cancelled on
    # two neighbouring blocks of Q-01, and 6 real robberies on one block of Q-02
    pack = stack.pack
    day = (datetime.now(UTC).astimezone(pack.zone_info) - timedelta(days=1)).date()
    start = datetime.combine(day, datetime.min.time(), pack.zone_info)
    flooded = [b for b in pack.blocks.values() if b.quadrant_id == "Q-01"][:2]
    real = next(b for b in pack.blocks.values() if b.quadrant_id == "Q-02")
    resolution = pack.settings.hotspots.h3_resolution
    written = 0
    with stack.table("AlertsTable").batch_writer() as batch:
        for n in range(86):
            if n < 80:
                block, status = flooded[n % 2], ("false_alarm", "cancelled")[n % 4 // 2]
            else:
                block, status = real, "resolved"
            created = start - timedelta(hours=2 + n * 3)
            item = {
                "pk": clock.new_id(created),
                "sk": "ALERT",
                "type": "robbery",
                "silent": False,
                "priority": 2,
                "sender_id": f"wolf-{n}",
                "location": {
                    "lat": Decimal(str(round(block.centroid.lat, 6))),
                    "lon": Decimal(str(round(block.centroid.lon, 6))),
                },
                "block_id": block.block_id,
                "quadrant_id": block.quadrant_id,
                "status": status,
                "created_at": clock.iso(created),
                "local_date": created.astimezone(pack.zone_info).date().isoformat(),
            }
            item[f"{status}_at"] = clock.iso(created + timedelta(minutes=5))
            batch.put_item(Item=item)
            written += 1

    # When police read the day's hot spots
    answer = api("GET", "/v1/hotspots", claims=staff_claims("police"), query={"date": day.isoformat()})

    # Then only the real robberies weigh: the flooded blocks' places have no score and are no hot spot,
    # and the real block's place is first
    assert answer.status == 200, answer.body
    body = answer.json
    flooded_cells = {h3.latlng_to_cell(b.centroid.lat, b.centroid.lon, resolution) for b in flooded}
    real_cell = h3.latlng_to_cell(real.centroid.lat, real.centroid.lon, resolution)
    scored = {item["place_id"]: item for item in body["items"]}
    assert not flooded_cells & set(scored), [scored[c] for c in flooded_cells & set(scored)]
    assert body["items"][0]["place_id"] == real_cell
    assert body["alerts_counted"] == 6
    assert body["alerts_not_counted"] == 80
    assert written == 86
