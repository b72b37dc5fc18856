"""The route table, alerts: alert types, sending an alert and reading one."""

from __future__ import annotations

from vigia.api.routes.spec import IDEMPOTENCY_KEY, OWN_ALERT, SIGNED_IN, entry

ROUTES = (
    entry(
        "GET",
        "/v1/alert-types",
        "The city's alert types, localized, and whether each is silent",
        {SIGNED_IN},
        errors=(401,),
        tags=("alerts",),
        response_schema="responses/alert-types.json",
    ),
    entry(
        "POST",
        "/v1/alerts",
        "An approved resident sends an alert",
        {"citizen"},
        request_schema="requests/alert.json",
        success=202,
        errors=(400, 401, 403, 422, 429),
        headers=(IDEMPOTENCY_KEY,),
        tags=("alerts",),
        response_schema="responses/alert-receipt.json",
    ),
    entry(
        "GET",
        "/v1/alerts/{alert_id}",
        "One alert: its sender or staff. A silent alert: the sealed view for operator, police, analyst and "
        "response_team (whose answer links to GET /v1/silent-alerts/{alert_id}); 404 to others",
        {"citizen", "operator", "police", "response_team", "analyst", "admin"},
        errors=(401, 404),
        ownership=(("citizen", OWN_ALERT),),
        tags=("alerts",),
        response_schema="responses/alert.json",
    ),
)
