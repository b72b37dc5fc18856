"""The route table drives the routers: every route is registered from it, reads only what it declares,
and the OpenAPI document shows every parameter, header, body and answer the table holds."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from pathlib import Path

import pytest

from tests.support.pack import godoy_cruz_pack
from vigia.api.openapi import document
from vigia.api.routes import BY_KEY, PATH_PARAMS, ROUTES, Param, Route
from vigia.handlers.routes.common import Declared, UndeclaredInput

ROUTES_DIR = Path(__file__).resolve().parents[2] / "functions" / "vigia" / "handlers" / "routes"
ROUTE_MODULES = sorted(p.stem for p in ROUTES_DIR.glob("*.py") if p.stem not in ("__init__", "common"))


def _calls_route(decorator: ast.expr) -> str | None:
    """The key of `@route(router, "KEY")`, else None."""
    if isinstance(decorator, ast.Call) and getattr(decorator.func, "id", None) == "route":
        key = decorator.args[1]
        assert isinstance(key, ast.Constant), "a route key is written out, as in the table"
        return str(key.value)
    return None


def _reads(function: ast.AST) -> set[tuple[str, str]]:
    """("query"|"headers", name) for each request.query[...] or request.headers.get(...) of a literal."""
    found: set[tuple[str, str]] = set()
    for node in ast.walk(function):
        target, name = None, None
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.ctx, ast.Load)
            and isinstance(node.slice, ast.Constant)
        ):
            target, name = node.value, node.slice.value
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            target, name = node.func.value, node.args[0].value
        if (
            isinstance(target, ast.Attribute)
            and target.attr in ("query", "headers")
            and getattr(target.value, "id", None) == "request"
        ):
            found.add((target.attr, str(name)))
        elif isinstance(target, ast.Name) and target.id == "query":  # `query = request.query`
            found.add(("query", str(name)))
    return found


def _module_reads() -> dict[str, set[tuple[str, str]]]:
    """Route key -> what its function reads, itself or through a helper of its module it calls."""
    result: dict[str, set[tuple[str, str]]] = {}
    for stem in ROUTE_MODULES:
        tree = ast.parse((ROUTES_DIR / f"{stem}.py").read_text(encoding="utf-8"))
        functions = {f.name: f for f in tree.body if isinstance(f, ast.FunctionDef)}

        def reach(name: str, seen: set[str], functions: dict[str, ast.FunctionDef] = functions) -> set:
            if name in seen or name not in functions:
                return set()
            seen.add(name)
            reads = _reads(functions[name])
            for node in ast.walk(functions[name]):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                    reads |= reach(node.func.id, seen)
            return reads

        for function in functions.values():
            for decorator in function.decorator_list:
                if (key := _calls_route(decorator)) is not None:
                    assert key not in result, f"{key} is registered twice"
                    result[key] = reach(function.name, set())
    return result


def test_every_route_of_the_table_is_registered_once_and_nothing_else_is():
    registered = _module_reads()
    assert set(registered) == set(BY_KEY), (
        f"not registered: {sorted(set(BY_KEY) - set(registered))}; "
        f"not in the table: {sorted(set(registered) - set(BY_KEY))}"
    )
    for stem in ROUTE_MODULES:
        source = (ROUTES_DIR / f"{stem}.py").read_text(encoding="utf-8")
        assert not re.search(r"@router\.(get|post|put|patch|delete|route)\(", source), (
            f"{stem}.py registers a route by hand: use @route(router, KEY) from the table"
        )


def test_no_route_reads_a_query_parameter_or_header_the_table_does_not_declare():
    undeclared = []
    for key, reads in _module_reads().items():
        route = BY_KEY[key]
        for kind, name in sorted(reads):
            declared = route.query_names if kind == "query" else route.header_names
            if (name if kind == "query" else name.lower()) not in declared:
                undeclared.append(f"{key} reads {kind} {name!r}")
    assert not undeclared, "\n".join(undeclared)


def test_the_source_check_sees_reads_a_route_makes_through_its_helpers():
    """The check above can fail: the schedules read ?format= through a helper, the check-ins the key."""
    reads = _module_reads()
    assert ("query", "format") in reads["GET /v1/patrol-schedules/{date}"]
    assert ("headers", "Idempotency-Key") in reads["POST /v1/patrols/checkins"]
    assert ("query", "limit") in reads["GET /v1/alerts"]


def test_reading_an_undeclared_name_at_run_time_is_an_error_not_a_none():
    query = Declared("query parameter", "GET /v1/units", frozenset({"limit"}), {"limit": 5})
    assert query["limit"] == 5
    with pytest.raises(UndeclaredInput, match="omits"):
        query.get("status")
    headers = Declared("header", "POST /v1/alerts", frozenset({"idempotency-key"}), {"idempotency-key": "k"})
    assert headers["Idempotency-Key"] == "k"
    with pytest.raises(UndeclaredInput):
        headers["X-Reason"]


def test_every_route_function_is_the_decorated_function_itself():
    for stem in ROUTE_MODULES:
        module = importlib.import_module(f"vigia.handlers.routes.{stem}")
        for _, function in inspect.getmembers(module, inspect.isfunction):
            if hasattr(function, "route_key"):
                assert list(inspect.signature(function).parameters) == ["request"], function.__name__


# ------------------------------------------------------------------ the document is the table, complete
def _operation(doc: dict, route: Route) -> dict:
    return doc["paths"][route.path][route.method.lower()]


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.key)
def test_the_document_lists_every_parameter_header_body_and_answer_of_the_route(route: Route):
    op = _operation(document(), route)
    params = {(p["in"], p["name"]): p for p in op.get("parameters", [])}
    assert {n for (where, n) in params if where == "query"} == route.query_names
    assert {n.lower() for (where, n) in params if where == "header"} == route.header_names
    assert {n for (where, n) in params if where == "path"} == set(re.findall(r"{(\w+)}", route.path))
    for param in route.query:
        assert params[("query", param.name)]["required"] is param.required
        assert params[("query", param.name)]["schema"]["type"] == param.schema["type"]
    for header in route.headers:
        assert params[("header", header.name)]["schema"]["maxLength"] == header.max_length
    assert ("requestBody" in op) is bool(route.request_schema or route.request_media)
    success = op["responses"][str(route.success)]
    assert set(success["content"]) == set(route.media)
    json_answer = success["content"].get("application/json")
    if json_answer is not None:
        assert json_answer["schema"].get("$ref"), f"{route.key}: its JSON answer has no schema"
    for status, answer in op["responses"].items():
        # a replay's answer is the first one's (a partner's message again: 409 with the same signed Ack)
        if int(status) >= 400 and int(status) != route.replay:
            assert "application/problem+json" in answer["content"]


def test_every_answer_schema_and_request_schema_resolves_in_the_document():
    doc = document()
    components = doc["components"]["schemas"]
    refs = re.findall(r'"\$ref": "#/components/schemas/(\w+)"', str(doc).replace("'", '"'))
    missing = sorted({r for r in refs if r not in components})
    assert not missing, missing
    unschemed = [r.key for r in ROUTES if "application/json" in r.media and not r.response_schema]
    assert not unschemed, f"routes whose JSON answer has no schema: {unschemed}"


def test_the_header_lengths_are_the_ones_the_door_enforces():
    """X-Reason: the audit trail stores 300 characters; the document says 300, the door refuses 301."""
    from vigia.api.parameters import check_headers
    from vigia.errors import InvalidRequest

    action = BY_KEY["POST /v1/alerts/{alert_id}/actions"]
    reason = next(h for h in action.headers if h.name == "X-Reason")
    assert reason.max_length == 300
    assert check_headers(action.headers, {"x-reason": "r" * 300})["x-reason"] == "r" * 300
    with pytest.raises(InvalidRequest):
        check_headers(action.headers, {"x-reason": "r" * 301})


def test_the_city_document_lists_the_city_codes_where_a_parameter_takes_them():
    pack = godoy_cruz_pack()
    doc = document(pack)
    hotspots = {p["name"]: p for p in _operation(doc, BY_KEY["GET /v1/hotspots"])["parameters"]}
    assert hotspots["quadrant"]["schema"]["enum"] == sorted(pack.quadrants)
    queue = {p["name"]: p for p in _operation(doc, BY_KEY["GET /v1/alerts"])["parameters"]}
    assert re.fullmatch(queue["type"]["schema"]["pattern"], ",".join(sorted(pack.alert_types)[:2]))
    assert not re.fullmatch(queue["type"]["schema"]["pattern"], "not_a_type")


def test_path_parameters_have_one_shape_each_and_the_dead_letter_queues_are_the_adapters_own():
    from vigia.adapters.task_queues import QUEUES

    used = {name for route in ROUTES for name in re.findall(r"{(\w+)}", route.path)}
    assert used <= set(PATH_PARAMS)
    assert PATH_PARAMS["queue"]["enum"] == list(QUEUES)


def test_a_required_query_parameter_is_refused_when_missing_naming_it():
    from vigia.api.parameters import read_query
    from vigia.errors import InvalidRequest

    # (GET /v1/audit's alert_id was required until the trail took other filters; no route needs one now)
    alert_id = Param("alert_id", {"type": "string", "pattern": "^[0-9A-Za-z_-]{1,64}$"}, required=True)
    with pytest.raises(InvalidRequest) as caught:
        read_query((alert_id,), {})
    assert caught.value.errors[0].path == "/alert_id"
    limit = Param("limit", {"type": "integer", "minimum": 1, "maximum": 9, "default": 3})
    assert read_query((limit,), {}) == {"limit": 3}
    assert read_query((limit,), {"limit": "9"}) == {"limit": 9}
