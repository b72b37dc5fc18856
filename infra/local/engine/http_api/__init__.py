"""The local HTTP API: API Gateway (HTTP API, payload format 2.0) in front of the in-process functions.

`routes` reads the OpenAPI body and picks a route, `events` turns a request into the function's event and
its result into the answer, `app` is the API itself (route, authorizer, function), `server` serves it —
with any other WSGI app mounted beside it under a path prefix (`Mounts`).
"""

from infra.local.engine.http_api.app import MAX_PAYLOAD_BYTES, LocalHttpApi
from infra.local.engine.http_api.events import (
    PROBLEM,
    HttpResponse,
    IncomingRequest,
    build_event,
    problem,
    to_http_response,
)
from infra.local.engine.http_api.routes import ANY, Route, match_route, routes_from_openapi
from infra.local.engine.http_api.server import HttpServer, Mounts, WsgiApp

__all__ = [
    "ANY",
    "MAX_PAYLOAD_BYTES",
    "PROBLEM",
    "HttpResponse",
    "HttpServer",
    "IncomingRequest",
    "LocalHttpApi",
    "Mounts",
    "Route",
    "WsgiApp",
    "build_event",
    "match_route",
    "problem",
    "routes_from_openapi",
    "to_http_response",
]
