"""The route table, silent: the silent alarms' reads and their audit trail (docs/silent-alarms.md)."""

from __future__ import annotations

from vigia.api.routes.spec import X_REASON, Param, entry, page_limit

ROUTES = (
    entry(
        "GET",
        "/v1/audit",
        "The audit trail of an alert (?alert_id=): who read its sealed identity, when and why",
        {"admin"},
        errors=(400, 401, 403),
        query=(
            Param(
                "alert_id",
                {
                    "type": "string",
                    "pattern": "^[0-9A-Za-z_-]{1,64}$",
                    "description": "the alert whose trail is read",
                },
                required=True,
            ),
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
