"""Live events from a cursor: what the caller's roles may receive (catch-up after a reconnect, fallback)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from vigia import runtime
from vigia.handlers.routes.common import Request, json_response, route

router = APIGatewayHttpRouter()


@route(router, "GET /v1/events")
def live_events(request: Request) -> Response:
    after, limit = request.query["after"], request.query["limit"]
    events = runtime.live_event_log().after(request.who.roles, after, limit=limit + 1)
    page = events[:limit]
    cursor = page[-1].event_id if page else after
    body = {"items": [e.body() for e in page], "cursor": cursor, "more": len(events) > limit}
    return json_response(200, body, {"Cache-Control": "no-store"})
