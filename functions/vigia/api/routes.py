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
        "A resident registers (pending until an operator approves)",
        {PUBLIC},
        request_schema="requests/registration.json",
        success=201,
        errors=(400, 409, 422),
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
        "One alert: its sender or staff. A silent alert: sealed view for operator, police and analyst; "
        "identity, place and referral directory for response_team (audited, X-Reason kept); 404 to others",
        {"citizen", "operator", "police", "response_team", "analyst", "admin"},
        errors=(401, 404),
        headers=("X-Reason",),
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
        tags=("patrol",),
    ),
    _r(
        "GET",
        "/v1/patrol-schedules/{date}",
        "A date's patrol schedule (?format=json, csv or ics: one VEVENT per stop)",
        {"operator", "police", "analyst", "admin"},
        errors=(400, 401, 403, 404),
        tags=("patrol",),
    ),
    _r(
        "GET",
        "/v1/patrol-schedules/{date}/units/{unit_id}",
        "One unit's stops for a date (?format=json, csv or ics)",
        {"operator", "police", "analyst", "admin"},
        errors=(400, 401, 403, 404),
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
        tags=("patrol",),
    ),
    # silent alarms (docs/silent-alarms.md)
    _r(
        "GET",
        "/v1/audit",
        "The audit trail of an alert (?alert_id=): who read its sealed identity, when and why",
        {"admin"},
        errors=(400, 401, 403),
        tags=("silent",),
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
