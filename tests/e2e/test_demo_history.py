"""The demo's past (infra/local/demo_history.py): a stack started with VIGIA_DEMO_HISTORY_DAYS has hot spots,
indicators, patrol schedules with check-ins and a closed queue on its first answer, and its silent alerts are
sealed like real ones: nothing in them is readable by an operator."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from boto3.dynamodb.types import TypeDeserializer

from tests.e2e.conftest import ROOT, LocalStackProcess

DAYS = 14


def _alert_items(stack: LocalStackProcess) -> list[dict[str, Any]]:
    """Every alert item of the emulator's Alerts table (the test looks behind the API)."""
    ddb = stack.aws("dynamodb")
    table = stack.outputs["Resources"]["AlertsTable"]
    found: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": table}
    while True:
        page = ddb.scan(**kwargs)
        found += [{k: TypeDeserializer().deserialize(v) for k, v in i.items()} for i in page["Items"]]
        if "LastEvaluatedKey" not in page:
            return [i for i in found if i.get("sk") == "ALERT"]
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def test_a_stack_with_history_is_alive_on_first_start(
    start_local_stack: Callable[..., LocalStackProcess],
) -> None:
    # Given a stack started with two weeks of demo history
    stack = start_local_stack(env={"VIGIA_DEMO_HISTORY_DAYS": str(DAYS)}, wait=False).wait_ready(timeout=240)
    history = stack.outputs["DemoHistory"]
    assert history["Days"] == DAYS
    assert history["Alerts"] > DAYS * 5
    assert history["SilentAlerts"] >= 1
    assert "Demo history   14 days" in stack.log()  # the banner says what it loaded and what it cost
    operator, analyst = stack.client("operator"), stack.client("analyst")
    pack = json.loads((ROOT / "infra" / "cities" / stack.outputs["City"] / "city.json").read_text())
    yesterday = (datetime.now(ZoneInfo(pack["time_zone"])).date() - timedelta(days=1)).isoformat()

    # Then the map has hot spots from that history
    hot = operator.get("/v1/hotspots?limit=10")
    assert hot.status_code == 200, hot.text
    assert hot.json()["alerts_counted"] > 0
    assert hot.json()["hot_spots"] > 0

    # and yesterday's indicators were computed by the nightly function
    indicators = analyst.get(f"/v1/indicators?from={yesterday}&to={yesterday}")
    assert indicators.status_code == 200, indicators.text
    city = [r for r in indicators.json()["items"] if r["zone_level"] == "city" and r["type"] == "all"]
    assert city
    assert city[0]["count"] > 0

    # and yesterday had a patrol schedule, and its units checked in
    schedule = operator.get(f"/v1/patrol-schedules/{yesterday}")
    assert schedule.status_code == 200, schedule.text
    assert any(unit["stops"] for unit in schedule.json()["units"])
    dosage = operator.get(f"/v1/patrols/dosage?date={yesterday}")
    assert dosage.status_code == 200, dosage.text
    assert any(unit["stops_done"] > 0 for unit in dosage.json()["units"]), dosage.text

    # and the closed queue has resolved alerts, false alarms and cancellations, with response times
    closed: dict[str, list[dict[str, Any]]] = {}
    for status in ("resolved", "false_alarm", "cancelled"):
        answer = operator.get(f"/v1/alerts?status={status}&limit=100")
        assert answer.status_code == 200, answer.text
        closed[status] = answer.json()["items"]
        assert closed[status], f"no {status} alert in the history"
    assert any(item.get("response_time_s") for item in closed["resolved"])

    # and no silent alert of the history is readable by an operator: sealed like a real one
    items = _alert_items(stack)
    silent = [i for i in items if i.get("silent")]
    assert silent
    for item in silent:
        assert item["sealed"]
        assert item.get("location") is None
        assert item["sender_id"].startswith("sealed#")
        assert item["type"] == "silent"
        assert item.get("block_id") is None
        assert item.get("note") is None
        seen = operator.get(f"/v1/alerts/{item['pk']}")
        shown = json.dumps(seen.json()) if seen.content else ""
        assert seen.status_code in (200, 403, 404), seen.text
        for secret in ("location", "sender_id", "block_id", "note", "lat", "lon"):
            assert f'"{secret}"' not in shown, f"an operator reads {secret} of silent alert {item['pk']}"
    listed = [i for status in closed for i in closed[status]]
    listed += operator.get("/v1/alerts?limit=200").json()["items"]
    silent_ids = {i["pk"] for i in silent}
    for entry in listed:
        if entry["alert_id"] in silent_ids:
            assert entry.get("type") in (None, "silent")
            assert "location" not in entry
            assert "sender_id" not in entry

    # and nothing of the history left the system (no SMS, siren or webhook for a past alert) ...
    history_ids = {i["pk"] for i in items}
    assert not [m for m in stack.outbox() if m.get("alert_id") in history_ids]
    # ... while an alert sent now is relayed and dispatched as on any stack
    place = hot.json()["items"][0]["centroid"]
    sent = stack.client("citizen").post(
        "/v1/alerts", json={"type": "suspicious_activity", "location": {**place, "accuracy_m": 10}}
    )
    assert sent.status_code == 202, sent.text
    new_id = sent.json()["alert_id"]
    assert stack.wait_for(lambda: [m for m in stack.outbox() if m.get("alert_id") == new_id], timeout=60)

    # while the response team opens one: the envelope is real (KMS on the emulator), a demo resident's
    opened = stack.client("response_team").get(f"/v1/silent-alerts/{silent[0]['pk']}")
    assert opened.status_code == 200, opened.text
    assert opened.json()["sender"]["resident_id"].startswith("seed-")
    assert opened.json()["location"]["lat"]
