"""The OpenAPI 3.1 document, generated from the route table and the same schemas that validate requests."""

from __future__ import annotations

import copy
import re
from typing import Any

from vigia.api.routes import JSON, PATH_PARAMS, PUBLIC, ROUTES, Param, Route
from vigia.api.strict_json import MAX_BODY_BYTES
from vigia.api.validation import load_schema
from vigia.city import CityPack
from vigia.patrol.planning import questions

_REASONS = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    400: "Malformed JSON or a schema violation (errors[].path); a query value, path segment or header "
    "that breaks the input rules (docs/api.md); a value the document allows that the city does not know "
    "(an unknown quadrant in another city's document)",
    401: "Missing, invalid or expired token",
    403: "Not allowed for the caller's role or status",
    404: "Unknown, or not visible to the caller",
    409: "Conflicts with the current state",
    413: f"The body is larger than {MAX_BODY_BYTES} bytes",
    415: "The body is not application/json (with charset=utf-8 or no charset)",
    422: "Well-formed but not acceptable (e.g. outside the service area, Idempotency-Key reuse)",
    429: "Rate limit reached; see Retry-After",
    503: "Being handled by another attempt right now; send it again later",
}
_COMMON_REF = re.compile(r"^(?:\.\./)?common\.json#/\$defs/(\w+)$")


def _component_name(schema_file: str) -> str:
    """requests/unit-status.json -> UnitStatus; responses/unit.json -> UnitAnswer."""
    stem = schema_file.rsplit("/", 1)[-1].removesuffix(".json")
    name = "".join(part.capitalize() for part in re.split(r"[-_]", stem))
    return name + "Answer" if schema_file.startswith("responses/") else name


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


def _success(route: Route) -> dict[str, Any]:
    """The success answer: its schema (schemas/responses/) in JSON, or text for CSV and iCalendar."""
    content: dict[str, Any] = {}
    for media in route.media:
        if media == JSON:
            schema: dict[str, Any] = (
                {"$ref": f"#/components/schemas/{_component_name(route.response_schema)}"}
                if route.response_schema
                else {"type": "object"}
            )
        else:
            schema = {"type": "string", "description": f"{media}; charset=utf-8 (?format= chooses it)"}
        content[media] = {"schema": schema}
    return {"description": _REASONS.get(route.success, "OK"), "content": content}


def _query(param: Param, pack: CityPack | None) -> dict[str, Any]:
    schema = dict(param.schema)
    codes = _pack_codes(param.pack_codes, pack)
    if codes:
        if param.listed:
            one = "|".join(re.escape(c) for c in codes)
            schema["pattern"] = f"^({one})(,({one}))*$"
        else:
            schema.pop("pattern", None)
            schema["enum"] = codes
    description = schema.pop("description", "")
    return {
        "name": param.name,
        "in": "query",
        "required": param.required,
        "description": description,
        "schema": schema,
    }


def _pack_codes(kind: str | None, pack: CityPack | None) -> list[str]:
    """The city's own codes a parameter takes, listed in the document served by a city's stack."""
    if kind is None or pack is None:
        return []
    quadrants = sorted(pack.quadrants)
    types = sorted(pack.alert_types)
    return {
        "quadrants": quadrants,
        "alert_types": types,
        "zones": ["city", *quadrants, *sorted(pack.blocks)],
        "observatory_zones": ["city", pack.official_code.value, *quadrants],
        "types_or_all": ["all", *types],
        "units": sorted(pack.units),
        "report_types": sorted(pack.raw.get("report_types") or {}),  # vigia.reports.catalogue
        "departments": sorted(pack.raw.get("departments") or {}),
    }[kind]


# Request-body fields that take the city's codes (JSON pointers into the schema): a city's document lists
# them, so a body valid by it names a type, quadrant or unit the city has (else the domain names the field).
_BODY_CODES: dict[str, dict[str, str]] = {
    "requests/alert.json": {"/properties/type": "alert_types"},
    "requests/report.json": {"/properties/type": "report_types"},
    "requests/report-route.json": {"/properties/department": "departments"},
    "requests/open311-request.json": {"/properties/service_code": "report_types"},
    "requests/checkin.json": {"/properties/unit_id": "units"},
    "requests/incident-action.json": {"/properties/unit_id": "units"},
    "requests/survey.json": {"/properties/quadrant_id": "quadrants", "/properties/unit_id": "units"},
    "requests/patrol-schedule.json": {
        "/properties/units/items/properties/unit_id": "units",
        "/properties/units/items/properties/quadrant_id": "quadrants",
    },
}


