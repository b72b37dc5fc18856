"""The local HTTP API: route matching as API Gateway does it, the 2.0 event, the response mapping."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from infra.local.engine.http_api import (
    IncomingRequest,
    Mounts,
    Route,
    build_event,
    match_route,
    routes_from_openapi,
    to_http_response,
)
from infra.local.engine.jwt_auth import Authorized, render_claims

ROUTES = [
    Route("GET", "/v1/health", "Api"),
    Route("ANY", "/v1/{proxy+}", "Api", "Jwt"),
    Route("GET", "/v1/alerts/{alert_id}", "Api", "Jwt"),
    Route("POST", "/v1/alerts/{alert_id}/notes", "Api", "Jwt"),
    Route("GET", "/v1/alerts/today", "Api", "Jwt"),
    Route("ANY", "/v1/admin/{proxy+}", "Admin", "Jwt"),
    Route("ANY", "/v1/me", "Api", "Jwt"),
    Route("GET", "/v1/me", "Me", "Jwt"),
]


@pytest.mark.parametrize(
    ("method", "path", "route_key", "params"),
    [
        ("GET", "/v1/health", "GET /v1/health", {}),
        ("POST", "/v1/health", "ANY /v1/{proxy+}", {"proxy": "health"}),
        ("GET", "/v1/alerts/today", "GET /v1/alerts/today", {}),
        ("GET", "/v1/alerts/a-1", "GET /v1/alerts/{alert_id}", {"alert_id": "a-1"}),
        ("DELETE", "/v1/alerts/a-1", "ANY /v1/{proxy+}", {"proxy": "alerts/a-1"}),
        ("POST", "/v1/alerts/a%201/notes", "POST /v1/alerts/{alert_id}/notes", {"alert_id": "a 1"}),
        ("GET", "/v1/admin/dlq/sms", "ANY /v1/admin/{proxy+}", {"proxy": "dlq/sms"}),
        ("GET", "/v1/me", "GET /v1/me", {}),
        ("PATCH", "/v1/me", "ANY /v1/me", {}),
    ],
)
def test_the_most_specific_route_wins(method: str, path: str, route_key: str, params: dict[str, str]) -> None:
    matched = match_route(ROUTES, method, path)

    assert matched is not None
    route, found = matched
    assert route.key == route_key
    assert found == params


def test_no_route_matches_outside_the_greedy_prefix_and_default_catches_the_rest() -> None:
    assert match_route(ROUTES, "GET", "/v2/health") is None
    assert match_route(ROUTES, "GET", "/v1") is None  # {proxy+} needs at least one segment

    matched = match_route([*ROUTES, Route("ANY", "$default", "Fallback")], "GET", "/v2/health")

    assert matched is not None
    assert matched[0].key == "$default"


def test_routes_and_authorizers_come_from_the_openapi_body() -> None:
    arn = "arn:aws:lambda:us-east-1:123456789012:function:api"
    integration = {
        "type": "aws_proxy",
        "payloadFormatVersion": "2.0",
        "uri": f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{arn}/invocations",
    }
    body = {
        "paths": {
            "/v1/health": {
                "get": {"x-amazon-apigateway-integration": integration, "security": [{"NONE": []}]}
            },
            "/v1/{proxy+}": {
                "x-amazon-apigateway-any-method": {
                    "x-amazon-apigateway-integration": integration,
                    "security": [{"CognitoJwt": ["vigia/read"]}],
                }
            },
        },
        "components": {
            "securitySchemes": {
                "CognitoJwt": {
                    "type": "oauth2",
                    "x-amazon-apigateway-authorizer": {
                        "type": "jwt",
                        "identitySource": "$request.header.Authorization",
                        "jwtConfiguration": {"issuer": "https://issuer", "audience": ["client-1"]},
                    },
                }
            }
        },
    }

    routes, authorizers = routes_from_openapi(body, {arn: "ApiFunction"}.get)

    assert {(r.key, r.function, r.authorizer, r.scopes) for r in routes} == {
        ("GET /v1/health", "ApiFunction", None, ()),
        ("ANY /v1/{proxy+}", "ApiFunction", "CognitoJwt", ("vigia/read",)),
    }
    assert authorizers["CognitoJwt"].issuer == "https://issuer"
    assert authorizers["CognitoJwt"].audience == ("client-1",)
    assert authorizers["CognitoJwt"].header == "authorization"


def _event(request: IncomingRequest, authorized: Authorized | None = None) -> dict[str, Any]:
    matched = match_route(ROUTES, request.method, request.raw_path)
    assert matched is not None
    return build_event(
        request, matched[0], matched[1], api_id="abc123", account_id="123456789012",
        authorized=authorized, request_id="req-1", now=1_700_000_000.5,
    )  # fmt: skip


def test_the_event_is_payload_format_2_0() -> None:
    request = IncomingRequest(
        method="POST",
        raw_path="/v1/alerts/a-1/notes",
        raw_query="x=1&x=2&empty=",
        headers=[("Host", "127.0.0.1:3000"), ("Content-Type", "application/json"), ("X-Thing", "a"),
                 ("X-Thing", "b"), ("Cookie", "s=1; t=2"), ("User-Agent", "curl/8")],
        body=b'{"text": "hola"}',
        source_ip="10.0.0.9",
    )  # fmt: skip

    event = _event(request)

    assert event["version"] == "2.0"
    assert event["routeKey"] == "POST /v1/alerts/{alert_id}/notes"
    assert event["rawPath"] == "/v1/alerts/a-1/notes"
    assert event["rawQueryString"] == "x=1&x=2&empty="
    assert event["queryStringParameters"] == {"x": "1,2", "empty": ""}
    assert event["pathParameters"] == {"alert_id": "a-1"}
    assert event["cookies"] == ["s=1", "t=2"]
    assert event["headers"]["x-thing"] == "a,b"
    assert event["headers"]["content-type"] == "application/json"
    assert "cookie" not in event["headers"]
    assert event["body"] == '{"text": "hola"}'
    assert event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["accountId"] == "123456789012"
    assert context["apiId"] == "abc123"
    assert context["domainName"] == "127.0.0.1"
    assert context["http"] == {
        "method": "POST", "path": "/v1/alerts/a-1/notes", "protocol": "HTTP/1.1",
        "sourceIp": "10.0.0.9", "userAgent": "curl/8",
    }  # fmt: skip
    assert context["requestId"] == "req-1"
    assert context["routeKey"] == event["routeKey"]
    assert context["stage"] == "$default"
    assert context["time"] == "14/Nov/2023:22:13:20 +0000"
    assert context["timeEpoch"] == 1_700_000_000_500
    assert "authorizer" not in context


def test_a_request_without_query_or_body_has_neither() -> None:
    event = _event(IncomingRequest(method="GET", raw_path="/v1/health"))

    assert "queryStringParameters" not in event
    assert "body" not in event
    assert "cookies" not in event
    assert "pathParameters" not in event
    assert event["isBase64Encoded"] is False


def test_binary_bodies_are_base64_encoded() -> None:
    event = _event(
        IncomingRequest("PUT", "/v1/photo", headers=[("Content-Type", "image/jpeg")], body=b"\xff\xd8")
    )

    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"\xff\xd8"


def test_claims_arrive_as_strings_with_arrays_rendered_like_api_gateway() -> None:
    claims = {
        "sub": "u-1",
        "cognito:groups": ["operator", "police"],
        "exp": 1700000000,
        "email_verified": True,
    }
    authorized = Authorized(claims=render_claims(claims), scopes=None)

    event = _event(IncomingRequest("GET", "/v1/me"), authorized)

    jwt = event["requestContext"]["authorizer"]["jwt"]
    assert jwt["claims"] == {
        "sub": "u-1", "cognito:groups": "[operator police]", "exp": "1700000000", "email_verified": "true",
    }  # fmt: skip
    assert jwt["scopes"] is None


def test_a_proxy_result_becomes_status_headers_cookies_and_body() -> None:
    response = to_http_response({
        "statusCode": 201,
        "headers": {"Content-Type": "application/json", "Location": "/v1/alerts/1"},
        "multiValueHeaders": {"Vary": ["Origin", "Accept"]},
        "cookies": ["a=1; Path=/", "b=2"],
        "body": '{"ok": true}',
    })  # fmt: skip

    assert response.status == 201
    assert ("Location", "/v1/alerts/1") in response.headers
    assert [v for k, v in response.headers if k == "Vary"] == ["Origin", "Accept"]
    assert [v for k, v in response.headers if k == "Set-Cookie"] == ["a=1; Path=/", "b=2"]
    assert json.loads(response.body) == {"ok": True}


def test_a_base64_result_is_decoded() -> None:
    body = base64.b64encode(b"\x00\x01").decode()

    response = to_http_response({"statusCode": 200, "body": body, "isBase64Encoded": True})

    assert response.body == b"\x00\x01"


@pytest.mark.parametrize(
    ("result", "body"), [({"a": 1}, b'{"a": 1}'), ("hola", b"hola"), ([1, 2], b"[1, 2]")]
)
def test_a_result_without_status_code_is_200_json(result: Any, body: bytes) -> None:
    response = to_http_response(result)

    assert response.status == 200
    assert ("Content-Type", "application/json") in response.headers
    assert response.body == body


def test_an_invalid_status_code_is_rejected() -> None:
    with pytest.raises(ValueError, match="statusCode"):
        to_http_response({"statusCode": "teapot"})


def _answering(name: str) -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [f"{name} {environ['PATH_INFO']}".encode()]

    return app


@pytest.mark.parametrize(
    ("path", "served_by"),
    [
        ("/console", "console"),
        ("/console/", "console"),
        ("/console/app.js", "console"),
        ("/console/admin/x", "admin"),  # the longest prefix wins
        ("/consoles", "api"),  # a prefix is a whole path segment
        ("/v1/health", "api"),
        ("/", "api"),
    ],
)
def test_mounted_apps_serve_their_prefix_and_the_api_everything_else(path: str, served_by: str) -> None:
    # Given an app mounted at /console and another at /console/admin beside the API
    mounts = Mounts(_answering("api"), {"/console": _answering("console")})
    mounts.mount("/console/admin/", _answering("admin"))
    started: list[str] = []

    # When a request for `path` comes in
    body = mounts({"PATH_INFO": path}, lambda status, headers: started.append(status))

    # Then the app that owns the path answers it
    assert started == ["200 OK"]
    assert b"".join(body) == f"{served_by} {path}".encode()


@pytest.mark.parametrize("prefix", ["", "/", "console"])
def test_a_mount_needs_a_path_prefix(prefix: str) -> None:
    with pytest.raises(ValueError, match="path prefix"):
        Mounts(_answering("api")).mount(prefix, _answering("other"))
