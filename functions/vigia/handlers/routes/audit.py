"""The audit trail: who read a silent alert's sealed identity, when and why (admins only)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from vigia import runtime
from vigia.handlers.routes.common import Request, json_response, route

router = APIGatewayHttpRouter()


@route(router, "GET /v1/audit")
def audit_trail(request: Request) -> Response:
    alert_id = request.query["alert_id"]  # required, an alert id's shape: checked at the door
    items = [entry.as_dict() for entry in runtime.audit_entries()(alert_id)]
    return json_response(200, {"alert_id": alert_id, "items": items}, {"Cache-Control": "no-store"})