def _with_city_codes(schema_file: str, schema: dict[str, Any], pack: CityPack | None) -> dict[str, Any]:
    """`schema` with the city's codes where a body field takes them, and its survey questions' scales."""
    if pack is None:
        return schema
    schema = copy.deepcopy(schema)
    for pointer, kind in _BODY_CODES.get(schema_file, {}).items():
        node = schema
        for part in pointer.strip("/").split("/"):
            node = node[part]
        node.pop("pattern", None)
        node["enum"] = _pack_codes(kind, pack)
    if schema_file == "requests/survey.json":
        answers = schema["properties"]["answers"]
        for generic in ("propertyNames", "additionalProperties"):
            answers.pop(generic, None)
        answers["properties"] = {
            q.question_id: {"type": "integer", "minimum": q.scale[0], "maximum": q.scale[1]}
            for q in questions(pack).values()
        }
        answers["additionalProperties"] = False
    return schema


def _operation(route: Route, pack: CityPack | None) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": re.sub(r"[^a-zA-Z0-9]+", "_", f"{route.method.lower()}{route.path}").strip("_"),
        "summary": route.summary,
        "tags": list(route.tags),
        "x-vigia-roles": sorted(route.roles),
        "responses": {str(route.success): _success(route)},
    }
    if route.replay is not None:
        op["responses"][str(route.replay)] = {
            **_success(route),
            "description": "The same request again (its Idempotency-Key; a partner's message, its "
            "distributionID): what the first one created, or the same signed Ack",
        }
    # Every route with a body may answer 400, 413 and 415 (vigia.api.strict_json); every route with a query
    # parameter, header or path parameter may answer 400 (vigia.api.parameters), declared or not.
    reads = bool(route.request_schema or route.query or route.headers or "{" in route.path)
    statuses = sorted(
        {*route.errors, *((413, 415) if route.request_schema else ()), *((400,) if reads else ())}
    )
    for status in statuses:
        op["responses"][str(status)] = {
            "description": _REASONS[status],
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
    if PUBLIC in route.roles:
        op["security"] = []
    params: list[dict[str, Any]] = []
    for name in re.findall(r"{(\w+)}", route.path):
        schema = dict(PATH_PARAMS[name])
        description = schema.pop("description", "")
        params.append(
            {"name": name, "in": "path", "required": True, "description": description, "schema": schema}
        )
    params += [
        {
            "name": h.name,
            "in": "header",
            "required": h.required,
            "description": h.description,
            # clean text: no control characters (vigia.api.strict_json.text_problem)
            "schema": {
                "type": "string",
                "minLength": 1,
                "maxLength": h.max_length,
                "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f]*$",
            },
        }
        for h in route.headers
    ]
    params += [_query(q, pack) for q in route.query]
    if params:
        op["parameters"] = params
    if route.ownership:
        op["x-vigia-ownership"] = dict(route.ownership)
    if route.request_media:
        raw: dict[str, Any] = {"type": "string", "maxLength": 65536}
        if route.request_schema:  # a form's fields (Open311), read by the route from the raw body
            raw = {"$ref": f"#/components/schemas/{_component_name(route.request_schema)}"}
        op["requestBody"] = {"required": True, "content": {route.request_media: {"schema": raw}}}
    elif route.request_schema:
        op["requestBody"] = {
            "required": route.body_required,
            "content": {
                "application/json": {
                    "schema": {"$ref": f"#/components/schemas/{_component_name(route.request_schema)}"}
                }
            },
        }
    return op


_DOCUMENTS: dict[str | None, dict[str, Any]] = {}


def document(pack: CityPack | None = None) -> dict[str, Any]:
    """The document; with a city pack, its codes (alert types, quadrants, zones) are listed where taken."""
    city = pack.city_id if pack else None
    if city not in _DOCUMENTS:
        _DOCUMENTS[city] = _document(pack)
    return _DOCUMENTS[city]


def _document(pack: CityPack | None) -> dict[str, Any]:
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
        for schema_file in (route.request_schema, route.response_schema):
            if schema_file:
                schema = _with_city_codes(schema_file, load_schema(schema_file), pack)
                components[_component_name(schema_file)] = _rewrite_refs(schema)
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route, pack)
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
