"""The audit trail: who read a silent alert's sealed identity, when and why (admins only)."""

from __future__ import annotations

import re

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from vigia import runtime
from vigia.errors import FieldError, InvalidRequest
from vigia.handlers.routes.common import json_response, query, signed_in

router = APIGatewayHttpRouter()
_ALERT_ID = re.compile(r"[0-9A-Za-z_-]{1,64}")


@router.get("/v1/audit")
def audit_trail() -> Response:
    signed_in(router, "GET /v1/audit")
    alert_id = query(router, "alert_id")
    if alert_id is None:
        raise InvalidRequest(
            "Give the alert whose audit trail you want: ?alert_id=…",
            errors=[FieldError("/alert_id", "required")],
        )
    if not _ALERT_ID.fullmatch(alert_id):
        raise InvalidRequest(
            "alert_id is an alert's id: letters, digits, - or _, at most 64 characters.",
            errors=[FieldError("/alert_id", "not an alert id")],
        )
    items = [entry.as_dict() for entry in runtime.audit_entries()(alert_id)]
    return json_response(200, {"alert_id": alert_id, "items": items}, {"Cache-Control": "no-store"})
