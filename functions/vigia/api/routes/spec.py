"""What a route of the API declares: roles, parameters, headers, body and answer, and the shapes they share.

The table itself (vigia.api.routes) is written with these; the door (vigia.api.parameters,
vigia.handlers.routes.common) and the OpenAPI document (vigia.api.openapi) read them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from vigia.incidents import lifecycle

PUBLIC = "public"  # no token (the template's routes with Authorizer: NONE)
SIGNED_IN = "signed_in"  # any valid token, even a resident still pending approval
# Object-level rules (Route.ownership). Someone else's alert is as good as absent to a citizen (404); an
# officer sees every alert but acts only on their own unit's assignment (403 otherwise).
OWN_ALERT = "own_alert"
OWN_ASSIGNMENT = "own_assignment"
# The response team acts only on silent alerts (their lifecycle: vigia.silent.lifecycle); 403 on any other.
SILENT_ALERTS = "silent_alerts"

JSON = "application/json"
CSV = "text/csv"
ICS = "text/calendar"


@dataclass(frozen=True)
class Param:
    """A query parameter: its JSON Schema (what the door checks and the document shows), required or not.

    `pack_codes` names the city pack's codes the value must be ("alert_types", "quadrants"): the document
    lists them (the door leaves that check to the domain, which names the field and the city's codes).
    `listed`: a comma-separated list of such codes.
    """

    name: str
    schema: Mapping[str, Any]
    required: bool = False
    pack_codes: str | None = None
    listed: bool = False

    @property
    def description(self) -> str:
        return str(self.schema.get("description", ""))


@dataclass(frozen=True)
class Header:
    """A request header a route reads, and the most characters it may have (checked at the door)."""

    name: str
    max_length: int
    description: str
    required: bool = False


# Shapes shared by several routes (ASCII only: Python's int() and fromisoformat() take other digits).
_DATE = {
    "type": "string",
    "pattern": "^20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$",
    "format": "date",
    "description": "a date as YYYY-MM-DD (years 2000-2099)",
}
_TOKENS = {
    "type": "string",
    "maxLength": 200,
    "pattern": "^[A-Za-z0-9_.,:-]{1,200}$",
    "description": "letters, digits and _ . , : - (at most 200)",
}
CURSOR = Param(
    "cursor",
    {
        "type": "string",
        "pattern": "^[A-Za-z0-9_=-]{1,2048}$",
        "description": "the next_cursor (or next) of an earlier page, as is",
    },
)


def page_limit(most: int, default: int, least: int = 1) -> Param:
    return Param(
        "limit",
        {
            "type": "integer",
            "minimum": least,
            "maximum": most,
            "default": default,
            "description": f"at most this many items ({least} to {most})",
        },
    )


def date_param(name: str, what: str, required: bool = False) -> Param:
    return Param(name, {**_DATE, "description": f"{what}: {_DATE['description']}"}, required=required)


def enum_param(name: str, values: tuple[str, ...], default: str | None = None, what: str = "") -> Param:
    schema: dict[str, Any] = {
        "type": "string",
        "enum": list(values),
        "description": what or f"one of {values}",
    }
    if default is not None:
        schema["default"] = default
    return Param(name, schema)


QUADRANT = Param(
    "quadrant", {**_TOKENS, "description": "a quadrant id of the city pack"}, pack_codes="quadrants"
)
FORMAT = enum_param(
    "format", ("json", "csv", "ics"), "json", "json, csv or ics (iCalendar: one VEVENT per stop)"
)
IDEMPOTENCY_KEY = Header(
    "Idempotency-Key",
    128,
    "Repeating a request with the same key answers the first result; another body with it is 422",
)
X_REASON = Header("X-Reason", 300, "Why the caller opens sealed details: written to the audit trail as sent")


def _listed(values: tuple[str, ...] | list[str]) -> str:
    """A pattern for a comma-separated list of `values`."""
    one = "|".join(sorted(values))
    return f"({one})(,({one}))*"


# The queue's statuses: open ones, or closed ones, never both at once (vigia.incidents.queue).
QUEUE_STATUS = Param(
    "status",
    {
        "type": "string",
        "pattern": f"^({_listed(lifecycle.OPEN)}|{_listed(sorted(lifecycle.TERMINAL))})$",
        "description": "comma-separated statuses, all open or all closed (resolved, false_alarm, cancelled)",
    },
)
QUEUE_TYPE = Param(
    "type",
    {**_TOKENS, "description": "comma-separated alert type codes"},
    pack_codes="alert_types",
    listed=True,
)
QUEUE_ZONE = Param(
    "zone", {**_TOKENS, "description": "comma-separated quadrant ids"}, pack_codes="quadrants", listed=True
)
SINCE = Param(
    "since",
    {
        "type": "string",
        "pattern": "^20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
        "(T([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\\.[0-9]{1,9})?)?)?(Z|[+-][0-9]{2}:[0-9]{2})?$",
        "format": "date-time",
        "description": "an ISO-8601 time such as 2026-03-01T12:00:00Z: alerts received since then",
    },
)
ZONE = Param(
    "zone",
    {**_TOKENS, "description": "city, a quadrant id or a block id of the city pack (absent: every zone)"},
    pack_codes="zones",
)
INDICATOR_TYPE = Param(
    "type",
    {**_TOKENS, "description": "all, or one alert type code (absent: every type)"},
    pack_codes="types_or_all",
)


# Path parameters by name: what the document promises; the door checks clean text of at most 128 characters
# and the routes answer 404 for what does not exist.
_ID = {"type": "string", "pattern": "^[A-Za-z0-9_.:-]{1,128}$"}
# = vigia.adapters.task_queues.QUEUES
DEAD_LETTER_QUEUES = ("dispatch", "sms", "siren", "webhook", "silent", "federation")
PATH_PARAMS: dict[str, dict[str, Any]] = {
    "alert_id": {**_ID, "description": "an alert's id"},
    "user_id": {**_ID, "description": "a resident's user id"},
    "registration_id": {**_ID, "description": "the registration_id POST /v1/registrations answered"},
    "unit_id": {**_ID, "description": "a community police unit of the city pack"},
    "dataset_id": {**_ID, "description": "a dataset version's id (POST /v1/datasets)"},
    "report_id": {**_ID, "description": "a resident's report (POST /v1/reports)"},
    "service_request_id": {**_ID, "description": "an Open311 service_request_id (a report's id)"},
    "case_id": {**_ID, "description": "a SAT case's id (GET /v1/sat/cases)"},
    "place_id": {"type": "string", "pattern": "^[0-9a-f]{15}$", "description": "a place: an H3 cell"},
    "date": {**_DATE, "description": "a local date (a schedule, an export): " + str(_DATE["description"])},
    "queue": {"type": "string", "enum": list(DEAD_LETTER_QUEUES), "description": "a dead-letter queue"},
}


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    summary: str
    roles: frozenset[str]
    request_schema: str | None = None
    body_required: bool = True  # False: an empty body is read as {}
    # a body taken as raw bytes of this media type (Request.raw), not JSON: a partner's signed XML, whose
    # signature covers its exact bytes (docs/roaming.md)
    request_media: str | None = None
    success: int = 200
    replay: int | None = None  # the status of a repeat with the same Idempotency-Key, if not `success`
    errors: tuple[int, ...] = ()
    headers: tuple[Header, ...] = ()
    tags: tuple[str, ...] = field(default=())
    query: tuple[Param, ...] = ()
    # schemas/responses/<file>: the success answer; media: what the success may be (format=csv|ics)
    response_schema: str | None = None
    media: tuple[str, ...] = (JSON,)
    # (role, rule): that role reaches only the objects it owns on this route (OWN_ALERT, OWN_ASSIGNMENT)
    ownership: tuple[tuple[str, str], ...] = ()

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def query_names(self) -> frozenset[str]:
        return frozenset(p.name for p in self.query)

    @property
    def header_names(self) -> frozenset[str]:
        return frozenset(h.name.lower() for h in self.headers)


def entry(method: str, path: str, summary: str, roles: set[str], **kw: object) -> Route:
    return Route(method, path, summary, frozenset(roles), **kw)  # type: ignore[arg-type]
