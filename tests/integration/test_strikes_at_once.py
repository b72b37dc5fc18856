"""False-alarm strikes hold when operators mark a resident's alerts at once, each in its own environment."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal

import pytest
from boto3.dynamodb.conditions import Key

from tests.integration.concurrent_stack import ServerStack, run_at_once, server_stack
from tests.support import api_event, godoy_cruz_pack

PACK = godoy_cruz_pack()
BLOCK = next(iter(PACK.blocks.values()))
LAT, LON = BLOCK.centroid
OPERATORS = [{"sub": f"staff-operator-{i}", "cognito:groups": "[operator]"} for i in range(8)]


@pytest.fixture(scope="module")
def race_stack() -> Iterator[ServerStack]:
    with server_stack() as stack:
        yield stack


def _stored_alert(stack: ServerStack, alert_id: str, sender_id: str, minute: int) -> None:
    created = f"2026-11-30T12:{minute:02d}:00.000Z"
    stack.table("AlertsTable").put_item(
        Item={
            "pk": alert_id,
            "sk": "ALERT",
            "type": "robbery",
            "silent": False,
            "priority": 2,
            "sender_id": sender_id,
            "location": {"lat": Decimal(str(LAT)), "lon": Decimal(str(LON))},
            "block_id": BLOCK.block_id,
            "quadrant_id": BLOCK.quadrant_id,
            "block_source": "location",
            "status": "dispatched",
            "created_at": created,
            "local_date": "2026-11-30",
            "queue_status": "open",
            "queue_order": f"02#{created}",
        }
    )


def test_false_alarms_marked_at_once_lose_no_strike_and_suspend_once(race_stack: ServerStack) -> None:
    # Given a resident with one strike already and six open alerts of hers (the policy: 3 in 90 days)
    policy = PACK.settings.false_alarm_policy
    race_stack.put_resident("race-strikes", status="approved", lat=LAT, lon=LON)
    race_stack.table("ResidentsTable").update_item(
        Key={"pk": "race-strikes"},
        UpdateExpression="SET strikes = :s",
        ExpressionAttributeValues={":s": ["2026-11-30T11:00:00.000Z"]},
    )
    alert_ids = [f"RACESTRIKE{i:04d}" for i in range(6)]
    for minute, alert_id in enumerate(alert_ids):
        _stored_alert(race_stack, alert_id, "race-strikes", minute)
    # When six operators mark all six false alarms at the same moment, each in its own environment
    events = [
        api_event("POST", f"/v1/alerts/{alert_id}/actions", {"action": "false_alarm"}, operator)
        for alert_id, operator in zip(alert_ids, OPERATORS, strict=False)
    ]
    answers = run_at_once(race_stack, events, api_event("GET", "/v1/alert-types", None, OPERATORS[0]))
    # Then every mark is taken
    assert Counter(a["status"] for a in answers) == {200: 6}, answers
    # And the resident holds every strike, and is suspended
    resident = race_stack.table("ResidentsTable").get_item(Key={"pk": "race-strikes"}, ConsistentRead=True)[
        "Item"
    ]
    assert len(resident["strikes"]) == 1 + 6
    assert resident["status"] == "suspended"
    assert policy.strikes <= 1 + 6
    # And she was suspended once: one audit entry, one SMS telling her, one answer saying so
    audit = race_stack.table("AuditTable").query(KeyConditionExpression=Key("pk").eq("race-strikes"))["Items"]
    assert [e["action"] for e in audit] == ["suspend"]
    notices = [
        d
        for d in race_stack.scan("DeliveriesTable")
        if d["pk"] in alert_ids and d["target"] == "resident_suspended"
    ]
    assert len(notices) == 1, notices
    assert sum(1 for a in answers if json.loads(a["body"]).get("sender_suspended")) == 1
