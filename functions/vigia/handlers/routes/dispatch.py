"""An alert's deliveries (operators), cancelling an alert (its sender), and the DLQs (operators, admins)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from vigia import clock, runtime
from vigia.errors import FieldError, InvalidRequest, NotFound
from vigia.handlers.routes.common import Request, json_response, route
from vigia.observability import logger, metrics

router = APIGatewayHttpRouter()


@route(router, "GET /v1/alerts/{alert_id}/deliveries")
def alert_deliveries(request: Request) -> Response:
    alert_id = request.path["alert_id"]
    if runtime.alerts().get(alert_id) is None:
        raise NotFound(f"No alert {alert_id}.")
    items = runtime.delivery_views()(alert_id)
    summary: dict[str, int] = {}
    for item in items:
        summary[item["status"]] = summary.get(item["status"], 0) + 1
    return json_response(200, {"alert_id": alert_id, "items": items, "summary": summary})


@route(router, "POST /v1/alerts/{alert_id}/cancel")
def cancel_alert(request: Request) -> Response:
    from vigia.dispatch.cancellation import cancel

    citizen, alert_id = request.who, request.path["alert_id"]
    pack = runtime.city_pack()

    class Notice:
        @staticmethod
        def announce(alert_id: str, cancelled_at: str) -> None:
            runtime.cancellation_notice()(alert_id, cancelled_at)

    answer = cancel(
        alert_id,
        sender_id=citizen.user_id,
        window_s=pack.settings.cancel_window_s,
        helpline=pack.settings.helpline,
        alerts=runtime.alerts(),
        canceller=runtime.alert_canceller(),
        notice=Notice(),
        now=clock.now(),
    )
    metrics.add_metric(name="AlertsCancelled", unit="Count", value=1)
    logger.info("alert cancelled by its sender", extra={"alert_id": alert_id})
    return json_response(202, answer)


@route(router, "GET /v1/admin/dlq")
def dead_letters(request: Request) -> Response:
    queues = runtime.dlq_summary()(request.query["peek"])
    return json_response(200, {"items": queues, "total": sum(q["depth"] for q in queues)})


@route(router, "POST /v1/admin/dlq/{queue}/redrive")
def redrive_dead_letters(request: Request) -> Response:
    who, queue = request.who, request.path["queue"]
    queues = runtime.dead_letter_queues()
    if queue not in queues:
        raise InvalidRequest(
            f"Unknown queue {queue!r}; one of {', '.join(queues)}.",
            errors=[FieldError("/queue", "unknown queue")],
        )
    moved = runtime.redrive()(queue)
    logger.info("dead letters redriven", extra={"queue": queue, "moved": moved, "by": who.user_id})
    return json_response(200, {"queue": queue, "moved": moved})
