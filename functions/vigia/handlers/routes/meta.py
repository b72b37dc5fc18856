"""Health and the OpenAPI document (no token needed)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from vigia.handlers.routes.common import json_response

router = APIGatewayHttpRouter()


@router.get("/v1/health")
def health() -> Response:
    return json_response(200, {"status": "ok"})


@router.get("/v1/openapi.json")
def openapi() -> Response:
    from vigia.api.openapi import document

    return json_response(200, document())
