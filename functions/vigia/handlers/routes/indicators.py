"""The observatory's indicators: read them by date, zone and type, a week or month's summary, and re-runs."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from vigia import clock, runtime
from vigia.errors import FieldError, InvalidRequest
from vigia.handlers.routes.common import body, json_response, query, signed_in
from vigia.indicators import service
from vigia.observability import logger

router = APIGatewayHttpRouter()
QUERY = ("from", "to", "zone", "type", "limit", "cursor")


@router.get("/v1/indicators")
def indicators() -> Response:
    signed_in(router, "GET /v1/indicators")
    ports = runtime.indicator_ports()
    params = {name: query(router, name) for name in QUERY}
    return json_response(
        200, service.read_indicators(params, frame=ports.frame, store=ports.store, now=clock.now())
    )


@router.get("/v1/indicators/summary")
def indicators_summary() -> Response:
    signed_in(router, "GET /v1/indicators/summary")
    ports = runtime.indicator_ports()
    params = {name: query(router, name) for name in ("period", "date", "zone", "type")}
    return json_response(200, service.summary(params, frame=ports.frame, store=ports.store, now=clock.now()))


@router.post("/v1/indicator-runs")
def indicator_runs() -> Response:
    who = signed_in(router, "POST /v1/indicator-runs")
    request = body(router, "requests/indicator-run.json")
    key = router.current_event.headers.get("idempotency-key") or None
    if key is not None and len(key) > 128:
        raise InvalidRequest(
            "The Idempotency-Key header is longer than 128 characters.",
            errors=[FieldError("/Idempotency-Key", "at most 128 characters")],
        )
    ports = runtime.indicator_ports()
    now = clock.now()
    answer = service.request_runs(
        request,
        frame=ports.frame,
        queue=ports.queue,
        claims=ports.claims,
        run_id=clock.new_id(now),
        now=now,
        idempotency_key=f"{who.user_id}#{key}" if key else None,
    )
    logger.info("indicator run queued", extra={"run_id": answer["run_id"], "days": len(answer["dates"])})
    return json_response(
        202,
        answer,
        {"Location": "/v1/indicators?from={}&to={}".format(answer["dates"][0], answer["dates"][-1])},
    )
