"""The route table, incidents: the lifecycle, the operators' queue, the units (docs/incidents.md)."""

from __future__ import annotations

from vigia.api.routes.spec import (
    CURSOR,
    OWN_ASSIGNMENT,
    QUEUE_STATUS,
    QUEUE_TYPE,
    QUEUE_ZONE,
    SILENT_ALERTS,
    SINCE,
    X_REASON,
    entry,
    page_limit,
)

ROUTES = (
    entry(
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
        headers=(X_REASON,),
        ownership=(("police", OWN_ASSIGNMENT), ("response_team", SILENT_ALERTS)),
        tags=("incidents",),
        response_schema="responses/incident-step.json",
    ),
    entry(
        "GET",
        "/v1/alerts",
        "The operators' live queue: open alerts by priority then age (or closed ones with "
        "?status=resolved,false_alarm,cancelled), cursor-paginated",
        {"operator", "admin"},
        errors=(400, 401, 403, 422),
        query=(QUEUE_STATUS, QUEUE_TYPE, SINCE, QUEUE_ZONE, page_limit(200, 50), CURSOR),
        tags=("incidents",),
        response_schema="responses/alert-queue.json",
    ),
    entry(
        "GET",
        "/v1/units",
        "The community police units: status (available, responding, on_scene, out_of_service), "
        "their alert, whether on shift",
        {"operator", "police", "admin"},
        errors=(401, 403),
        tags=("incidents",),
        response_schema="responses/units.json",
    ),
    entry(
        "POST",
        "/v1/units/{unit_id}/status",
        "Takes a unit out of service or back (not while it has an alert)",
        {"operator", "admin"},
        request_schema="requests/unit-status.json",
        errors=(400, 401, 403, 404, 409),
        tags=("incidents",),
        response_schema="responses/unit.json",
    ),
    entry(
        "PUT",
        "/v1/units/{unit_id}/crew",
        "The police accounts that staff a unit (they may act on its assignments)",
        {"operator", "admin"},
        request_schema="requests/unit-crew.json",
        errors=(400, 401, 403, 404),
        tags=("incidents",),
        response_schema="responses/unit.json",
    ),
)
