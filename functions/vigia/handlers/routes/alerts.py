"""Alert types, sending an alert, and reading one."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from vigia import clock, runtime
from vigia.errors import FieldError, InvalidRequest
from vigia.handlers.routes.common import body, json_response, signed_in
from vigia.observability import logger, metrics

router = APIGatewayHttpRouter()


@router.get("/v1/alert-types")
def alert_types() -> Response:
    signed_in(router, "GET /v1/alert-types")
    pack = runtime.city_pack()
    items = [
        {"code": t.code, "labels": dict(t.labels), "silent": t.silent, "priority": t.priority}
        for t in sorted(pack.alert_types.values(), key=lambda t: (t.priority, t.code))
    ]
    return json_response(200, {"items": items, "locale": pack.locale})


@router.post("/v1/alerts")
def submit_alert() -> Response:
    from vigia.alerts import AlertRequest, submit

    citizen = signed_in(router, "POST /v1/alerts")
    request = AlertRequest.from_body(body(router, "requests/alert.json"))
    key = router.current_event.headers.get("idempotency-key") or None
    if key is not None and len(key) > 128:
        raise InvalidRequest(
            "The Idempotency-Key header is longer than 128 characters.",
            errors=[FieldError("/Idempotency-Key", "at most 128 characters")],
        )
    alert, created = submit(
        request,
        resident=runtime.residents().get(citizen.user_id),
        sender_id=citizen.user_id,
        idempotency_key=key,
        pack=runtime.city_pack(),
        alerts=runtime.alerts(),
        now=clock.now(),
        sealer=runtime.sealer(),
        sender_mac=runtime.sender_mac(),
    )
    if created:
        metrics.add_metric(name="AlertsReceived", unit="Count", value=1)
        logger.info("alert received", extra={"alert_id": alert.alert_id, "alert_type": alert.type})
    return json_response(202, alert.receipt(), {"Location": f"/v1/alerts/{alert.alert_id}"})


@router.get("/v1/alerts/<alert_id>")
def get_alert(alert_id: str) -> Response:
    who = signed_in(router, "GET /v1/alerts/{alert_id}")
    from vigia.alerts.reading import read_alert

    alert = runtime.alerts().get(alert_id)
    view = read_alert(alert, alert_id, who=who, pack=runtime.city_pack())
    if alert is not None and alert.silent:  # sealed: nothing of it may linger in a cache
        return json_response(200, view, {"Cache-Control": "no-store"})
    from vigia.handlers.routes.incidents import lifecycle_of  # status, timeline, times (docs/incidents.md)

    return json_response(200, {**view, **lifecycle_of(alert_id, staff=who.is_staff)})
