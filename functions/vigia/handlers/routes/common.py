"""What every route does first: authorise the caller against the route table, parse and validate the body."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from vigia.api.auth import Caller, caller_from_event
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
        return authorize(key, who)
    except Forbidden as refused:
        if who is not None and not who.roles and "resident_status" in refused.extra:
            # a resident without a group: pending or rejected, as their record says
            from vigia import runtime
            from vigia.residents.registration import not_admitted

            resident = runtime.residents().get(who.user_id)
            raise not_admitted(resident.status if resident else None) from None
        raise


def signed_in(router: APIGatewayHttpRouter, key: str) -> Caller:
    who = caller(router, key)
    assert who is not None, f"{key} must not be a public route"
    return who


def body(router: APIGatewayHttpRouter, schema: str) -> dict[str, Any]:
    return validate(schema, parse_json_body(router.current_event.body))


def query(router: APIGatewayHttpRouter, name: str) -> str | None:
    params = router.current_event.query_string_parameters or {}
    value = params.get(name)
    return value if value not in (None, "") else None
