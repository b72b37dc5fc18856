"""The alerts behind a hot spot: GET /v1/hotspots/{place_id}/alerts lists the alerts counted into that place,
the same selection as its score; never a silent alert, a false alarm, a cancelled alert or an alert of the day
itself, for any role that may read hot spots."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import h3
import pytest

from tests.support.alert_items import stored_alert
from vigia import clock

READERS = ("operator", "police", "analyst", "admin")


def _alert(pack: Any, block: Any, created: datetime, type_: str, **extra: Any) -> dict[str, Any]:
    return stored_alert(block, created, pack.zone_info, type_, **extra)


@pytest.fixture
def busy_place(stack) -> dict[str, Any]:
    """A block with 6 robberies in the 4 weeks before `day`, and at the very same spot 6 silent alerts, a
    false alarm, a cancelled robbery and a robbery on `day` itself (after the hot spots' midnight)."""
    pack = stack.pack
    day = (datetime.now(UTC).astimezone(pack.zone_info) - timedelta(days=1)).date()
    midnight = datetime.combine(day, datetime.min.time(), pack.zone_info)
    second_quadrant = list(pack.quadrants)[1]  # Godoy Cruz's Q-02, Peñalolén's C-182
    block = next(b for b in pack.blocks.values() if b.quadrant_id == second_quadrant)
    counted, hidden = [], []
    for n in range(6):
        counted.append(_alert(pack, block, midnight - timedelta(days=1 + 3 * n, hours=n), "robbery"))
    for n in range(6):
        hidden.append(_alert(pack, block, midnight - timedelta(days=2 + n, minutes=7), "domestic_violence"))
    hidden.append(
        _alert(pack, block, midnight - timedelta(days=4, minutes=3), "robbery", status="false_alarm")
    )
    hidden.append(
        _alert(
            pack,
            block,
            midnight - timedelta(days=5, minutes=3),
            "robbery",
            status="cancelled",
            cancelled_at=clock.iso(midnight - timedelta(days=5)),
        )
    )
    hidden.append(_alert(pack, block, midnight + timedelta(hours=9), "robbery"))
    with stack.table("AlertsTable").batch_writer() as batch:
        for item in counted + hidden:
            batch.put_item(Item=item)
    place_id = h3.latlng_to_cell(block.centroid.lat, block.centroid.lon, pack.settings.hotspots.h3_resolution)
    return {"day": day.isoformat(), "place_id": place_id, "counted": counted, "hidden": hidden}


@pytest.mark.cities
def test_every_reader_sees_the_alerts_counted_into_a_place_and_never_a_silent_one(
    api, staff_claims, busy_place
):
    day, place_id = busy_place["day"], busy_place["place_id"]
    want = sorted(item["pk"] for item in busy_place["counted"])
    hidden = {item["pk"] for item in busy_place["hidden"]}
    for role in READERS:
        # Given the place's row in the day's hot spots
        ranked = api("GET", "/v1/hotspots", claims=staff_claims(role), query={"date": day})
        assert ranked.status == 200, ranked.body
        row = next(item for item in ranked.json["items"] if item["place_id"] == place_id)

        # When the reader opens the alerts behind it
        answer = api("GET", f"/v1/hotspots/{place_id}/alerts", claims=staff_claims(role), query={"date": day})

        # Then they are exactly the robberies counted into its score, as many as the hot spot says
        assert answer.status == 200, (role, answer.body)
        body = answer.json
        listed = [item["alert_id"] for item in body["items"]]
        assert sorted(listed) == want, role
        assert len(listed) == row["alerts"], role
        assert body["place_id"] == place_id
        assert body["date"] == day
        assert body["quadrant_id"] == row["quadrant_id"]
        assert {item["type"] for item in body["items"]} == {"robbery"}
        # newest first, each with its weight in the score
        times = [item["created_at"] for item in body["items"]]
        assert times == sorted(times, reverse=True)
        assert sum(item["weight"] for item in body["items"]) == pytest.approx(row["score"], abs=1e-3)
        # and no silent alert, false alarm, cancelled alert or alert of the day itself (id or type)
        assert not hidden & set(listed), role
        assert "domestic_violence" not in answer.body, role
        for pk in hidden:
            assert pk not in answer.body, role


def test_a_silent_alert_alone_at_a_place_lists_nothing(api, stack, staff_claims):
    # Given only silent alerts at a place (enough of them to pass the small-cell threshold)
    pack = stack.pack
    day = (datetime.now(UTC).astimezone(pack.zone_info) - timedelta(days=1)).date()
    midnight = datetime.combine(day, datetime.min.time(), pack.zone_info)
    block = next(b for b in pack.blocks.values() if b.quadrant_id == "Q-03")
    silent = [_alert(pack, block, midnight - timedelta(days=1 + n), "domestic_violence") for n in range(8)]
    with stack.table("AlertsTable").batch_writer() as batch:
        for item in silent:
            batch.put_item(Item=item)
    place_id = h3.latlng_to_cell(block.centroid.lat, block.centroid.lon, pack.settings.hotspots.h3_resolution)
    for role in READERS:
        # When any reader opens that place's alerts
        answer = api(
            "GET",
            f"/v1/hotspots/{place_id}/alerts",
            claims=staff_claims(role),
            query={"date": day.isoformat()},
        )
        # Then the list is empty and names none of them
        assert answer.status == 200, (role, answer.body)
        assert answer.json["items"] == [], role
        assert not any(item["pk"] in answer.body for item in silent), role


def test_other_roles_are_refused_and_unknown_or_malformed_places_are_problems(
    api, staff_claims, citizen, busy_place
):
    path = f"/v1/hotspots/{busy_place['place_id']}/alerts"
    for who, claims in (("response_team", staff_claims("response_team")), ("resident", citizen.claims)):
        answer = api("GET", path, claims=claims, query={"date": busy_place["day"]})
        assert answer.status == 403, (who, answer.body)
        assert busy_place["counted"][0]["pk"] not in answer.body
    assert api("GET", path, query={"date": busy_place["day"]}).status == 401
    analyst = staff_claims("analyst")
    # a real H3 cell far from the city is no place of it: 404
    elsewhere = h3.latlng_to_cell(40.4168, -3.7038, 9)
    answer = api("GET", f"/v1/hotspots/{elsewhere}/alerts", claims=analyst)
    assert answer.status == 404, answer.body
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    for bad in ("not-a-cell", "89B2EEAF193FFFF", "8" * 15):
        answer = api("GET", f"/v1/hotspots/{bad}/alerts", claims=analyst)
        assert answer.status in (400, 404), (bad, answer.body)
        assert answer.headers["Content-Type"].startswith("application/problem+json")
    answer = api("GET", path, claims=analyst, query={"date": "2026-02-30"})
    assert answer.status == 400, answer.body
    assert answer.json["errors"][0]["path"] == "/date"
