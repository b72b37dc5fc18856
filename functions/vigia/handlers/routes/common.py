"""The one way a route is registered: `@route(router, "METHOD /path")` from the route table.

The decorator authorises the caller against the table, then reads what the table declares for the route,
through the edge's strict checks (vigia.api.strict_json, vigia.api.parameters): the path, the declared
headers, the declared query parameters (typed, defaults applied) and the body against its schema. The
route function gets one `Request` and does only what is particular to it. A route that reads a query
parameter or header the table does not declare fails (UndeclaredInput), and so does
tests/unit/test_route_table.py, which reads every route's source.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from vigia import runtime
from vigia.api.auth import Caller, caller_from_event
from vigia.api.edge import caller_address
from vigia.api.parameters import check_headers, check_path, read_query
from vigia.api.routes import BY_KEY, Route, authorize
from vigia.api.validation import parse_json_body, validate
from vigia.errors import Forbidden

RouteFunction = Callable[["Request"], Response]


class UndeclaredInput(LookupError):
    """A route read a query parameter or header its entry in the route table does not declare (a bug)."""


class Declared(Mapping[str, Any]):
    """The values of the declared names only; reading any other name is a bug, not a None."""

    def __init__(self, kind: str, key: str, names: frozenset[str], values: Mapping[str, Any]) -> None:
        self._kind, self._key, self._names, self._values = kind, key, names, values

    def __getitem__(self, name: str) -> Any:
        wanted = name.lower() if self._kind == "header" else name  # header names are case-blind
        if wanted not in self._names:
            raise UndeclaredInput(f"{self._key} reads the {self._kind} {name!r}, which the route table omits")
        return self._values.get(wanted)

    def get(self, name: str, default: Any = None) -> Any:
        value = self[name]
        return default if value is None else value

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


@dataclass(frozen=True)
class Request:
    """What a route function receives: its table entry, the caller and the input read at the door."""

    route: Route
    caller: Caller | None
    path: Mapping[str, str]
    query: Declared
    headers: Declared
    body: dict[str, Any]
    source_ip: str
    raw: bytes = b""  # the body's exact bytes, for a route that declares request_media (vigia.federation)

    @property
    def who(self) -> Caller:
        """The signed-in caller (every route but the public ones has one)."""
        assert self.caller is not None, f"{self.route.key} is a public route"
        return self.caller


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(
        status, "application/json", json.dumps(body, ensure_ascii=False, default=str), headers or {}
    )


def _admitted(route: Route, event: Any) -> Caller | None:
    """The caller if the route table admits them; raises otherwise (a pending resident learns why)."""
    who = caller_from_event(event.raw_event)
    try:
        return authorize(route.key, who)
    except Forbidden as refused:
        if who is not None and not who.roles and "resident_status" in refused.extra:
            # a resident without a group: pending or rejected, as their record says
            from vigia.residents.registration import not_admitted

            resident = runtime.residents().get(who.user_id)
            raise not_admitted(resident.status if resident else None) from None
        raise


def _body(route: Route, event: Any) -> dict[str, Any]:
    # a body of another media type (request_media) is read by its route from `raw`; its request_schema, if
    # any, documents the form (Open311's form fields: vigia.handlers.routes.reports)
    if (
        route.request_schema is None
        or route.request_media is not None
        or (not route.body_required and not event.body)
    ):
        return {}
    document = parse_json_body(
        event.body, is_base64=bool(event.is_base64_encoded), content_type=event.headers.get("content-type")
    )
    return validate(route.request_schema, document)


def _raw(route: Route, event: Any) -> bytes:
    if route.request_media is None or not event.body:
        return b""
    if event.is_base64_encoded:
        try:
            return base64.b64decode(event.body, validate=True)
        except (binascii.Error, ValueError):
            return b""  # not base64 at all: an empty body, refused as what it is by the route
    return str(event.body).encode("utf-8", errors="replace")  # a lone surrogate: bytes no signature covers


def _read(route: Route, router: APIGatewayHttpRouter, path: Mapping[str, str]) -> Request:
    event = router.current_event
    who = _admitted(route, event)
    # Then the path, headers, query and body (after authorising: a stranger learns nothing more).
    check_path(event.path)
    headers = check_headers(route.headers, dict(event.headers or {}))
    query = read_query(route.query, event.query_string_parameters)
    context = event.raw_event.get("requestContext") or {}
    return Request(
        route=route,
        caller=who,
        path=dict(path),
        query=Declared("query parameter", route.key, route.query_names, query),
        headers=Declared("header", route.key, route.header_names, headers),
        body=_body(route, event),
        # the caller's address as API Gateway saw it (always there behind it; "" if an event lacks it), or
        # the viewer's when the request proves it came through the console's CloudFront (vigia.api.edge)
        source_ip=caller_address(
            str((context.get("http") or {}).get("sourceIp") or ""),
            {name.lower(): value for name, value in (event.headers or {}).items()},
            runtime.edge_secret,
        ),
        raw=_raw(route, event),
    )


def route(router: APIGatewayHttpRouter, key: str) -> Callable[[RouteFunction], RouteFunction]:
    """Registers the decorated function for the route table's `key` ("METHOD /path/{template}")."""
    spec = BY_KEY[key]
    rule = re.sub(r"{(\w+)}", r"<\1>", spec.path)

    def register(function: RouteFunction) -> RouteFunction:
        @functools.wraps(function)
        def handle(**path: str) -> Response:
            return function(_read(spec, router, path))

        router.route(rule, spec.method)(handle)
        function.route_key = key  # type: ignore[attr-defined]
        return function

    return register
