"""The response team's console (SilentApiFunction): its silent alerts, sealed, and one opened (audited)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from vigia import clock, runtime
from vigia.errors import NotFound
from vigia.handlers.routes.common import Request, json_response, route

router = APIGatewayHttpRouter()


@route(router, "GET /v1/silent-alerts")
def open_silent_alerts(request: Request) -> Response:
    from vigia.silent.views import sealed_view

    pack = runtime.city_pack()
    # every silent alert the team has not closed (its own lifecycle: nobody else can close one)
    alerts = runtime.alerts().open_silent(request.query["limit"])
    items = [sealed_view(alert, pack) for alert in alerts]
    return json_response(200, {"items": items}, {"Cache-Control": "no-store"})


@route(router, "GET /v1/silent-alerts/{alert_id}")
def open_one(request: Request) -> Response:
    from vigia.silent.reading import open_silent_alert

    alert_id = request.path["alert_id"]
    alert = runtime.alerts().get(alert_id)
    if alert is None:
        raise NotFound(f"No silent alert {alert_id}.")
    view = open_silent_alert(
        alert,
        runtime.incidents().incident(alert_id),
        who=request.who,
        reason=request.headers["X-Reason"],
        pack=runtime.city_pack(),
        sealer=runtime.sealer(),
        audit=runtime.audit_record(),
        now=clock.now(),
    )
    return json_response(200, view, {"Cache-Control": "no-store"})
