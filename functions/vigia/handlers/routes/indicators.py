"""The observatory's indicators: read them by date, zone and type, a week or month's summary, and re-runs."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from vigia import clock, runtime, settings
from vigia.handlers.routes.common import Request, json_response, route
from vigia.indicators import service
from vigia.observability import logger

router = APIGatewayHttpRouter()


def _texts(request: Request) -> dict[str, str | None]:
    """The declared query values as the indicators' service reads them (text, None when absent)."""
    return {name: None if value is None else str(value) for name, value in request.query.items()}


@route(router, "GET /v1/indicators")
def indicators(request: Request) -> Response:
    ports = runtime.indicator_ports()
    params = _texts(request)
    return json_response(
        200, service.read_indicators(params, frame=ports.frame, store=ports.store, now=clock.now())
    )


@route(router, "GET /v1/indicators/summary")
def indicators_summary(request: Request) -> Response:
    ports = runtime.indicator_ports()
    params = _texts(request)
    return json_response(200, service.summary(params, frame=ports.frame, store=ports.store, now=clock.now()))


@route(router, "GET /v1/indicators/exports/{date}")
def indicator_exports(request: Request) -> Response:
    ports = runtime.indicator_ports()
    answer = service.export_links(
        request.path["date"],
        frame=ports.frame,
        store=ports.store,
        links=ports.sink,
        expires_s=settings.get().export_link_s,
        now=clock.now(),
    )
    return json_response(200, answer, {"Cache-Control": "no-store"})


@route(router, "POST /v1/indicator-runs")
def indicator_runs(request: Request) -> Response:
    who, key = request.who, request.headers["Idempotency-Key"]
    ports = runtime.indicator_ports()
    now = clock.now()
    answer = service.request_runs(
        request.body,
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
