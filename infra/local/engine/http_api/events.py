"""A request as the payload-format 2.0 event API Gateway sends, and a function's result as its HTTP answer."""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from infra.local.engine.http_api.routes import Route
from infra.local.engine.jwt_auth import Authorized

PROBLEM = "application/problem+json"
_TEXT_TYPES = re.compile(r"^(text/|application/([\w.+-]+\+)?(json|xml|javascript)\b)", re.IGNORECASE)


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
    request_id = request_id or new_request_id()
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


def new_request_id() -> str:
    return base64.b64encode(uuid.uuid4().bytes[:10]).decode().rstrip("=")[:14] + "="


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
