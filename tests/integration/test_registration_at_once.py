"""Registrations per source address hold when they arrive at once, each in its own execution environment."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from tests.integration.concurrent_stack import run_at_once, server_stack
from tests.integration.conftest import registration_body

ATTACKER_IP = "198.51.100.66"
AT_ONCE = 10


def _event(method: str, path: str, body: Any, source_ip: str) -> dict[str, Any]:
    return {
        "version": "2.0",
        "rawPath": path,
        "headers": {"content-type": "application/json"},
        "requestContext": {
            "http": {"method": method, "path": path, "sourceIp": source_ip},
            "requestId": "race",
            "stage": "$default",
            "routeKey": "ANY /v1/{proxy+}",
        },
        "body": json.dumps(body) if body is not None else None,
        "isBase64Encoded": False,
    }


def test_ten_registrations_at_once_from_one_address_admit_exactly_the_limit():
    with server_stack() as stack:
        # Given ten registrations from one address, each in its own process, released together
        events = [
            _event("POST", "/v1/registrations", registration_body(f"rafaga{i}"), ATTACKER_IP)
            for i in range(AT_ONCE)
        ]
        answers = run_at_once(stack, events, warm_up=_event("GET", "/v1/health", None, "192.0.2.1"))
        # Then exactly the limit (5 an hour) got through; the rest were told when to come back
        statuses = Counter(a["status"] for a in answers)
        assert statuses == Counter({202: 5, 429: AT_ONCE - 5}), [a["body"] for a in answers]
        assert all(int(a["headers"]["Retry-After"]) > 0 for a in answers if a["status"] == 429)
        # And exactly five registrations were stored, and the address is kept only as a MAC
        items = stack.scan("RegistrationsTable")
        assert sum(1 for i in items if i["pk"].startswith("registration#")) == 5
        counters = [i for i in items if i["pk"].startswith("source#")]
        assert [int(c["registrations"]) for c in counters] == [5]
        assert ATTACKER_IP not in json.dumps(items, default=str)
