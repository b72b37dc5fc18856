"""The reports' own limit holds when a resident's reports arrive at once, each in its own execution
environment (ten OS processes against the emulator), as the alerts' limit does (docs/prevention.md)."""

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
LIMIT = PACK.raw["reports"]["rate_limit"]["max_reports"]


@pytest.fixture(scope="module")
def race_stack() -> Iterator[ServerStack]:
    with server_stack() as stack:
        yield stack


def _citizen(user_id: str) -> dict[str, str]:
    return {"sub": user_id, "cognito:groups": "[citizen]"}


def _report(user_id: str, n: int) -> dict[str, Any]:
    body = {"type": "broken_lighting", "location": {"lat": LAT, "lon": LON}, "description": f"luminaria {n}"}
    return api_event("POST", "/v1/reports", body, _citizen(user_id))


def test_ten_reports_at_once_accept_exactly_the_limit(race_stack: ServerStack) -> None:
    # Given an approved resident and the pack's limit (5 reports an hour)
    race_stack.put_resident("race-reports", status="approved", lat=LAT, lon=LON)
    # When ten execution environments each take one of her reports at the same moment
    warm = api_event("GET", "/open311/v2/services.json", None, None)
    answers = run_at_once(race_stack, [_report("race-reports", i) for i in range(10)], warm)
    # Then exactly the limit is accepted and the rest are 429 with Retry-After
    statuses = Counter(a["status"] for a in answers)
    assert statuses == {201: LIMIT, 429: 10 - LIMIT}, answers
    for answer in answers:
        if answer["status"] == 429:
            assert int(answer["headers"]["Retry-After"]) > 0
            assert json.loads(answer["body"])["type"].endswith("too-many-reports")
    # And every accepted report is stored, and only those
    accepted = {json.loads(a["body"])["report_id"] for a in answers if a["status"] == 201}
    stored = race_stack.table("ReportsTable").query(
        IndexName="by_reporter", KeyConditionExpression=Key("reporter_id").eq("race-reports")
    )["Items"]
    assert {item["report_id"] for item in stored} == accepted
