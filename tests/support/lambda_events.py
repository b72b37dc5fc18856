"""API Gateway HTTP API (payload 2.0) events and a Lambda context, as the handlers receive them."""

from __future__ import annotations

import json
from typing import Any


def api_event(
    method: str,
    path: str,
    body: Any = None,
    claims: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    source_ip: str = "127.0.0.1",
    request_id: str = "req",
) -> dict[str, Any]:
    """The event API Gateway hands a function for one request; `claims` are the verified JWT's, if any."""
    raw_body = body if isinstance(body, str) or body is None else json.dumps(body)
    context: dict[str, Any] = {
        "accountId": "123456789012",
        "apiId": "test",
        "domainName": "test.local",
        "requestId": request_id,
        "routeKey": "ANY /v1/{proxy+}",
        "stage": "$default",
        "timeEpoch": 0,
        "http": {
            "method": method,
            "path": path,
            "protocol": "HTTP/1.1",
            "sourceIp": source_ip,
            "userAgent": "pytest",
        },
    }
    if claims is not None:
        context["authorizer"] = {"jwt": {"claims": claims, "scopes": None}}
    return {
        "version": "2.0",
        "routeKey": "ANY /v1/{proxy+}",
        "rawPath": path,
        "rawQueryString": "&".join(f"{k}={v}" for k, v in (query or {}).items()),
        "headers": {"content-type": "application/json", **{k.lower(): v for k, v in (headers or {}).items()}},
        "queryStringParameters": query,
        "requestContext": context,
        "body": raw_body,
        "isBase64Encoded": False,
    }


class FakeContext:
    """The parts of Lambda's context object handlers and Powertools read, for one named function."""

    def __init__(
        self,
        function_name: str = "ApiFunction",
        memory_limit_in_mb: int = 512,
        remaining_ms: int = 10_000,
        aws_request_id: str = "req",
        invoked_function_arn: str | None = None,
    ) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = memory_limit_in_mb
        self.invoked_function_arn = (
            invoked_function_arn or f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}"
        )
        self.aws_request_id = aws_request_id
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = aws_request_id
        self._remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self._remaining_ms
