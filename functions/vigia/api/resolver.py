"""The HTTP resolver every API function uses: its routers, and errors mapped to problem+json in one place."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError

from vigia.api import problems
from vigia.errors import VigiaError
from vigia.observability import logger


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
    def unexpected(_: Exception) -> Response:
        # An accepted alert is already stored, so nothing is lost; the log says only that it failed.
        logger.exception("unhandled error")
        body = problems.problem_body(
            500, "Internal error", "Something went wrong on our side; it was logged.", "internal"
        )
        return Response(500, problems.CONTENT_TYPE, json.dumps(body))

    return app
