"""The route table, residents: registration, its review, and the residents' standing."""

from __future__ import annotations

from vigia.api.routes.spec import CURSOR, PUBLIC, SIGNED_IN, entry, enum_param, page_limit

ROUTES = (
    entry(
        "POST",
        "/v1/registrations",
        "Someone asks to register: the same 202 whether or not they exist; a 6-digit code goes by SMS",
        {PUBLIC},
        request_schema="requests/registration.json",
        success=202,
        errors=(400, 422, 429),
        tags=("residents",),
        response_schema="responses/registration-started.json",
    ),
    entry(
        "POST",
        "/v1/registrations/{registration_id}/confirm",
        "The SMS code creates the pending resident operators review; any other outcome is one 422",
        {PUBLIC},
        request_schema="requests/registration-confirmation.json",
        errors=(400, 422),
        tags=("residents",),
        response_schema="responses/registration-confirmed.json",
    ),
    entry(
        "POST",
        "/v1/registrations/{user_id}/approve",
        "An operator approves a pending resident onto their block",
        {"operator", "admin"},
        request_schema="requests/approval.json",
        body_required=False,
        errors=(400, 401, 403, 404, 409, 422),
        tags=("residents",),
        response_schema="responses/resident-approved.json",
    ),
    entry(
        "GET",
        "/v1/me",
        "The caller's profile, status and block",
        {SIGNED_IN},
        errors=(401,),
        tags=("residents",),
        response_schema="responses/me.json",
    ),
    entry(
        "GET",
        "/v1/registrations",
        "Residents by status (?status=pending by default), oldest first, cursor-paginated",
        {"operator", "admin"},
        errors=(400, 401, 403, 422),
        query=(
            enum_param(
                "status", ("pending", "approved", "rejected", "suspended"), "pending", "the residents' status"
            ),
            page_limit(200, 50),
            CURSOR,
        ),
        tags=("residents",),
        response_schema="responses/registrations.json",
    ),
    entry(
        "POST",
        "/v1/registrations/{user_id}/reject",
        "An operator rejects a pending registration, with a reason the registrant is told by SMS",
        {"operator", "admin"},
        request_schema="requests/resident-review.json",
        errors=(400, 401, 403, 404, 409),
        tags=("residents",),
        response_schema="responses/resident-review.json",
    ),
    entry(
        "POST",
        "/v1/residents/{user_id}/suspend",
        "An operator suspends an approved resident (their alerts get 403 with the helpline); told by SMS",
        {"operator", "admin"},
        request_schema="requests/resident-review.json",
        errors=(400, 401, 403, 404, 409),
        tags=("residents",),
        response_schema="responses/resident-review.json",
    ),
    entry(
        "POST",
        "/v1/residents/{user_id}/reinstate",
        "An operator reinstates a suspended resident; earlier false-alarm strikes are forgiven",
        {"operator", "admin"},
        request_schema="requests/reinstatement.json",
        body_required=False,
        errors=(400, 401, 403, 404, 409),
        tags=("residents",),
        response_schema="responses/resident-review.json",
    ),
)
