"""The response team's console: open silent alerts, sealed; one opens (audited) at GET /v1/alerts/{id}."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from vigia import runtime
from vigia.errors import FieldError, InvalidRequest
from vigia.handlers.routes.common import json_response, query, signed_in

router = APIGatewayHttpRouter()
MAX_LIMIT = 200


@router.get("/v1/silent-alerts")
def open_silent_alerts() -> Response:
    from vigia.silent.views import sealed_view

    signed_in(router, "GET /v1/silent-alerts")
    raw = query(router, "limit")
    if raw is not None and (not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT):
        raise InvalidRequest(
            f"limit must be a whole number from 1 to {MAX_LIMIT}.",
            errors=[FieldError("/limit", f"1 to {MAX_LIMIT}")],
        )
    pack = runtime.city_pack()
    alerts = runtime.alerts().open_silent(int(raw) if raw else 50)
    items = [sealed_view(alert, pack) for alert in alerts]
    return json_response(200, {"items": items}, {"Cache-Control": "no-store"})
