"""Health and the OpenAPI document (no token needed)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from vigia import runtime
from vigia.handlers.routes.common import Request, json_response, route

router = APIGatewayHttpRouter()


@route(router, "GET /v1/health")
def health(request: Request) -> Response:
    return json_response(200, {"status": "ok"})


@route(router, "GET /v1/openapi.json")
def openapi(request: Request) -> Response:
    from vigia.api.openapi import document

    return json_response(200, document(runtime.city_pack()))
