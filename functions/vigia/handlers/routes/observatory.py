"""What the observatory reads: a zone's alerts beside other agencies' records, resources against demand."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from vigia import clock, runtime
from vigia.handlers.routes.common import Request, json_response, route
from vigia.observatory import service

router = APIGatewayHttpRouter()


def _texts(request: Request) -> dict[str, str | None]:
    return {name: None if value is None else str(value) for name, value in request.query.items()}


@route(router, "GET /v1/observatory/compare")
def observatory_compare(request: Request) -> Response:
    ports = runtime.observatory_ports()
    answer = service.read_compare(
        _texts(request), frame=ports.frame, days=ports.days, source=ports.records, now=clock.now()
    )
    return json_response(200, answer)


@route(router, "GET /v1/observatory/resources")
def observatory_resources(request: Request) -> Response:
    ports = runtime.observatory_ports()
    answer = service.read_resources(
        _texts(request),
        frame=ports.frame,
        units=ports.units,
        days=ports.days,
        source=ports.records,
        now=clock.now(),
    )
    return json_response(200, answer)
