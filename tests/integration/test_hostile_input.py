"""Hostile input on every route of the route table, as every kind of caller: never a 5xx, always a problem.

The routes and the callers come from vigia.api.routes and the authorisation matrix, so a route added to the
table is fuzzed here without touching this file. Each answer must be below 500, and every 4xx must be an
RFC 9457 problem (application/problem+json, its `status` the answer's) no longer than a few KiB whatever was
sent (a problem quotes an excerpt of a value, never the value).
"""

from __future__ import annotations

import base64
import json
import re
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.test_authorization_matrix import BODIES, POLICE_OTHER, POLICE_OWN
from tests.support import FakeContext, api_event
from vigia.api.routes import PUBLIC, ROUTES, SIGNED_IN, Route

MAX_PROBLEM_BYTES = 4096
# Every query parameter any route reads (a route ignores the ones it does not know).
QUERY_NAMES = (
    "limit",
    "peek",
    "cursor",
    "date",
    "from",
    "to",
    "since",
    "status",
    "type",
    "zone",
    "quadrant",
    "format",
    "period",
    "alert_id",
)
HOSTILE_VALUES = (
    "１０",  # full-width digits: int() and str.isdigit() take them, the document does not
    "٣",
    "-1",
    "0",
    "99999999999999999999999999",
    "1e3",
    " 10",
    "0x10",
    "9999-12-31",
    "0001-01-01",
    "9999-12-31T23:59:59Z",
    "２０２６-01-01",
    "20260101",
    "2026-W01-1",
    "2026-13-45",
    "NaN",
    "inf",
    "a\x00b",
    "\u202e\u0007",
    "\ud800",
    "x" * 5000,
    "eyJwayI6IHsiUyI6ICJ4In19",  # base64 of a forged cursor
    "!!!~~~",
    "..%2F..",
)
PATH_VALUES = (
    "9999-12-31",
    "0001-01-01",
    "２０２６-01-01",
    "2026-02-30",
    "x" * 3000,
    "a\x00b",
    "\ud800",
    "..",
    " ",
    "NaN",
)


def _callers(citizen: Any, other_citizen: Any, registered: Any, staff: Any) -> list[tuple[str, Any]]:
    return [
        ("anonymous", None),
        ("pending", registered.claims),
        ("citizen", citizen.claims),
        ("another citizen", other_citizen.claims),
        ("police (own unit)", POLICE_OWN),
        ("police (other unit)", POLICE_OTHER),
        *((role, staff(role)) for role in ("operator", "response_team", "analyst", "admin")),
        *((role, staff(role)) for role in ("sat_team", "sat_coordinator")),
    ]


def _admitted(route: Route, claims: dict[str, str] | None) -> bool:
    if PUBLIC in route.roles:
        return True
    if claims is None:
        return False
    if SIGNED_IN in route.roles:
        return True
    groups = set(claims.get("cognito:groups", "").strip("[]").split())
    return bool(groups & route.roles)


def _valid_body(route: Route) -> Any:
    return BODIES.get(route.request_schema or "", {})


def _strings_to(value: Any, replacement: str) -> Any:
    if isinstance(value, str):
        return replacement
    if isinstance(value, dict):
        return {k: _strings_to(v, replacement) for k, v in value.items()}
    if isinstance(value, list):
        return [_strings_to(v, replacement) for v in value]
    return value


