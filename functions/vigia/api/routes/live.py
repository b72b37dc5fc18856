"""The route table, live events: the consoles' catch-up after a reconnect, and their fallback."""

from __future__ import annotations

from vigia.api.routes.spec import Param, entry, page_limit
from vigia.callers import STAFF_ROLES

EVENT_ID = {
    "type": "string",
    "pattern": "^[0-9]{8}T[0-9]{12}Z-[0-9a-f]{8}$",
    "description": "an event_id of an earlier event (or the cursor of an earlier answer): events after it",
}

ROUTES = (
    entry(
        "GET",
        "/v1/events",
        "The live events the caller's roles may receive, oldest first, after a cursor (the last day's); "
        "a silent alert's only to the response team",
        set(STAFF_ROLES),
        errors=(400, 401, 403),
        tags=("live",),
        query=(Param("after", EVENT_ID), page_limit(500, 100)),
        response_schema="responses/live-events.json",
    ),
)
