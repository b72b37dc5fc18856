"""The routes of an HTTP API's OpenAPI body, and the one API Gateway picks for a request."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from infra.local.engine.jwt_auth import JwtConfiguration

log = logging.getLogger("local_stack.api")

ANY = "ANY"
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
_INTEGRATION_ARN = re.compile(r"/functions/(arn:[^/]+)/invocations")


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
