"""The response team's console (SilentApiFunction): its silent alerts, sealed, and one opened (audited)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from vigia import clock, runtime
from vigia.errors import FieldError, InvalidRequest, NotFound
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
    # every silent alert the team has not closed (its own lifecycle: nobody else can close one)
    alerts = runtime.alerts().open_silent(int(raw) if raw else 50)
    items = [sealed_view(alert, pack) for alert in alerts]
    return json_response(200, {"items": items}, {"Cache-Control": "no-store"})


@router.get("/v1/silent-alerts/<alert_id>")
def open_one(alert_id: str) -> Response:
    from vigia.silent.reading import open_silent_alert

    who = signed_in(router, "GET /v1/silent-alerts/{alert_id}")
    alert = runtime.alerts().get(alert_id)
    if alert is None:
        raise NotFound(f"No silent alert {alert_id}.")
    view = open_silent_alert(
        alert,
        runtime.incidents().incident(alert_id),
        who=who,
        reason=router.current_event.headers.get("x-reason"),
        pack=runtime.city_pack(),
        sealer=runtime.sealer(),
        audit=runtime.audit_record(),
        now=clock.now(),
    )
    return json_response(200, view, {"Cache-Control": "no-store"})
