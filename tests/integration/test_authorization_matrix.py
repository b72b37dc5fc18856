"""Every route of the OpenAPI document, called by every kind of caller, answers as the route table says.

Expected outcomes come from vigia.api.routes (roles and ownership), so a route added there is walked here
without touching this file: anonymous → 401; a role the route does not admit (a pending resident has none)
→ 403; an admitted caller is let through (not 401/403); an ownership rule lets the owner through and
answers others 404 (someone else's alert) or 403 (another unit's assignment); nobody ever gets a 500.
Routes another area has declared but not wired yet (the resolver answers "No route") are only held to
"no 500".
"""

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from tests.integration.conftest import NEAR_CENTRE, registration_body
from vigia.api.routes import BY_KEY, OWN_ALERT, OWN_ASSIGNMENT, PUBLIC, ROUTES, SIGNED_IN, SILENT_ALERTS

POLICE_OWN = {"sub": "officer-own", "email": "own@city.example", "cognito:groups": "[police]"}
POLICE_OTHER = {"sub": "officer-other", "email": "other@city.example", "cognito:groups": "[police]"}

# Public at the door, authenticated by the body's signature (docs/roaming.md): unsigned, it is a 401 for all.
SIGNED_BY_A_PARTNER = "POST /v1/federation/messages"

# A body each request schema accepts (or nearly: an admitted caller may still get a 400 or 409).
BODIES: dict[str, Any] = {
    "requests/registration.json": registration_body("matriz"),
    "requests/approval.json": {},
    "requests/alert.json": {"type": "robbery", "location": {"lat": NEAR_CENTRE[0], "lon": NEAR_CENTRE[1]}},
    "requests/incident-action.json": {"action": "en_route"},
    "requests/resident-review.json": {"reason": "prueba de permisos"},
    "requests/reinstatement.json": {},
    "requests/unit-status.json": {"status": "available"},
    "requests/unit-crew.json": {"user_ids": ["officer-x"]},
    "requests/staff-account.json": {"email": "matriz-staff@city.example", "groups": ["police"]},
    "requests/staff-groups.json": {"groups": ["police"]},
    "requests/sat-assign.json": {"assignee": "sat-pro-1"},
    "requests/sat-event.json": {"kind": "note", "note": "prueba de permisos"},
    "requests/sat-status.json": {"status": "in_follow_up"},
}


@dataclass(frozen=True)
class Who:
    name: str
    claims: dict[str, str] | None
    roles: frozenset[str]
    owns: bool | None = None  # for callers an ownership rule applies to: own object or someone else's


def expected(route_key: str, who: Who) -> str:
    """allowed | 401 | 403 | 404, from the route table alone."""
    route = BY_KEY[route_key]
    if route_key == SIGNED_BY_A_PARTNER:  # no token opens it, an admin's neither: only a partner's signature
        return "401"
    if PUBLIC in route.roles:
        return "allowed"
    if who.claims is None:
        return "401"
    if SIGNED_IN in route.roles:
        return "allowed"
    admitted = who.roles & route.roles
    if not admitted:
        return "403"
    rules = dict(route.ownership)
    if all(role in rules for role in admitted) and who.owns is False:
        return {OWN_ALERT: "404", OWN_ASSIGNMENT: "403", SILENT_ALERTS: "403"}[rules[min(admitted)]]
    return "allowed"


def outcome_matches(want: str, status: int) -> bool:
    if want == "allowed":
        return status not in (401, 403) and status < 500
    return status == int(want)


def test_the_matrix_covers_every_route_of_the_openapi_document():
    from vigia.api.openapi import document

    in_doc = {f"{m.upper()} {p}" for p, ops in document()["paths"].items() for m in ops}
    assert in_doc == {r.key for r in ROUTES}


