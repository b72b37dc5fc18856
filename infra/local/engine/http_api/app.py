"""The local HTTP API: API Gateway (HTTP API, payload format 2.0) in front of the in-process functions."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from infra.local.engine.functions import FunctionFailed, FunctionRegistry
from infra.local.engine.http_api.events import (
    HttpResponse,
    IncomingRequest,
    build_event,
    new_request_id,
    problem,
    to_http_response,
)
from infra.local.engine.http_api.routes import Route, match_route
from infra.local.engine.jwt_auth import Forbidden, JwtAuthorizer, Unauthorized

log = logging.getLogger("local_stack.api")

MAX_PAYLOAD_BYTES = 10 * 1024 * 1024  # HTTP APIs refuse a larger body before any function runs


class LocalHttpApi:
    """A WSGI app: route → authorizer → event → function → response, as API Gateway does."""

    def __init__(
        self,
        routes: Sequence[Route],
        authorizers: Mapping[str, JwtAuthorizer],
        functions: FunctionRegistry,
        *,
        api_id: str,
        account_id: str,
    ) -> None:
        self.routes = list(routes)
        self.authorizers = dict(authorizers)
        self.functions = functions
        self.api_id = api_id
        self.account_id = account_id

    def handle(self, request: IncomingRequest) -> HttpResponse:
        if len(request.body) > MAX_PAYLOAD_BYTES:
            return problem(413, "Content Too Large", f"The body is larger than {MAX_PAYLOAD_BYTES} bytes.")
        matched = match_route(self.routes, request.method, request.raw_path.split("?")[0])
        if matched is None:
            return problem(404, "Not Found", f"No route matches {request.method} {request.raw_path}.")
        route, params = matched
        if route.payload_format != "2.0":
            return problem(
                500, "Internal Server Error", f"payload format {route.payload_format} is not emulated"
            )
        authorized = None
        if route.authorizer is not None:
            authorizer = self.authorizers.get(route.authorizer)
            if authorizer is None:
                return problem(500, "Internal Server Error", f"authorizer {route.authorizer} is not emulated")
            headers = {}
            for name, value in request.headers:
                headers[name.lower()] = value
            try:
                authorized = authorizer.authorize(headers, route.scopes)
            except Unauthorized as denied:
                return problem(401, "Unauthorized", str(denied), [("WWW-Authenticate", "Bearer")])
            except Forbidden as denied:
                return problem(403, "Forbidden", str(denied))
        request_id = new_request_id()
        event = build_event(
            request,
            route,
            params,
            api_id=self.api_id,
            account_id=self.account_id,
            authorized=authorized,
            request_id=request_id,
        )
        try:
            result = self.functions[route.function].invoke(event)
            response = to_http_response(result)
        except FunctionFailed:
            return problem(500, "Internal Server Error", f"{route.function} failed; see the stack's log.")
        except (ValueError, TypeError) as error:
            log.error("%s returned a response API Gateway would reject: %s", route.function, error)
            return problem(500, "Internal Server Error", f"{route.function} returned an invalid response.")
        response.headers.append(("apigw-requestid", request_id))
        return response

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        try:
            response = self.handle(_incoming(environ))
        except Exception:
            log.exception("the local API failed")
            response = problem(500, "Internal Server Error", "The local API failed; see the stack's log.")
        if not any(name.lower() == "content-length" for name, _ in response.headers):
            response.headers.append(("Content-Length", str(len(response.body))))
        reason = _REASONS.get(response.status, "")
        start_response(f"{response.status} {reason}".strip(), response.headers)
        return [response.body]


def _incoming(environ: Mapping[str, Any]) -> IncomingRequest:
    raw_uri = str(environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ.get("PATH_INFO") or "/")
    raw_path = raw_uri.split("?", 1)[0] or "/"
    if raw_path.startswith(("http://", "https://")):
        raw_path = "/" + raw_path.split("/", 3)[-1] if raw_path.count("/") >= 3 else "/"
    headers: list[tuple[str, str]] = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers.append((key[5:].replace("_", "-").lower(), str(value)))
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
            headers.append((key.replace("_", "-").lower(), str(value)))
    length = int(environ.get("CONTENT_LENGTH") or 0)
    if environ.get("wsgi.input_terminated"):  # chunked: no Content-Length, read to the end
        body = environ["wsgi.input"].read()
    else:
        body = environ["wsgi.input"].read(length) if length > 0 else b""
    return IncomingRequest(
        method=str(environ.get("REQUEST_METHOD", "GET")),
        raw_path=raw_path,
        raw_query=str(environ.get("QUERY_STRING", "")),
        headers=headers,
        body=body,
        source_ip=str(environ.get("REMOTE_ADDR", "127.0.0.1")),
        protocol=str(environ.get("SERVER_PROTOCOL", "HTTP/1.1")),
    )


_REASONS = {
    200: "OK", 201: "Created", 202: "Accepted", 204: "No Content", 301: "Moved Permanently", 302: "Found",
    304: "Not Modified", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
    405: "Method Not Allowed", 409: "Conflict", 410: "Gone", 412: "Precondition Failed",
    413: "Content Too Large",
    415: "Unsupported Media Type", 422: "Unprocessable Content", 428: "Precondition Required",
    429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
    504: "Gateway Timeout",
}  # fmt: skip
