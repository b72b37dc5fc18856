"""The local HTTP API: API Gateway (HTTP API, payload format 2.0) in front of the in-process functions."""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from infra.local.engine.functions import FunctionFailed, FunctionRegistry
from infra.local.engine.jwt_auth import Authorized, Forbidden, JwtAuthorizer, JwtConfiguration, Unauthorized

log = logging.getLogger("local_stack.api")

PROBLEM = "application/problem+json"
ANY = "ANY"
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
_INTEGRATION_ARN = re.compile(r"/functions/(arn:[^/]+)/invocations")
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024  # HTTP APIs refuse a larger body before any function runs
_TEXT_TYPES = re.compile(r"^(text/|application/([\w.+-]+\+)?(json|xml|javascript)\b)", re.IGNORECASE)


# ==================================================================== routes
@dataclass(frozen=True)
class Route:
    method: str  # GET, POST … or ANY
    path: str  # /v1/{proxy+}, or $default
    function: str  # logical id
    authorizer: str | None = None  # security scheme name; None = open route
    scopes: tuple[str, ...] = ()
    payload_format: str = "2.0"

    @property
    def key(self) -> str:
        return "$default" if self.path == "$default" else f"{self.method} {self.path}"

    @property
    def segments(self) -> list[str]:
        return [s for s in self.path.split("/") if s]


def routes_from_openapi(
    body: Mapping[str, Any], function_for_arn: Callable[[str], str | None]
) -> tuple[list[Route], dict[str, JwtConfiguration]]:
    """Routes and JWT authorizers of a (resolved) AWS::ApiGatewayV2::Api Body."""
    schemes = (body.get("components") or {}).get("securitySchemes") or {}
    authorizers: dict[str, JwtConfiguration] = {}
    for name, scheme in schemes.items():
        spec = scheme.get("x-amazon-apigateway-authorizer") or {}
        if spec.get("type") == "jwt":
            jwt_config = spec.get("jwtConfiguration") or {}
            audience = jwt_config.get("audience") or []
            authorizers[name] = JwtConfiguration(
                name=name,
                issuer=str(jwt_config.get("issuer", "")),
                audience=tuple(str(a) for a in (audience if isinstance(audience, list) else [audience])),
                identity_source=str(spec.get("identitySource", "$request.header.Authorization")),
            )
        elif spec:
            log.warning(
                "authorizer %s: type %r is not emulated; its routes answer 500", name, spec.get("type")
            )
    default_security = body.get("security")
    routes: list[Route] = []
    for path, operations in (body.get("paths") or {}).items():
        for method_key, operation in (operations or {}).items():
            if method_key == "x-amazon-apigateway-any-method":
                method = ANY
            elif method_key.lower() in _METHODS:
                method = method_key.upper()
            else:
                continue
            integration = operation.get("x-amazon-apigateway-integration") or {}
            match = _INTEGRATION_ARN.search(str(integration.get("uri", "")))
            function = function_for_arn(match.group(1)) if match else None
            if function is None:
                log.warning(
                    "route %s %s: integration %s is not a local function; skipped",
                    method,
                    path,
                    integration.get("uri"),
                )
                continue
            security = operation.get("security", default_security) or []
            authorizer, scopes = None, ()
            for requirement in security:
                for name, required in requirement.items():
                    if name != "NONE":
                        authorizer, scopes = name, tuple(required or ())
            routes.append(
                Route(
                    method,
                    path,
                    function,
                    authorizer,
                    scopes,
                    str(integration.get("payloadFormatVersion", "2.0")),
                )
            )
    return routes, authorizers


