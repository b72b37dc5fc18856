"""The authorisation matrix of silent alarms: every role × every alert route × silent / not silent → the
expected status and fields, on the emulator through the API handler. Then a sweep of every other route
that reads alerts (queues, lifecycles, aggregates): whatever it answers, no one but the response team
ever gets the victim's details."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.integration.conftest import NEAR_CENTRE
from tests.integration.silent_support import Pumps, register_victim, silent_body
from vigia.api.routes import ROUTES
from vigia.silent.views import IDENTITY_KEYS, SEALED_VIEW_KEYS

ROLES = (
    "anonymous",
    "pending",
    "sender",
    "other_citizen",
    "operator",
    "police",
    "response_team",
    "analyst",
    "admin",
)
STAFF = ("operator", "police", "response_team", "analyst", "admin")
SEALED, LINKED, UNSEALED, FULL, TRAIL, DELIVERIES, PROBLEM, CANCELLED = (
    "sealed view",
    "sealed view with the link to open it",
    "unsealed view",
    "full view",
    "audit trail",
    "deliveries",
    "problem",
    "cancelled",
)

# (route, silent) -> role -> (status, what the body is)
MATRIX: dict[tuple[str, bool], dict[str, tuple[int, str]]] = {
    ("GET /v1/alerts/{alert_id}", True): {
        "anonymous": (401, PROBLEM),
        "pending": (403, PROBLEM),
        "sender": (404, PROBLEM),  # an abuser may hold her phone
        "other_citizen": (404, PROBLEM),
        "operator": (200, SEALED),
        "police": (200, SEALED),
        "analyst": (200, SEALED),
        # ApiFunction cannot decrypt: the team gets the sealed view and the link to open it (below)
        "response_team": (200, LINKED),
        "admin": (404, PROBLEM),  # reads who read it (the audit), never her
    },
    ("GET /v1/silent-alerts/{alert_id}", True): {
        "anonymous": (401, PROBLEM),
        "pending": (403, PROBLEM),
        "sender": (403, PROBLEM),
        "other_citizen": (403, PROBLEM),
        **{role: (403, PROBLEM) for role in STAFF},
        "response_team": (200, UNSEALED),  # SilentApiFunction, the one that may decrypt; audited
    },
    ("GET /v1/silent-alerts/{alert_id}", False): {
        "anonymous": (401, PROBLEM),
        "pending": (403, PROBLEM),
        "sender": (403, PROBLEM),
        "other_citizen": (403, PROBLEM),
        **{role: (403, PROBLEM) for role in STAFF},
        "response_team": (404, PROBLEM),  # not a silent alert: nothing to open here
    },
    ("GET /v1/alerts/{alert_id}", False): {
        "anonymous": (401, PROBLEM),
        "pending": (403, PROBLEM),
        "sender": (200, FULL),
        "other_citizen": (404, PROBLEM),
        **{role: (200, FULL) for role in STAFF},
    },
    ("GET /v1/alerts/{alert_id}/deliveries", True): {
        "anonymous": (401, PROBLEM),
        "pending": (403, PROBLEM),
        "sender": (403, PROBLEM),
        "other_citizen": (403, PROBLEM),
        "operator": (200, DELIVERIES),  # the response team's numbers, masked; nothing of her
        "police": (403, PROBLEM),
        "analyst": (403, PROBLEM),
        "response_team": (403, PROBLEM),
        "admin": (200, DELIVERIES),
    },
    ("POST /v1/alerts/{alert_id}/cancel", True): {
        "anonymous": (401, PROBLEM),
        "pending": (403, PROBLEM),
        "sender": (404, PROBLEM),  # the sealed alert names no sender: nobody can cancel it from a phone
        "other_citizen": (404, PROBLEM),
        **{role: (403, PROBLEM) for role in STAFF},
    },
    ("POST /v1/alerts/{alert_id}/cancel", False): {
        "anonymous": (401, PROBLEM),
        "pending": (403, PROBLEM),
        "other_citizen": (404, PROBLEM),
        **{role: (403, PROBLEM) for role in STAFF},
        "sender": (202, CANCELLED),  # last: it changes the alert
    },
    ("GET /v1/audit?alert_id={alert_id}", True): {
        "anonymous": (401, PROBLEM),
        "pending": (403, PROBLEM),
        "sender": (403, PROBLEM),
        "other_citizen": (403, PROBLEM),
        **{role: (403, PROBLEM) for role in STAFF if role != "admin"},
        "admin": (200, TRAIL),
    },
}


@pytest.fixture
def world(api, stack, citizen, other_citizen, registered, staff_claims):
    victim = register_victim(api, staff_claims)
    silent_id = api("POST", "/v1/alerts", silent_body(victim), claims=victim.claims).json["alert_id"]
    robbery = {
        "type": "robbery",
        "location": {"lat": NEAR_CENTRE[0], "lon": NEAR_CENTRE[1]},
        "note": "dos en moto",
    }
    public_id = api("POST", "/v1/alerts", robbery, claims=citizen.claims).json["alert_id"]
    Pumps(stack, skip=frozenset({"WebhookQueue"})).run()  # routed and dispatched: deliveries exist
    # A response-team read, so the trail has an entry with a reason
    assert (
        api(
            "GET",
            f"/v1/silent-alerts/{silent_id}",
            claims=staff_claims("response_team"),
            headers={"X-Reason": "r"},
        ).status
        == 200
    )
    claims = {
        "anonymous": None,
        "pending": registered.claims,
        "other_citizen": other_citizen.claims,
        **{role: staff_claims(role) for role in STAFF},
    }
    return {
        "victim": victim,
        "ids": {True: silent_id, False: public_id},
        "claims": lambda role, silent: (
            (victim.claims if silent else citizen.claims) if role == "sender" else claims[role]
        ),
        "citizen": citizen,
    }


def call(api: Any, route: str, alert_id: str, claims: dict[str, str] | None) -> Any:
    method, path = route.split(" ", 1)
    path = path.replace("{alert_id}", alert_id)
    query = None
    if "?" in path:
        path, raw = path.split("?", 1)
        query = dict(pair.split("=", 1) for pair in raw.split("&"))
    return api(method, path, None, claims=claims, query=query)


def kind_of(answer: Any) -> str:
    body = answer.json if answer.body else {}
    if answer.headers.get("Content-Type", "").startswith("application/problem+json"):
        return PROBLEM
    if "items" in body and "summary" in body:
        return DELIVERIES
    if "items" in body:
        return TRAIL
    if body.get("status") == "cancelled":
        return CANCELLED
    if set(body) == SEALED_VIEW_KEYS:
        return SEALED
    if set(body) == SEALED_VIEW_KEYS | {"unsealed_view"}:
        return LINKED
    if set(body) in (SEALED_VIEW_KEYS | IDENTITY_KEYS, SEALED_VIEW_KEYS | IDENTITY_KEYS | {"lifecycle"}):
        return UNSEALED
    if {"sender_id", "location", "type"} <= set(body):
        return FULL
    return f"unexpected body {sorted(body)}"


def test_every_role_on_every_alert_route_gets_what_the_matrix_says_and_no_other_route_leaks(
    api, world, stack
):
    # (One test for both: building the world costs more than all the calls made in it.)
    victim = world["victim"]
    wrong = []
    for (route, silent), expected in MATRIX.items():
        for role, (status, kind) in expected.items():
            answer = call(api, route, world["ids"][silent], world["claims"](role, silent))
            got = (answer.status, kind_of(answer))
            if got != (status, kind):
                wrong.append(f"{route} silent={silent} as {role}: expected {(status, kind)}, got {got}")
            exposed = [s for s in victim.secrets() if s in answer.body]
            allowed = silent and role == "response_team" and route == "GET /v1/silent-alerts/{alert_id}"
            if exposed and not allowed:
                wrong.append(f"{route} silent={silent} as {role}: her details in the answer: {exposed}")
    assert not wrong, "\n".join(wrong)
    sweep_every_route_that_reads_alerts(api, world, stack)


def test_the_matrix_covers_every_route_on_one_alert():
    """A new /v1/alerts/{alert_id}/… route must be added to the matrix (or to the sweep below)."""
    on_one_alert = {f"{r.method} {r.path}" for r in ROUTES if "{alert_id}" in r.path}
    covered = {route for route, _ in MATRIX} | SWEPT
    assert on_one_alert <= covered, on_one_alert - covered


# Routes with an alert or its aggregates in the answer, swept for leaks with every role.
SWEPT = {"POST /v1/alerts/{alert_id}/actions"}
SWEEP_PREFIXES = (
    "/v1/alerts",
    "/v1/silent-alerts",
    "/v1/audit",
    "/v1/hotspots",
    "/v1/indicators",
    "/v1/patrol",
    "/v1/admin/dlq",
)


def sweep_every_route_that_reads_alerts(api: Any, world: dict[str, Any], stack: Any) -> None:
    """Whatever a route that reads alerts answers, to whomever, her details are not in it."""
    victim = world["victim"]
    silent_id = world["ids"][True]
    leaked = []
    for route in ROUTES:
        if route.method != "GET" and route.key not in SWEPT:
            continue
        if not route.path.startswith(SWEEP_PREFIXES) or "{" in route.path.replace("{alert_id}", ""):
            continue
        for role in ROLES:
            if role == "response_team" and route.key == "GET /v1/silent-alerts/{alert_id}":
                continue
            claims = world["claims"](role, True)
            path = route.path.replace("{alert_id}", silent_id)
            query = {"alert_id": silent_id} if route.path == "/v1/audit" else None
            body = {"action": "acknowledge"} if route.method == "POST" else None
            answer = api(route.method, path, body, claims=claims, query=query)
            exposed = [s for s in victim.secrets() if s in answer.body]
            if exposed:
                leaked.append(f"{route.key} as {role} ({answer.status}): {exposed}")
    assert not leaked, "\n".join(leaked)
    assert json.dumps(stack.alert_item(silent_id), default=str).count(victim.user_id) == 0
