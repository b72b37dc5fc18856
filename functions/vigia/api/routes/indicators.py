"""The route table, indicators: the observatory's nightly indicators (docs/indicators.md)."""

from __future__ import annotations

from vigia.api.routes.spec import (
    CURSOR,
    IDEMPOTENCY_KEY,
    INDICATOR_TYPE,
    ZONE,
    date_param,
    entry,
    enum_param,
    page_limit,
)

ROUTES = (
    entry(
        "GET",
        "/v1/indicators",
        "Indicators per date x zone x type (?from=, ?to=, ?zone=city|quadrant|block, ?type=all|code, "
        "?limit=, ?cursor=): counts (small cells as <5), rate per 100,000, response times, shares",
        {"operator", "analyst", "admin"},
        errors=(400, 401, 403, 422),
        query=(
            date_param("from", "first day"),
            date_param("to", "last day"),
            ZONE,
            INDICATOR_TYPE,
            page_limit(1000, 1000),
            CURSOR,
        ),
        tags=("indicators",),
        response_schema="responses/indicators.json",
    ),
    entry(
        "GET",
        "/v1/indicators/summary",
        "A zone's indicators over an ISO week or a calendar month (?period=week|month, ?date=, ?zone=)",
        {"operator", "analyst", "admin"},
        errors=(400, 401, 403),
        query=(
            enum_param("period", ("week", "month"), "week", "an ISO week or a calendar month"),
            date_param("date", "a day of the period (default yesterday)"),
            ZONE,
            INDICATOR_TYPE,
        ),
        tags=("indicators",),
        response_schema="responses/indicator-summary.json",
    ),
    entry(
        "GET",
        "/v1/indicators/exports/{date}",
        "A day's published files (indicators.csv, indicators.json, feed.json) as presigned GET links that "
        "expire in minutes; 404 for a day not exported",
        {"analyst", "admin"},
        errors=(400, 401, 403, 404),
        tags=("indicators",),
        response_schema="responses/indicator-exports.json",
    ),
    entry(
        "POST",
        "/v1/indicator-runs",
        "Recompute the indicators and exports of past days ({date} or {from, to}); queued, idempotent",
        {"admin"},
        request_schema="requests/indicator-run.json",
        success=202,
        errors=(400, 401, 403, 422),
        headers=(IDEMPOTENCY_KEY,),
        tags=("indicators",),
        response_schema="responses/indicator-run.json",
    ),
)
