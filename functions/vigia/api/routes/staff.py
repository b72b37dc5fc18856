"""The route table, staff administration: the city's admins create, disable and regroup staff accounts
(docs/api.md, docs/console.md "Admins"); every change is audited."""

from __future__ import annotations

from vigia.api.routes.spec import entry

ROUTES = (
    entry(
        "GET",
        "/v1/admin/staff",
        "Every staff account (operator, police, response team, analyst, admin): groups, enabled, status",
        {"admin"},
        errors=(401, 403),
        tags=("staff",),
        response_schema="responses/staff-accounts.json",
    ),
    entry(
        "POST",
        "/v1/admin/staff",
        "Creates a staff account in its groups with a temporary password, answered once; the same e-mail "
        "again is 409",
        {"admin"},
        request_schema="requests/staff-account.json",
        success=201,
        errors=(400, 401, 403, 409, 413, 415),
        tags=("staff",),
        response_schema="responses/staff-account.json",
    ),
    entry(
        "POST",
        "/v1/admin/staff/{user_id}/disable",
        "Disables a staff account (its refresh tokens revoked); not your own (422)",
        {"admin"},
        errors=(400, 401, 403, 404, 422),
        tags=("staff",),
        response_schema="responses/staff-account.json",
    ),
    entry(
        "POST",
        "/v1/admin/staff/{user_id}/enable",
        "Enables a disabled staff account",
        {"admin"},
        errors=(400, 401, 403, 404),
        tags=("staff",),
        response_schema="responses/staff-account.json",
    ),
    entry(
        "PUT",
        "/v1/admin/staff/{user_id}/groups",
        "Puts a staff account in exactly these staff groups; your own admin group stays (422)",
        {"admin"},
        request_schema="requests/staff-groups.json",
        errors=(400, 401, 403, 404, 413, 415, 422),
        tags=("staff",),
        response_schema="responses/staff-account.json",
    ),
)
