"""Every route of the API in one table: who may call it, what it takes, what it answers.

The handler consults it to authorise each request and the OpenAPI document is generated from it,
so the two cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from vigia.api.auth import Caller
from vigia.errors import Forbidden, NotAuthenticated

PUBLIC = "public"  # no token (the template's routes with Authorizer: NONE)
SIGNED_IN = "signed_in"  # any valid token, even a resident still pending approval
# Object-level rules (Route.ownership). Someone else's alert is as good as absent to a citizen (404); an
# officer sees every alert but acts only on their own unit's assignment (403 otherwise).
OWN_ALERT = "own_alert"
OWN_ASSIGNMENT = "own_assignment"
# The response team acts only on silent alerts (their lifecycle: vigia.silent.lifecycle); 403 on any other.
SILENT_ALERTS = "silent_alerts"


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    summary: str
    roles: frozenset[str]
    request_schema: str | None = None
    success: int = 200
    errors: tuple[int, ...] = ()
    headers: tuple[str, ...] = ()
    tags: tuple[str, ...] = field(default=())
    query: tuple[str, ...] = ()  # optional query parameters
    # (role, rule): that role reaches only the objects it owns on this route (OWN_ALERT, OWN_ASSIGNMENT)
    ownership: tuple[tuple[str, str], ...] = ()

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


def _r(method: str, path: str, summary: str, roles: set[str], **kw: object) -> Route:
    return Route(method, path, summary, frozenset(roles), **kw)  # type: ignore[arg-type]


ROUTES: tuple[Route, ...] = (
    _r("GET", "/v1/health", "Liveness of the API", {PUBLIC}, tags=("meta",)),
    _r("GET", "/v1/openapi.json", "This document", {PUBLIC}, tags=("meta",)),
    _r(
        "GET",
        "/v1/alert-types",
        "The city's alert types, localized, and whether each is silent",
        {SIGNED_IN},
        errors=(401,),
        tags=("alerts",),
    ),
    _r(
        "POST",
        "/v1/registrations",
        "Someone asks to register: the same 202 whether or not they exist; a 6-digit code goes by SMS",
        {PUBLIC},
        request_schema="requests/registration.json",
        success=202,
        errors=(400, 422, 429),
        tags=("residents",),
    ),
    _r(
        "POST",
        "/v1/registrations/{registration_id}/confirm",
        "The SMS code creates the pending resident operators review; any other outcome is one 422",
        {PUBLIC},
        request_schema="requests/registration-confirmation.json",
        errors=(400, 422),
        tags=("residents",),
    ),
    _r(
        "POST",
        "/v1/registrations/{user_id}/approve",
        "An operator approves a pending resident onto their block",
        {"operator", "admin"},
        request_schema="requests/approval.json",
        errors=(400, 401, 403, 404, 409, 422),
        tags=("residents",),
    ),
    _r(
        "GET",
        "/v1/me",
        "The caller's profile, status and block",
        {SIGNED_IN},
        errors=(401,),
        tags=("residents",),
    ),
    _r(
        "POST",
        "/v1/alerts",
        "An approved resident sends an alert",
        {"citizen"},
        request_schema="requests/alert.json",
        success=202,
        errors=(400, 401, 403, 422, 429),
        headers=("Idempotency-Key",),
        tags=("alerts",),
    ),
    _r(
        "GET",
        "/v1/alerts/{alert_id}",
        "One alert: its sender or staff. A silent alert: the sealed view for operator, police, analyst and "
        "response_team (whose answer links to GET /v1/silent-alerts/{alert_id}); 404 to others",
        {"citizen", "operator", "police", "response_team", "analyst", "admin"},
        errors=(401, 404),
        ownership=(("citizen", OWN_ALERT),),
        tags=("alerts",),
    ),
    # protocol dispatch (docs/dispatch.md)
    _r(
        "GET",
        "/v1/alerts/{alert_id}/deliveries",
        "Each delivery of an alert's protocol: channel, masked recipient, status, attempts, last error",
        {"operator", "admin"},
        errors=(401, 403, 404),
        tags=("dispatch",),
    ),
    _r(
        "POST",
        "/v1/alerts/{alert_id}/cancel",
        "The sender cancels the alert within the city's cancel window; everyone told hears so",
        {"citizen"},
        ownership=(("citizen", OWN_ALERT),),
        success=202,
        errors=(401, 403, 404, 409),
        tags=("dispatch",),
    ),
    _r(
        "GET",
        "/v1/admin/dlq",
        "Depth of each dead-letter queue and a peek at its messages (recipients masked)",
        {"operator", "admin"},
        errors=(400, 401, 403),
        query=("peek",),
        tags=("dispatch",),
    ),
    _r(
        "POST",
        "/v1/admin/dlq/{queue}/redrive",
        "Moves a dead-letter queue's messages back to their queue (dispatch, sms, siren or webhook)",
        {"operator", "admin"},
        errors=(400, 401, 403),
        tags=("dispatch",),
    ),
    # hot-spot patrols (docs/patrol.md)
    _r(
        "GET",
        "/v1/hotspots",
        "Ranked hot spots as of a date (?date=, ?quadrant=, ?limit=): score, Gi* z-score, centroid, quadrant",
        {"operator", "police", "analyst", "admin"},
        errors=(400, 401, 403),
        query=("date", "quadrant", "limit"),
        tags=("patrol",),
    ),
    _r(
        "POST",
        "/v1/patrol-schedules",
        "Generates a date's patrol schedule: every hour of each unit's shift, a fixed point then patrol",
        {"operator", "admin"},
        request_schema="requests/patrol-schedule.json",
        success=201,
        errors=(400, 401, 403, 422),
        headers=("Idempotency-Key",),
        query=("format",),
        tags=("patrol",),
    ),
    _r(
        "GET",
        "/v1/patrol-schedules/{date}",
        "A date's patrol schedule (?format=json, csv or ics: one VEVENT per stop)",
        {"operator", "police", "analyst", "admin"},
        errors=(400, 401, 403, 404),
        query=("format",),
        tags=("patrol",),
    ),
    _r(
        "GET",
        "/v1/patrol-schedules/{date}/units/{unit_id}",
        "One unit's stops for a date (?format=json, csv or ics)",
        {"operator", "police", "analyst", "admin"},
        errors=(400, 401, 403, 404),
        query=("format",),
        tags=("patrol",),
    ),
    _r(
        "POST",
        "/v1/patrols/checkins",
        "A unit checks in at its fixed point; it matches within 150 m and the stop's window",
        {"police"},
        request_schema="requests/checkin.json",
        success=201,
        errors=(400, 401, 403, 422),
        headers=("Idempotency-Key",),
        tags=("patrol",),
    ),
    _r(
        "GET",
        "/v1/patrols/dosage",
        "A date's dosage compliance (?date=): planned vs done fixed-point minutes per hot spot and unit",
        {"operator", "police", "analyst", "admin"},
        errors=(400, 401, 403, 404),
        query=("date",),
        tags=("patrol",),
    ),
    _r(
        "POST",
        "/v1/surveys",
        "A neighbour's answers to the city's perception questions, tied to a quadrant, no personal data",
        {"police"},
        request_schema="requests/survey.json",
        success=201,
        errors=(400, 401, 403, 422),
        headers=("Idempotency-Key",),
        tags=("patrol",),
    ),
    _r(
        "GET",
        "/v1/surveys/summary",
        "Perception surveys by quadrant and ISO week (?from=, ?to=, ?quadrant=)",
        {"operator", "police", "analyst", "admin"},
        errors=(400, 401, 403),
        query=("from", "to", "quadrant"),
        tags=("patrol",),
    ),
    # silent alarms (docs/silent-alarms.md)
    _r(
        "GET",
        "/v1/audit",
        "The audit trail of an alert (?alert_id=): who read its sealed identity, when and why",
        {"admin"},
        errors=(400, 401, 403),
        query=("alert_id",),
        tags=("silent",),
    ),
    _r(
        "GET",
        "/v1/silent-alerts",
        "The response team's silent alerts until the team closes them (?limit=), sealed: open one with "
        "GET /v1/silent-alerts/{alert_id}",
        {"response_team"},
        errors=(400, 401, 403),
        query=("limit",),
        tags=("silent",),
    ),
    _r(
        "GET",
        "/v1/silent-alerts/{alert_id}",
        "One silent alert unsealed for the response team: identity, exact place, note, referral directory, "
        "its lifecycle (every read audited with X-Reason; SilentApiFunction, the one that may decrypt)",
        {"response_team"},
        errors=(401, 403, 404),
        headers=("X-Reason",),
        tags=("silent",),
    ),
    # nightly indicators (docs/indicators.md)
    _r(
        "GET",
        "/v1/indicators",
        "Indicators per date x zone x type (?from=, ?to=, ?zone=city|quadrant|block, ?type=all|code, "
        "?limit=, ?cursor=): counts (small cells as <5), rate per 100,000, response times, shares",
        {"operator", "analyst", "admin"},
        errors=(400, 401, 403),
        query=("from", "to", "zone", "type", "limit", "cursor"),
        tags=("indicators",),
    ),
    _r(
        "GET",
        "/v1/indicators/summary",
        "A zone's indicators over an ISO week or a calendar month (?period=week|month, ?date=, ?zone=)",
        {"operator", "analyst", "admin"},
        errors=(400, 401, 403),
        query=("period", "date", "zone", "type"),
        tags=("indicators",),
    ),
    _r(
        "POST",
        "/v1/indicator-runs",
        "Recompute the indicators and exports of past days ({date} or {from, to}); queued, idempotent",
        {"admin"},
        request_schema="requests/indicator-run.json",
        success=202,
        errors=(400, 401, 403, 422),
        headers=("Idempotency-Key",),
        tags=("indicators",),
    ),
    # incidents (docs/incidents.md)
    _r(
        "POST",
        "/v1/alerts/{alert_id}/actions",
        "One step of the alert's lifecycle (acknowledge, assign a unit, en_route, on_scene, resolve, "
        "false_alarm, cancel, escalate); police only en_route/on_scene/resolve on their unit's assignment. "
        "A silent alert has its own lifecycle, response_team only (acknowledge, contact, request_police "
        "with X-Reason and optional unit_id/share_contact, close with an outcome); anyone else gets 403 "
        "naming the rule. 409 lists the actions allowed now",
        {"operator", "police", "admin", "response_team"},
        request_schema="requests/incident-action.json",
        errors=(400, 401, 403, 404, 409),
        headers=("X-Reason",),
        ownership=(("police", OWN_ASSIGNMENT), ("response_team", SILENT_ALERTS)),
        tags=("incidents",),
    ),
    _r(
        "GET",
        "/v1/alerts",
        "The operators' live queue: open alerts by priority then age (or closed ones with "
        "?status=resolved,false_alarm,cancelled), cursor-paginated",
        {"operator", "admin"},
        errors=(400, 401, 403),
        query=("status", "type", "since", "zone", "limit", "cursor"),
        tags=("incidents",),
    ),
    _r(
        "GET",
        "/v1/units",
        "The community police units: status (available, responding, on_scene, out_of_service), "
        "their alert, whether on shift",
        {"operator", "police", "admin"},
        errors=(401, 403),
        tags=("incidents",),
    ),
    _r(
        "POST",
        "/v1/units/{unit_id}/status",
        "Takes a unit out of service or back (not while it has an alert)",
        {"operator", "admin"},
        request_schema="requests/unit-status.json",
        errors=(400, 401, 403, 404, 409),
        tags=("incidents",),
    ),
    _r(
        "PUT",
        "/v1/units/{unit_id}/crew",
        "The police accounts that staff a unit (they may act on its assignments)",
        {"operator", "admin"},
        request_schema="requests/unit-crew.json",
        errors=(400, 401, 403, 404),
        tags=("incidents",),
    ),
    _r(
        "GET",
        "/v1/registrations",
        "Residents by status (?status=pending by default), oldest first, cursor-paginated",
        {"operator", "admin"},
        errors=(400, 401, 403),
        query=("status", "limit", "cursor"),
        tags=("residents",),
    ),
    _r(
        "POST",
        "/v1/registrations/{user_id}/reject",
        "An operator rejects a pending registration, with a reason the registrant is told by SMS",
        {"operator", "admin"},
        request_schema="requests/resident-review.json",
        errors=(400, 401, 403, 404, 409),
        tags=("residents",),
    ),
    _r(
        "POST",
        "/v1/residents/{user_id}/suspend",
        "An operator suspends an approved resident (their alerts get 403 with the helpline); told by SMS",
        {"operator", "admin"},
        request_schema="requests/resident-review.json",
        errors=(400, 401, 403, 404, 409),
        tags=("residents",),
    ),
    _r(
        "POST",
        "/v1/residents/{user_id}/reinstate",
        "An operator reinstates a suspended resident; earlier false-alarm strikes are forgiven",
        {"operator", "admin"},
        request_schema="requests/reinstatement.json",
        errors=(400, 401, 403, 404, 409),
        tags=("residents",),
    ),
)

BY_KEY = {route.key: route for route in ROUTES}


def authorize(key: str, caller: Caller | None) -> Caller | None:
    """The caller if the route admits them; 401 without a token, 403 without a role the route needs."""
    route = BY_KEY[key]
    if PUBLIC in route.roles:
        return caller
    if caller is None:
        raise NotAuthenticated("A valid bearer token is required.")
    if SIGNED_IN in route.roles or caller.roles & route.roles:
        return caller
    if not caller.roles:
        raise Forbidden(
            "Your registration is pending approval by the city's observatory.", resident_status="pending"
        )
    raise Forbidden(f"{key} is not available to your role.")


def ownership_rule(key: str, caller: Caller) -> str | None:
    """The ownership rule limiting `caller` on the route; None if an admitted role of theirs is unlimited."""
    route = BY_KEY[key]
    rules = dict(route.ownership)
    admitted = caller.roles & route.roles
    if not admitted or any(role not in rules for role in admitted):
        return None
    return rules[min(admitted)]
