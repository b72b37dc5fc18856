"""The route table, silent: the silent alarms' reads and their audit trail (docs/silent-alarms.md)."""

from __future__ import annotations

from vigia.api.routes.spec import CURSOR, SINCE, X_REASON, Param, entry, page_limit

AUDIT_ID = {"type": "string", "pattern": "^[A-Za-z0-9_.:@+-]{1,128}$"}

ROUTES = (
    entry(
        "GET",
        "/v1/audit",
        "The audit trail: an alert's whole trail (?alert_id=, oldest first), or entries filtered by "
        "actor, action, target and time (newest first, in pages)",
        {"admin"},
        errors=(400, 401, 403, 422),
        query=(
            Param(
                "alert_id",
                {
                    "type": "string",
                    "pattern": "^[0-9A-Za-z_-]{1,64}$",
                    "description": "the alert whose whole trail is read, oldest first (alone)",
                },
            ),
            Param("actor_id", {**AUDIT_ID, "description": "who acted (a user id)"}),
            Param("action", {**AUDIT_ID, "description": "what was done (unseal, staff_created …)"}),
            Param(
                "target_id", {**AUDIT_ID, "description": "what it was done to (an alert's or account's id)"}
            ),
            Param(
                "from",
                {**SINCE.schema, "description": "entries at or after this ISO-8601 time (UTC if no offset)"},
            ),
            Param(
                "to",
                {
                    **SINCE.schema,
                    "description": "entries at or before this time (a date alone: its whole day)",
                },
            ),
            page_limit(200, 50),
            CURSOR,
        ),
        tags=("silent",),
        response_schema="responses/audit-trail.json",
    ),
    entry(
        "GET",
        "/v1/silent-alerts",
        "The response team's silent alerts until the team closes them (?limit=), sealed: open one with "
        "GET /v1/silent-alerts/{alert_id}",
        {"response_team"},
        errors=(400, 401, 403),
        query=(page_limit(200, 50),),
        tags=("silent",),
        response_schema="responses/silent-alerts.json",
    ),
    entry(
        "GET",
        "/v1/silent-alerts/{alert_id}",
        "One silent alert unsealed for the response team: identity, exact place, note, referral directory, "
        "its lifecycle (every read audited with X-Reason; SilentApiFunction, the one that may decrypt)",
        {"response_team"},
        errors=(401, 403, 404),
        headers=(X_REASON,),
        tags=("silent",),
        response_schema="responses/silent-alert.json",
    ),
)
