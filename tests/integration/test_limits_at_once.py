"""Sending limits hold when a resident's requests arrive at once, each in its own execution environment."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from boto3.dynamodb.conditions import Key

from tests.integration.concurrent_stack import ServerStack, run_at_once, server_stack
from tests.support import api_event, godoy_cruz_pack

PACK = godoy_cruz_pack()
BLOCK = next(iter(PACK.blocks.values()))
LAT, LON = BLOCK.centroid


@pytest.fixture(scope="module")
def race_stack() -> Iterator[ServerStack]:
    with server_stack() as stack:
        yield stack


def _citizen(user_id: str) -> dict[str, str]:
    return {"sub": user_id, "cognito:groups": "[citizen]"}


def _warm_up(user_id: str) -> dict[str, Any]:
    return api_event("GET", "/v1/alert-types", None, _citizen(user_id))


def _alert(alert_type: str, user_id: str, key: str | None = None) -> dict[str, Any]:
    body = {"type": alert_type, "location": {"lat": LAT, "lon": LON}}
    return api_event("POST", "/v1/alerts", body, _citizen(user_id), {"idempotency-key": key} if key else {})


def _statuses(answers: list[dict[str, Any]]) -> Counter[int]:
    return Counter(a["status"] for a in answers)


def test_ten_public_alerts_at_once_accept_exactly_the_limit(race_stack: ServerStack) -> None:
    # Given an approved resident and the pack's limit (3 alerts in 10 minutes)
    limit = PACK.settings.alert_rate_limit
    race_stack.put_resident("race-public", status="approved", lat=LAT, lon=LON)
    # When ten execution environments each send her alert at the same moment (half with a key)
    events = [_alert("robbery", "race-public", f"k-{i}" if i % 2 else None) for i in range(10)]
    answers = run_at_once(race_stack, events, _warm_up("race-public"))
    # Then exactly `limit` are accepted, the rest are 429 with Retry-After, and nothing else happens
    assert _statuses(answers) == {202: limit.max_alerts, 429: 10 - limit.max_alerts}, answers
    for answer in answers:
        if answer["status"] == 429:
            # the window frees when her oldest alert leaves it: up to window_s after the request (a little
            # more when another environment's accepted alert was stamped after this one read the clock)
            assert 0 < int(answer["headers"]["Retry-After"]) <= limit.window_s + 60
            assert json.loads(answer["body"])["status"] == 429
    # And every accepted alert is stored, and only those
    accepted = {json.loads(a["body"])["alert_id"] for a in answers if a["status"] == 202}
    stored = race_stack.table("AlertsTable").query(
        IndexName="by_sender", KeyConditionExpression=Key("sender_id").eq("race-public")
    )["Items"]
    assert {item["pk"] for item in stored} == accepted


def test_retries_of_one_alert_at_once_give_one_alert_not_a_429(race_stack: ServerStack) -> None:
    # Given a resident who has used all but one of her alerts
    limit = PACK.settings.alert_rate_limit
    race_stack.put_resident("race-retry", status="approved", lat=LAT, lon=LON)
    before = run_at_once(
        race_stack,
        [_alert("robbery", "race-retry", f"first-{i}") for i in range(limit.max_alerts - 1)],
        _warm_up("race-retry"),
    )
    assert _statuses(before) == {202: limit.max_alerts - 1}
    # When her phone retries one tap four times at once (same key, same body)
    answers = run_at_once(
        race_stack, [_alert("robbery", "race-retry", "the-tap")] * 4, _warm_up("race-retry")
    )
    # Then every retry gets the same accepted alert
    assert _statuses(answers) == {202: 4}, answers
    assert len({json.loads(a["body"])["alert_id"] for a in answers}) == 1


def test_silent_alerts_at_once_accept_exactly_the_silent_limit(race_stack: ServerStack) -> None:
    # Given an approved resident who has just used her whole public limit
    silent = PACK.settings.silent_alert_rate_limit
    race_stack.put_resident("race-silent", status="approved", lat=LAT, lon=LON)
    public = run_at_once(
        race_stack,
        [_alert("robbery", "race-silent") for _ in range(PACK.settings.alert_rate_limit.max_alerts)],
        _warm_up("race-silent"),
    )
    assert _statuses(public) == {202: PACK.settings.alert_rate_limit.max_alerts}
    # When limit + 3 silent alerts arrive at once, each from its own execution environment
    events = [_alert("domestic_violence", "race-silent", f"s-{i}") for i in range(silent.max_alerts + 3)]
    answers = run_at_once(race_stack, events, _warm_up("race-silent"))
    # Then exactly the silent limit is accepted (the public limit does not block her) and 3 are 429
    assert _statuses(answers) == {202: silent.max_alerts, 429: 3}, answers
    for answer in answers:
        if answer["status"] == 429:
            assert 0 < int(answer["headers"]["Retry-After"]) <= silent.window_s + 60
    accepted = {json.loads(a["body"])["alert_id"] for a in answers if a["status"] == 202}
    stored = {i["pk"] for i in race_stack.scan("AlertsTable") if i.get("silent") and i["pk"] in accepted}
    assert stored == accepted
