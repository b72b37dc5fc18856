"""What every route does first: authorise the caller against the route table, parse and validate the body.

Every body, query value, path segment and header a route reads passes the edge's strict checks here
(vigia.api.strict_json, vigia.api.parameters): one place, for every handler built from these helpers.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from vigia.api.auth import Caller, caller_from_event
from vigia.api.parameters import check_headers, check_path, check_query
from vigia.api.routes import authorize
from vigia.api.validation import parse_json_body, validate
from vigia.errors import Forbidden


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(
        status, "application/json", json.dumps(body, ensure_ascii=False, default=str), headers or {}
    )


def caller(router: APIGatewayHttpRouter, key: str) -> Caller | None:
    """The caller if the route table admits them for `key` ("METHOD /path/{template}"); raises otherwise."""
    who = caller_from_event(router.current_event.raw_event)
    try:
        admitted = authorize(key, who)
    except Forbidden as refused:
        if who is not None and not who.roles and "resident_status" in refused.extra:
            # a resident without a group: pending or rejected, as their record says
            from vigia import runtime
            from vigia.residents.registration import not_admitted

            resident = runtime.residents().get(who.user_id)
            raise not_admitted(resident.status if resident else None) from None
        raise
    # Then the path and the headers the API reads (after authorising: a stranger learns nothing more).
    check_path(router.current_event.path)
    check_headers(dict(router.current_event.headers or {}))
    return admitted


def signed_in(router: APIGatewayHttpRouter, key: str) -> Caller:
    who = caller(router, key)
    assert who is not None, f"{key} must not be a public route"
    return who


def body(router: APIGatewayHttpRouter, schema: str) -> dict[str, Any]:
    """The request body, read strictly (size, content type, JSON) and valid against schemas/<schema>."""
    event = router.current_event
    document = parse_json_body(
        event.body, is_base64=bool(event.is_base64_encoded), content_type=event.headers.get("content-type")
    )
    return validate(schema, document)


def query(router: APIGatewayHttpRouter, name: str) -> str | None:
    """The query parameter, None when absent or empty; 400 unless it has the shape the API documents."""
    params = router.current_event.query_string_parameters or {}
    value = params.get(name)
    return check_query(name, value) if value not in (None, "") else None
