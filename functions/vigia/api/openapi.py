"""The OpenAPI 3.1 document, generated from the route table and the same schemas that validate requests."""

from __future__ import annotations

import functools
import re
from typing import Any

from vigia.api.parameters import DEFAULT_SHAPE, QUERY_SHAPES
from vigia.api.routes import PUBLIC, ROUTES, Route
from vigia.api.strict_json import MAX_BODY_BYTES
from vigia.api.validation import load_schema

_REASONS = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    400: "Malformed JSON or a schema violation (errors[].path); a query value, path segment or header "
    "that breaks the input rules (docs/api.md)",
    401: "Missing, invalid or expired token",
    403: "Not allowed for the caller's role or status",
    404: "Unknown, or not visible to the caller",
    409: "Conflicts with the current state",
    413: f"The body is larger than {MAX_BODY_BYTES} bytes",
    415: "The body is not application/json (with charset=utf-8 or no charset)",
    422: "Well-formed but not acceptable (e.g. outside the service area, Idempotency-Key reuse)",
    429: "Rate limit reached; see Retry-After",
}
_COMMON_REF = re.compile(r"^(?:\.\./)?common\.json#/\$defs/(\w+)$")


def _component_name(schema_file: str) -> str:
    stem = schema_file.rsplit("/", 1)[-1].removesuffix(".json")
    return "".join(part.capitalize() for part in re.split(r"[-_]", stem))


def _rewrite_refs(node: Any) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and (m := _COMMON_REF.match(value)):
                out[key] = f"#/components/schemas/{m.group(1).capitalize()}"
            elif key in ("$schema", "$id"):
                continue
            else:
                out[key] = _rewrite_refs(value)
        return out
    if isinstance(node, list):
        return [_rewrite_refs(v) for v in node]
    return node


def _operation(route: Route) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": re.sub(r"[^a-zA-Z0-9]+", "_", f"{route.method.lower()}{route.path}").strip("_"),
        "summary": route.summary,
        "tags": list(route.tags),
        "x-vigia-roles": sorted(route.roles),
        "responses": {str(route.success): {"description": _REASONS.get(route.success, "OK")}},
    }
    # Every route with a body may answer 400, 413 and 415 (vigia.api.strict_json), declared or not.
    statuses = sorted({*route.errors, *((400, 413, 415) if route.request_schema else ())})
    for status in statuses:
        op["responses"][str(status)] = {
            "description": _REASONS[status],
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
    if PUBLIC in route.roles:
        op["security"] = []
    params = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in re.findall(r"{(\w+)}", route.path)
    ]
    params += [
        {"name": h, "in": "header", "required": False, "schema": {"type": "string", "maxLength": 128}}
        for h in route.headers
    ]
    params += [{"name": q, "in": "query", "required": False, "schema": _query_schema(q)} for q in route.query]
    if params:
        op["parameters"] = params
    if route.ownership:
        op["x-vigia-ownership"] = dict(route.ownership)
    if route.request_schema:
        op["requestBody"] = {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"$ref": f"#/components/schemas/{_component_name(route.request_schema)}"}
                }
            },
        }
    return op


def _query_schema(name: str) -> dict[str, Any]:
    """The shape vigia.api.parameters enforces for a query parameter, ASCII only."""
    pattern, expected = QUERY_SHAPES.get(name, DEFAULT_SHAPE)
    return {"type": "string", "pattern": f"^{pattern}$", "description": expected}


@functools.cache
def document() -> dict[str, Any]:
    components: dict[str, Any] = {
        "Problem": {
            "type": "object",
            "description": "RFC 9457 problem details",
            "required": ["type", "title", "status", "detail"],
            "properties": {
                "type": {"type": "string", "format": "uri"},
                "title": {"type": "string"},
                "status": {"type": "integer"},
                "detail": {"type": "string"},
                "errors": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["path", "message"],
                        "properties": {"path": {"type": "string"}, "message": {"type": "string"}},
                    },
                },
            },
        }
    }
    for name, definition in load_schema("common.json")["$defs"].items():
        components[name.capitalize()] = _rewrite_refs(definition)
    paths: dict[str, Any] = {}
    for route in ROUTES:
        if route.request_schema:
            components[_component_name(route.request_schema)] = _rewrite_refs(
                load_schema(route.request_schema)
            )
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Vigía API",
            "version": "1.0.0",
            "description": "Community alerts and the security observatory. "
            "Errors are RFC 9457 problem details.",
        },
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "servers": [{"url": "/"}],
        "security": [{"cognitoJwt": []}],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "cognitoJwt": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "Cognito ID token (USER_PASSWORD_AUTH)",
                },
            },
        },
    }