def match_route(routes: Sequence[Route], method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    """The route API Gateway would pick: the most specific path (literal segments beat {vars}, which beat
    a greedy {proxy+}; a longer greedy prefix beats a shorter one), then a method route beats ANY, and
    $default catches the rest."""
    segments = [unquote(s) for s in path.split("/") if s]
    best: tuple[tuple[Any, ...], Route, dict[str, str]] | None = None
    for route in routes:
        if route.method not in (ANY, method.upper()):
            continue
        if route.path == "$default":
            rank: tuple[Any, ...] = (2, (), 1)
            params: dict[str, str] = {}
        else:
            matched = _match_path(route.segments, segments)
            if matched is None:
                continue
            params = matched
            greedy = bool(route.segments) and route.segments[-1].endswith("+}")
            shape = tuple(0 if not s.startswith("{") else 1 for s in route.segments)
            rank = (1 if greedy else 0, shape, 1 if route.method == ANY else 0)
        if best is None or rank < best[0]:
            best = (rank, route, params)
    return (best[1], best[2]) if best else None


def _match_path(template: list[str], segments: list[str]) -> dict[str, str] | None:
    params: dict[str, str] = {}
    for i, part in enumerate(template):
        if part.startswith("{") and part.endswith("+}"):
            rest = segments[i:]
            if not rest:
                return None
            params[part[1:-2]] = "/".join(rest)
            return params
        if i >= len(segments):
            return None
        if part.startswith("{") and part.endswith("}"):
            params[part[1:-1]] = segments[i]
        elif part != segments[i]:
            return None
    return params if len(template) == len(segments) else None


# ==================================================================== events
@dataclass
class IncomingRequest:
    method: str
    raw_path: str
    raw_query: str = ""
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    source_ip: str = "127.0.0.1"
    protocol: str = "HTTP/1.1"


def build_event(
    request: IncomingRequest,
    route: Route,
    path_parameters: Mapping[str, str],
    *,
    api_id: str,
    account_id: str,
    authorized: Authorized | None = None,
    request_id: str | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """The payload-format 2.0 event API Gateway sends for this request."""
    now = time.time() if now is None else now
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in request.headers:
        lowered = name.lower()
        if lowered == "cookie":
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
            continue
        headers[lowered] = f"{headers[lowered]},{value}" if lowered in headers else value
    host = headers.get("host", "")
    domain = host.split(":")[0] if host else f"{api_id}.execute-api.us-east-1.amazonaws.com"
    headers.setdefault("x-forwarded-for", request.source_ip)
    headers.setdefault("x-forwarded-proto", "http")
    if ":" in host:
        headers.setdefault("x-forwarded-port", host.rsplit(":", 1)[1])
    request_id = request_id or _request_id()
    headers.setdefault("x-amzn-trace-id", f"Root=1-{int(now):08x}-{uuid.uuid4().hex[:24]}")
    request_context: dict[str, Any] = {
        "accountId": account_id,
        "apiId": api_id,
        "domainName": domain,
        "domainPrefix": domain.split(".")[0],
        "http": {
            "method": request.method.upper(),
            "path": request.raw_path,
            "protocol": request.protocol,
            "sourceIp": request.source_ip,
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": request_id,
        "routeKey": route.key,
        "stage": "$default",
        "time": datetime.fromtimestamp(now, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "timeEpoch": int(now * 1000),
    }
    if authorized is not None:
        request_context["authorizer"] = {"jwt": {"claims": authorized.claims, "scopes": authorized.scopes}}
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route.key,
        "rawPath": request.raw_path,
        "rawQueryString": request.raw_query,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    if request.raw_query:
        query: dict[str, str] = {}
        for key, value in parse_qsl(request.raw_query, keep_blank_values=True):
            query[key] = f"{query[key]},{value}" if key in query else value
        event["queryStringParameters"] = query
    event["requestContext"] = request_context
    if path_parameters:
        event["pathParameters"] = dict(path_parameters)
    if request.body:
        text = _as_text(request.body, headers.get("content-type"))
        event["body"] = text if text is not None else base64.b64encode(request.body).decode()
        event["isBase64Encoded"] = text is None
    else:
        event["isBase64Encoded"] = False
    return event


def _as_text(body: bytes, content_type: str | None) -> str | None:
    """The body as text when API Gateway would pass it as text, else None (it is base64-encoded)."""
    if content_type and not _TEXT_TYPES.match(content_type.strip()):
        return None
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _request_id() -> str:
    return base64.b64encode(uuid.uuid4().bytes[:10]).decode().rstrip("=")[:14] + "="


# ==================================================================== responses
@dataclass
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def problem(status: int, title: str, detail: str, headers: Sequence[tuple[str, str]] = ()) -> HttpResponse:
    document = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    return HttpResponse(status, [("Content-Type", PROBLEM), *headers], json.dumps(document).encode())


def to_http_response(result: Any) -> HttpResponse:
    """What API Gateway answers for a function's (JSON-decoded) result, payload format 2.0."""
    if not (isinstance(result, dict) and "statusCode" in result):
        # Any other valid JSON: API Gateway assumes 200 and sends the JSON itself as the body.
        text = result if isinstance(result, str) else json.dumps(result)
        return HttpResponse(200, [("Content-Type", "application/json")], text.encode())
    status = result["statusCode"]
    if isinstance(status, str) and status.isdigit():
        status = int(status)
    if not isinstance(status, int) or not 100 <= status <= 599:
        raise ValueError(f"statusCode {status!r} is not an HTTP status")
    headers: list[tuple[str, str]] = []
    single = {str(k).lower(): (str(k), _header_value(v)) for k, v in (result.get("headers") or {}).items()}
    for name, values in (result.get("multiValueHeaders") or {}).items():
        if str(name).lower() not in single:
            headers.extend((str(name), _header_value(v)) for v in (values or []))
    headers.extend(single.values())
    headers.extend(("Set-Cookie", str(cookie)) for cookie in result.get("cookies") or [])
    body = result.get("body")
    if body is None:
        payload = b""
    elif result.get("isBase64Encoded"):
        payload = base64.b64decode(str(body))
    else:
        payload = (body if isinstance(body, str) else json.dumps(body)).encode()
    return HttpResponse(status, headers, payload)


def _header_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# ==================================================================== the API
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
        request_id = _request_id()
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


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        log.info('%s "%s" %s', self.address_string(), self.requestline, code)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug(format, *args)


class HttpServer:
    """The threaded werkzeug server, on its own thread."""

    def __init__(self, app: LocalHttpApi, host: str, port: int) -> None:
        try:
            self._server: BaseWSGIServer = make_server(
                host, port, app, threaded=True, request_handler=_QuietHandler
            )
        except SystemExit:  # werkzeug's answer to a port in use
            raise OSError(f"the local API cannot listen on {host}:{port}: the port is in use") from None
        self._thread = threading.Thread(target=self._server.serve_forever, name="local-http-api", daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():  # shutdown() waits for serve_forever, so only once it runs
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()
