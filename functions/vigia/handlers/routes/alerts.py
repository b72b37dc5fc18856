"""Alert types, sending an alert, and reading one."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from vigia import clock, runtime
from vigia.handlers.routes.common import Request, json_response, route
from vigia.observability import logger, metrics

router = APIGatewayHttpRouter()


@route(router, "GET /v1/alert-types")
def alert_types(request: Request) -> Response:
    pack = runtime.city_pack()
    items = [
        {"code": t.code, "labels": dict(t.labels), "silent": t.silent, "priority": t.priority}
        for t in sorted(pack.alert_types.values(), key=lambda t: (t.priority, t.code))
    ]
    return json_response(200, {"items": items, "locale": pack.locale})


@route(router, "POST /v1/alerts")
def submit_alert(request: Request) -> Response:
    from vigia.alerts import AlertRequest, submit

    citizen = request.who
    alert, created = submit(
        AlertRequest.from_body(request.body),
        resident=runtime.residents().get(citizen.user_id),
        sender_id=citizen.user_id,
        idempotency_key=request.headers.get("Idempotency-Key"),
        pack=runtime.city_pack(),
        alerts=runtime.alerts(),
        now=clock.now(),
        sealer=runtime.sealer(),
        sender_mac=runtime.sender_mac(),
        agreement=runtime.federation_agreement(),
    )
    if created:
        metrics.add_metric(name="AlertsReceived", unit="Count", value=1)
        logger.info(
            "alert received",
            extra={
                "alert_id": alert.alert_id,
                "alert_type": alert.type,
                **({"roaming_to": alert.roaming["partner"]} if alert.roaming else {}),
            },
        )
    return json_response(202, alert.receipt(), {"Location": f"/v1/alerts/{alert.alert_id}"})


@route(router, "GET /v1/alerts/{alert_id}")
def get_alert(request: Request) -> Response:
    from vigia.alerts.reading import read_alert
    from vigia.handlers.routes.incidents import lifecycle_of, partner_names

    who, alert_id = request.who, request.path["alert_id"]
    alert = runtime.alerts().get(alert_id)
    names = partner_names(alert is not None and alert.visitor is not None)
    view = read_alert(alert, alert_id, who=who, pack=runtime.city_pack(), partner_names=names)
    if alert is not None and alert.silent:  # sealed: nothing of it may linger in a cache
        return json_response(200, view, {"Cache-Control": "no-store"})
    # status, timeline, times (docs/incidents.md); a visitor's callback phone: no cache keeps it either
    headers = {"Cache-Control": "no-store"} if alert is not None and alert.visitor else None
    return json_response(200, {**view, **lifecycle_of(alert_id, staff=who.is_staff)}, headers)
