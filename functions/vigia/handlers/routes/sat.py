"""SAT routes (SatApiFunction, the one API function that may read SatTable): cases, warnings, steps."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from vigia import clock, runtime
from vigia.handlers.routes.common import Request, json_response, route
from vigia.sat import service

router = APIGatewayHttpRouter()
NO_STORE = {"Cache-Control": "no-store"}


@route(router, "GET /v1/sat/cases")
def caseload(request: Request) -> Response:
    cases = service.caseload(
        runtime.sat_ports(), request.who, request.query["status"], request.query["limit"]
    )
    return json_response(200, {"cases": cases}, NO_STORE)


@route(router, "GET /v1/sat/cases/{case_id}")
def one_case(request: Request) -> Response:
    return json_response(
        200, service.read(runtime.sat_ports(), request.who, request.path["case_id"]), NO_STORE
    )


@route(router, "POST /v1/sat/cases/{case_id}/assign")
def assign(request: Request) -> Response:
    answer = service.assign(
        runtime.sat_ports(), request.who, request.path["case_id"], request.body["assignee"], clock.now()
    )
    return json_response(200, answer, NO_STORE)


@route(router, "POST /v1/sat/cases/{case_id}/events")
def record_event(request: Request) -> Response:
    answer = service.record_event(
        runtime.sat_ports(), request.who, request.path["case_id"], request.body, clock.now()
    )
    return json_response(201, answer, NO_STORE)


@route(router, "POST /v1/sat/cases/{case_id}/status")
def set_status(request: Request) -> Response:
    answer = service.set_status(
        runtime.sat_ports(), request.who, request.path["case_id"], request.body, clock.now()
    )
    return json_response(200, answer, NO_STORE)


@route(router, "GET /v1/sat/warnings")
def warnings(request: Request) -> Response:
    return json_response(
        200, service.warnings(runtime.sat_ports(), request.who, request.query["week"]), NO_STORE
    )
