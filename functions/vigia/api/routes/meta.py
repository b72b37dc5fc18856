"""The route table, meta: health and this document."""

from __future__ import annotations

from vigia.api.routes.spec import PUBLIC, entry

ROUTES = (
    entry(
        "GET",
        "/v1/health",
        "Liveness of the API",
        {PUBLIC},
        tags=("meta",),
        response_schema="responses/health.json",
    ),
    entry(
        "GET",
        "/v1/openapi.json",
        "This document",
        {PUBLIC},
        tags=("meta",),
        response_schema="responses/openapi-document.json",
    ),
)
