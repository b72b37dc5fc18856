"""The route table, dispatch: deliveries, cancelling, the dead-letter queues (docs/dispatch.md)."""

from __future__ import annotations

from vigia.api.routes.spec import OWN_ALERT, Param, entry

ROUTES = (
    entry(
        "GET",
        "/v1/alerts/{alert_id}/deliveries",
        "Each delivery of an alert's protocol: channel, masked recipient, status, attempts, last error",
        {"operator", "admin"},
        errors=(401, 403, 404),
        tags=("dispatch",),
        response_schema="responses/deliveries.json",
    ),
    entry(
        "POST",
        "/v1/alerts/{alert_id}/cancel",
        "The sender cancels the alert within the city's cancel window; everyone told hears so",
        {"citizen"},
        ownership=(("citizen", OWN_ALERT),),
        success=202,
        errors=(401, 403, 404, 409),
        tags=("dispatch",),
        response_schema="responses/cancellation.json",
    ),
    entry(
        "GET",
        "/v1/admin/dlq",
        "Depth of each dead-letter queue and a peek at its messages (recipients masked)",
        {"operator", "admin"},
        errors=(400, 401, 403),
        query=(
            Param(
                "peek",
                {
                    "type": "integer",
                    "minimum": 0,
                    "maximum": 10,
                    "default": 10,
                    "description": "messages shown per queue (0 to 10)",
                },
            ),
        ),
        tags=("dispatch",),
        response_schema="responses/dead-letters.json",
    ),
    entry(
        "POST",
        "/v1/admin/dlq/{queue}/redrive",
        "Moves a dead-letter queue's messages back to their queue (dispatch, sms, siren or webhook)",
        {"operator", "admin"},
        errors=(400, 401, 403),
        tags=("dispatch",),
        response_schema="responses/redrive.json",
    ),
)