def _numbers_to_nan(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return float("nan")
    if isinstance(value, dict):
        return {k: _numbers_to_nan(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_numbers_to_nan(v) for v in value]
    return value


def hostile_bodies(route: Route) -> list[tuple[str, Any, dict[str, str]]]:
    """(label, body — str, or bytes sent base64-encoded as API Gateway does for non-UTF-8 — , headers)."""
    valid = _valid_body(route) or {"note": "nota", "n": 1}  # an empty body has nothing to spoil
    valid_text = json.dumps(valid)
    json_ct = {"content-type": "application/json"}
    first_key = next(iter(valid), "note") if isinstance(valid, dict) else "note"
    duplicated = "{" + f'"{first_key}": "robbery", "{first_key}": "domestic_violence", ' + valid_text[1:]
    if valid_text == "{}":
        duplicated = f'{{"{first_key}": "a", "{first_key}": "b"}}'
    cases: list[tuple[str, Any, dict[str, str]]] = [
        ("NaN numbers", json.dumps(_numbers_to_nan({**valid, "n": 1})), json_ct),
        ("bare NaN", "NaN", json_ct),
        ("Infinity", '{"a": Infinity, "b": -Infinity}', json_ct),
        (
            "overflowing float",
            valid_text[:-1] + (", " if valid_text != "{}" else "") + '"x": 1e999}',
            json_ct,
        ),
        ("huge integer", '{"seed": 1' + "0" * 5000 + "}", json_ct),
        ("duplicate keys", duplicated, json_ct),
        ("lone surrogate escape", json.dumps(_strings_to(valid, "\ud800")), json_ct),
        ("lone surrogate key", '{"\\udc00": 1}', json_ct),
        ("duplicated lone surrogate key", '{"\\ud800x": 1, "\\ud800x": 2}', json_ct),
        ("invalid UTF-8", b'{"note": "\xff\xfe\xc0\xaf"}', json_ct),
        ("deep arrays", "[" * 30_000 + "]" * 30_000, json_ct),
        ("deep objects", '{"a":' * 200 + "1" + "}" * 200, json_ct),
        (
            "10 MB note",
            json.dumps({**(valid if isinstance(valid, dict) else {}), "note": "x" * 10_000_000}),
            json_ct,
        ),
        (
            "60 KB note",
            json.dumps({**(valid if isinstance(valid, dict) else {}), "note": "y" * 60_000}),
            json_ct,
        ),
        ("control characters", json.dumps(_strings_to(valid, "Ana\x00\x07\x1b[2J\x85")), json_ct),
        ("noncharacters", json.dumps(_strings_to(valid, "a\ufffe\uffffb")), json_ct),
        ("wrong types", json.dumps(_strings_to(valid, [])), json_ct),  # type: ignore[arg-type]
        ("not an object", '["a", 1]', json_ct),
        ("null", "null", json_ct),
        ("empty", "", json_ct),
        ("byte order mark", "\ufeff" + valid_text, json_ct),
        ("truncated", valid_text[: len(valid_text) // 2], json_ct),
        ("text/plain", valid_text, {"content-type": "text/plain"}),
        ("form", "a=1&b=2", {"content-type": "application/x-www-form-urlencoded"}),
        ("latin-1 charset", valid_text, {"content-type": "application/json; charset=latin-1"}),
        ("no content type", valid_text, {"content-type": ""}),
    ]
    return cases


# What a body route answers, whatever the route: the strict reading comes before anything else.
EXPECTED_STATUS = {
    **dict.fromkeys(
        (
            "NaN numbers",
            "bare NaN",
            "Infinity",
            "overflowing float",
            "duplicate keys",
            "lone surrogate escape",
            "lone surrogate key",
            "duplicated lone surrogate key",
            "invalid UTF-8",
            "deep arrays",
            "deep objects",
            "control characters",
            "noncharacters",
        ),
        400,
    ),
    "10 MB note": 413,
    **dict.fromkeys(("text/plain", "form", "latin-1 charset", "no content type"), 415),
}


def _event(
    method: str, path: str, body: Any, claims: Any, headers: dict[str, str], query: Any
) -> dict[str, Any]:
    if isinstance(body, bytes):
        event = api_event(method, path, None, claims, headers, query)
        event["body"] = base64.b64encode(body).decode()
        event["isBase64Encoded"] = True
    else:
        event = api_event(method, path, body, claims, headers, query)
    if headers.get("content-type") == "":
        event["headers"].pop("content-type", None)
    return event


def _answer(event: dict[str, Any]) -> dict[str, Any]:
    """What API Gateway's routing would answer: the function the template's most specific route names
    (ApiFunction, SilentApiFunction, SatApiFunction, ...), as the in-process API caller routes."""
    from tests.support.api_caller import _function_for

    handler = _function_for(event["requestContext"]["http"]["method"], event["rawPath"])
    return dict(handler(event, FakeContext()))


@pytest.fixture
def send(stack: Any):
    failures: list[str] = []

    def call(
        label: str,
        method: str,
        path: str,
        body: Any = None,
        claims: Any = None,
        headers: dict[str, str] | None = None,
        query: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        event = _event(method, path, body, claims, headers or {}, query)
        result = _answer(event)
        status = result["statusCode"]
        problem = _problem_failure(result)
        if status >= 500 or problem:
            failures.append(
                f"{method} {path[:60]} [{label}]: {status} {problem or ''} {result.get('body', '')[:200]}"
            )
        return result

    call.failures = failures  # type: ignore[attr-defined]
    return call


def _problem_failure(result: dict[str, Any]) -> str | None:
    status = result["statusCode"]
    if not 400 <= status < 500:
        return None
    headers = {k.lower(): v for k, v in (result.get("headers") or {}).items()}
    if not headers.get("content-type", "").startswith("application/problem+json"):
        return f"a {status} that is not problem+json ({headers.get('content-type')})"
    body = result.get("body") or ""
    try:
        body.encode("utf-8")
    except UnicodeEncodeError:
        return "a problem that is not UTF-8 (it quotes a lone surrogate)"
    if len(body.encode("utf-8")) > MAX_PROBLEM_BYTES:
        return f"a {len(body)}-character problem: it echoes what was sent"
    try:
        document = json.loads(body)
    except ValueError:
        return "a problem that is not JSON"
    if document.get("status") != status or not document.get("title") or "detail" not in document:
        return "a problem without status, title and detail"
    return None


@pytest.fixture
def setting(api: Any, staff_claims: Any, citizen: Any) -> dict[str, str]:
    operator = staff_claims("operator")
    for unit, officer in (("GC-01", POLICE_OWN), ("GC-02", POLICE_OTHER)):
        assert (
            api("PUT", f"/v1/units/{unit}/crew", {"user_ids": [officer["sub"]]}, claims=operator).status
            == 200
        )
    alert = api("POST", "/v1/alerts", BODIES["requests/alert.json"], claims=citizen.claims)
    assert alert.status == 202, alert.body
    return {
        "alert_id": alert.json["alert_id"],
        "unit_id": "GC-01",
        "queue": "sms",
        "date": date.today().isoformat(),
    }


def _path(route: Route, params: dict[str, str], user_id: str, override: str | None = None) -> str:
    values = {**params, "user_id": user_id}
    return re.sub(
        r"{(\w+)}", lambda m: override if override is not None else values.get(m.group(1), "x"), route.path
    )


def _admitted_caller(route: Route, callers: list[tuple[str, Any]]) -> tuple[str, Any]:
    return (
        next((name, claims) for name, claims in callers if _admitted(route, claims) and claims is not None)
        if PUBLIC not in route.roles
        else ("anonymous", None)
    )


def _with_body(route: Route) -> Any:
    return _valid_body(route) if route.method != "GET" else None


CORE_VALUES = ("１０", "9999-12-31", "-1", "a\x00b", "x" * 5000)


def test_every_caller_gets_a_problem_not_a_crash_on_every_route(
    send, setting, staff_claims, citizen, other_citizen, registered
):
    callers = _callers(citizen, other_citizen, registered, staff_claims)
    for route in ROUTES:
        path = _path(route, setting, registered.user_id)
        bodies = hostile_bodies(route)
        for n, (name, claims) in enumerate(callers):
            for label, body, headers in bodies[n % 5 :: 6]:
                send(f"{name}: {label}", route.method, path, body, claims, headers)
            value = HOSTILE_VALUES[n % len(HOSTILE_VALUES)]
            send(
                f"{name}: query {value[:20]!r}",
                route.method,
                path,
                _with_body(route),
                claims,
                {},
                dict.fromkeys(QUERY_NAMES, value),
            )
            if "{" in route.path:
                hostile = _path(
                    route, setting, registered.user_id, override=PATH_VALUES[n % len(PATH_VALUES)]
                )
                send(f"{name}: path", route.method, hostile, _with_body(route), claims)
    assert not send.failures, f"{len(send.failures)} bad answers:\n" + "\n".join(send.failures[:60])


def test_an_admitted_caller_gets_a_problem_for_every_hostile_body(
    send, setting, staff_claims, citizen, other_citizen, registered
):
    callers = _callers(citizen, other_citizen, registered, staff_claims)
    for route in ROUTES:
        if route.method == "GET":
            continue
        name, claims = _admitted_caller(route, callers)
        path = _path(route, setting, registered.user_id)
        for label, body, headers in hostile_bodies(route):
            result = send(f"{name}: {label}", route.method, path, body, claims, headers)
            want = EXPECTED_STATUS.get(label) if route.request_schema else None  # others ignore a body
            if route.request_media and want == 415:  # a form route reads its own media (Open311's form)
                want = None
            if want is not None and result["statusCode"] != want:
                send.failures.append(f"{route.key} [{label}]: {result['statusCode']}, not {want}")
    assert not send.failures, f"{len(send.failures)} bad answers:\n" + "\n".join(send.failures[:60])


def test_query_path_and_header_values_get_a_problem_not_a_crash(
    send, setting, staff_claims, citizen, other_citizen, registered
):
    callers = _callers(citizen, other_citizen, registered, staff_claims)
    for route in ROUTES:
        name, claims = _admitted_caller(route, callers)
        path = _path(route, setting, registered.user_id)
        if route.method == "GET":
            for query_name in QUERY_NAMES:
                for value in CORE_VALUES:
                    send(
                        f"{name}: ?{query_name}={value[:20]!r}",
                        route.method,
                        path,
                        None,
                        claims,
                        {},
                        {query_name: value},
                    )
        if "{" in route.path:
            for value in PATH_VALUES:
                hostile = _path(route, setting, registered.user_id, override=value)
                send(f"{name}: path {value[:20]!r}", route.method, hostile, _with_body(route), claims)
        for header, value in (
            ("idempotency-key", "k" * 10_000),
            ("idempotency-key", "k\x00\x07"),
            ("x-reason", "r" * 100_000),
            ("x-reason", "\ud800\x00"),
        ):
            send(f"{name}: header {header}", route.method, path, _with_body(route), claims, {header: value})
    assert not send.failures, f"{len(send.failures)} bad answers:\n" + "\n".join(send.failures[:60])


_GENERATED_TEXT = st.text(st.characters(blacklist_categories=()), max_size=80)
_JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | _GENERATED_TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_GENERATED_TEXT, children, max_size=4),
    max_leaves=12,
)


@settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_generated_bodies_get_a_problem_not_a_crash(
    send, setting, staff_claims, citizen, other_citizen, registered, data
):
    callers = _callers(citizen, other_citizen, registered, staff_claims)
    route = data.draw(st.sampled_from([r for r in ROUTES if r.request_schema]))
    valid = _valid_body(route)
    body = data.draw(
        st.one_of(
            st.binary(max_size=120),
            _GENERATED_TEXT,
            _JSON_VALUES.map(lambda v: json.dumps(v, allow_nan=True)),
            # the valid body with one field replaced by anything at all
            st.tuples(st.sampled_from(sorted(valid) or ["note"]), _JSON_VALUES).map(
                lambda kv: json.dumps({**valid, kv[0]: kv[1]}, allow_nan=True)
            ),
        )
    )
    name, claims = _admitted_caller(route, callers)
    send(f"{name}: generated", route.method, _path(route, setting, registered.user_id), body, claims)
    assert not send.failures, "\n".join(send.failures)


def test_declared_query_parameters_accept_only_what_the_openapi_document_says(
    send, setting, staff_claims, citizen, other_citizen, registered
):
    """limit, dates and ids in ASCII, as the document's patterns say; full-width digits are not digits."""
    from vigia.api.openapi import document

    callers = _callers(citizen, other_citizen, registered, staff_claims)
    refused = {
        "limit": ("１０", "٣", "-1", "0", "1e3", "9999999"),
        "peek": ("１", "-1", "11"),
        "date": ("9999-12-31", "２０２６-01-01", "2026-13-01", "20260101"),
        "from": ("9999-12-31", "２０２６-01-01"),
        "to": ("9999-12-31", "0001-01-01"),
        "since": ("２０２６-01-01T00:00:00Z", "9999-12-31T23:59:59Z"),
        "cursor": ("not a cursor", "x" * 3000),
    }
    wrong: list[str] = []
    checked = 0
    for route in ROUTES:
        declared = {p["name"] for p in _declared(document(), route) if p["in"] == "query"}
        name, claims = _admitted_caller(route, callers)
        path = _path(route, setting, registered.user_id)
        for parameter in sorted(declared & set(refused)):
            for value in refused[parameter]:
                result = send(
                    f"{name}: ?{parameter}",
                    route.method,
                    path,
                    _with_body(route),
                    claims,
                    {},
                    {parameter: value},
                )
                checked += 1
                errors = json.loads(result.get("body") or "{}").get("errors") or [{}]
                if result["statusCode"] != 400 or errors[0].get("path") != f"/{parameter}":
                    wrong.append(
                        f"{route.key} ?{parameter}={value[:20]!r}: {result['statusCode']} {errors[0]}"
                    )
    assert checked >= 40  # the queues, hot spots, dosage, surveys, indicators, DLQ, silent alerts
    assert not wrong, "\n".join(wrong)
    assert not send.failures, "\n".join(send.failures)


def _declared(doc: dict[str, Any], route: Route) -> list[dict[str, Any]]:
    return doc["paths"][route.path][route.method.lower()].get("parameters") or []
