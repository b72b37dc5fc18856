"""A synthetic open queue of any size, as GET /v1/alerts answers it: for the browser test and the bench
of the console's virtual list (a page fed with it through Playwright's route interception)."""

from __future__ import annotations

import json
from typing import Any

TYPES = ("robbery", "suspicious_activity", "medical_emergency", "panic", "fire")
STATUSES = ("dispatched", "acknowledged", "assigned", "en_route")
CENTRE = (-32.93, -68.85)  # Godoy Cruz


def queue_answer(count: int, *, response_target_s: int = 420) -> dict[str, Any]:
    """`count` open public alerts by priority then age, the shape of the operators' queue."""
    items = []
    for n in range(count):
        priority = 1 + n * 3 // max(count, 1)  # most urgent first, as the API orders them
        items.append(
            {
                "alert_id": f"01JSYNTH{n:018d}",
                "type": TYPES[n % len(TYPES)],
                "priority": priority,
                "status": STATUSES[n % len(STATUSES)],
                "silent": False,
                "quadrant_id": f"Q-{1 + n % 10:02d}",
                "block_id": f"B-{n % 997:04d}",
                "created_at": "2026-11-30T20:00:00.000Z",
                "age_s": 30 + (count - n) % 900,
                "location": {
                    "lat": CENTRE[0] + (n % 100) * 0.0004,
                    "lon": CENTRE[1] + (n // 100 % 100) * 0.0004,
                },
                "actions": ["acknowledge", "assign", "false_alarm", "escalate"],
            }
        )
    return {"items": items, "next_cursor": None, "response_target_s": response_target_s}


def is_open_queue(url: str) -> bool:
    """Whether a request URL is the console's fetch of the open queue (GET /v1/alerts?limit=…)."""
    path, _, query = url.partition("?")
    return path.endswith("/v1/alerts") and "status=" not in query


def fulfil_with(count: int) -> Any:
    """A Playwright route handler answering the open queue with `count` synthetic alerts."""
    body = json.dumps(queue_answer(count))

    def handler(route: Any) -> None:
        route.fulfill(status=200, content_type="application/json", body=body)

    return handler