def test_every_route_answers_every_caller_as_the_route_table_says(
    api, stack, staff_claims, citizen, other_citizen, registered
):
    operator = staff_claims("operator")
    # Given an alert of `citizen`'s, assigned to GC-01 (crewed by POLICE_OWN; GC-02 by POLICE_OTHER)
    for unit, officer in (("GC-01", POLICE_OWN), ("GC-02", POLICE_OTHER)):
        assert (
            api("PUT", f"/v1/units/{unit}/crew", {"user_ids": [officer["sub"]]}, claims=operator).status
            == 200
        )
    alert = api("POST", "/v1/alerts", BODIES["requests/alert.json"], claims=citizen.claims)
    alert_id = alert.json["alert_id"]
    assigned = api(
        "POST", f"/v1/alerts/{alert_id}/actions", {"action": "assign", "unit_id": "GC-01"}, claims=operator
    )
    assert assigned.status == 200, assigned.body
    params = {
        "alert_id": alert_id,
        "user_id": registered.user_id,
        "unit_id": "GC-03",
        "queue": "sms",
        "date": date.today().isoformat(),
    }
    callers = [
        Who("anonymous", None, frozenset()),
        Who("pending", registered.claims, frozenset()),
        Who("citizen (own alert)", citizen.claims, frozenset({"citizen"}), owns=True),
        Who("citizen (another's alert)", other_citizen.claims, frozenset({"citizen"}), owns=False),
        Who("police (own assignment)", POLICE_OWN, frozenset({"police"}), owns=True),
        Who("police (another unit's)", POLICE_OTHER, frozenset({"police"}), owns=False),
        # the alert is a public one: the response team's actions are on silent alerts only
        Who("response_team", staff_claims("response_team"), frozenset({"response_team"}), owns=False),
        *(
            Who(role, staff_claims(role), frozenset({role}))
            for role in ("operator", "analyst", "admin", "sat_team", "sat_coordinator")
        ),
    ]
    mismatches, unwired = [], set()
    for route in ROUTES:
        path = re.sub(r"{(\w+)}", lambda m: params.get(m.group(1), "x"), route.path)
        body = BODIES.get(route.request_schema or "", {} if route.method in ("POST", "PUT") else None)
        for who in callers:
            answer = api(route.method, path, body, claims=who.claims)
            if answer.status >= 500:
                mismatches.append(f"{route.key} as {who.name}: {answer.status} {answer.body[:200]}")
                continue
            if answer.status == 404 and (answer.json or {}).get("detail", "").startswith("No route"):
                unwired.add(route.key)  # declared by an area that has not wired it yet: no 500 is all we ask
                continue
            want = expected(route.key, who)
            if not outcome_matches(want, answer.status):
                mismatches.append(
                    f"{route.key} as {who.name}: expected {want}, got {answer.status} {answer.body[:160]}"
                )
    assert not mismatches, "\n".join(mismatches)
    assert not unwired & {r.key for r in ROUTES if "incidents" in r.tags}, "incidents routes must be wired"


@pytest.mark.parametrize(
    ("route_key", "who", "want"),
    [
        ("POST /v1/alerts/{alert_id}/actions", Who("p", {}, frozenset({"police"}), owns=False), "403"),
        (
            "POST /v1/alerts/{alert_id}/actions",
            Who("p", {}, frozenset({"police", "operator"}), owns=False),
            "allowed",
        ),
        ("GET /v1/alerts/{alert_id}", Who("c", {}, frozenset({"citizen"}), owns=False), "404"),
        ("GET /v1/alerts", Who("c", {}, frozenset({"police"})), "403"),
        ("GET /v1/me", Who("pending", {}, frozenset()), "allowed"),
        ("GET /v1/units", Who("anonymous", None, frozenset()), "401"),
    ],
)
def test_the_expectations_follow_roles_and_ownership(route_key, who, want):
    assert expected(route_key, who) == want


def test_the_openapi_document_shows_the_queue_parameters_and_the_ownership_rules():
    from vigia.api.openapi import document

    paths = document()["paths"]
    queue = {p["name"]: p["in"] for p in paths["/v1/alerts"]["get"]["parameters"]}
    assert queue == {n: "query" for n in ("status", "type", "since", "zone", "limit", "cursor")}
    assert paths["/v1/alerts/{alert_id}/actions"]["post"]["x-vigia-ownership"] == {
        "police": OWN_ASSIGNMENT,
        "response_team": SILENT_ALERTS,
    }
    assert paths["/v1/alerts/{alert_id}"]["get"]["x-vigia-ownership"] == {"citizen": OWN_ALERT}
