"""The HTTP resolver every API function uses: its routers, and errors mapped to problem+json in one place."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError

from vigia.api import problems
from vigia.errors import VigiaError
from vigia.observability import logger

# AWS error codes that mean "not now": throttling, or the service briefly down (a retry can succeed)
TRANSIENT_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "Throttling",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionConflictException",
    }
)


def transient(error: BaseException | None) -> bool:
    """An AWS error (a botocore ClientError, or pynamodb's error around one) that a retry can get past."""
    seen = 0
    while error is not None and seen < 5:
        code = getattr(error, "cause_response_code", None)
        response = getattr(error, "response", None)
        if code is None and isinstance(response, dict):
            code = (response.get("Error") or {}).get("Code")
        if code in TRANSIENT_CODES:
            return True
        error = getattr(error, "cause", None) or error.__cause__
        seen += 1
    return False


def http_app(*routers: Any) -> APIGatewayHttpResolver:
    """A resolver with `routers` included: domain errors, unknown routes and anything unexpected answer
    RFC 9457 problems (never a stack trace, never personal data)."""
    app = APIGatewayHttpResolver()
    for router in routers:
        app.include_router(router)

    @app.exception_handler(VigiaError)
    def domain_error(error: VigiaError) -> Response:
        status, headers, body = problems.from_error(error)
        content_type = headers.pop("Content-Type")
        if status >= 500:
            logger.exception("internal error")
        return Response(status, content_type, body, headers)

    @app.not_found
    def unknown_route(_: NotFoundError) -> Response:
        event = app.current_event
        detail = f"No route {event.http_method} {event.path}."
        body = problems.problem_body(404, "Not found", detail, "not-found")
        return Response(404, problems.CONTENT_TYPE, json.dumps(body))

    @app.exception_handler(Exception)
    def unexpected(error: Exception) -> Response:
        if transient(error):  # nothing was stored half-way (one transaction): the app sends it again
            logger.warning("a store was throttled or unavailable", extra={"error": type(error).__name__})
            body = problems.problem_body(
                503,
                "Service busy",
                "The service is busy for a moment; send the same request again (same Idempotency-Key).",
                "temporarily-unavailable",
            )
            return Response(503, problems.CONTENT_TYPE, json.dumps(body), {"Retry-After": "1"})
        # An accepted alert is already stored, so nothing is lost; the log says only that it failed.
        logger.exception("unhandled error")
        body = problems.problem_body(
            500, "Internal error", "Something went wrong on our side; it was logged.", "internal"
        )
        return Response(500, problems.CONTENT_TYPE, json.dumps(body))

    return app
