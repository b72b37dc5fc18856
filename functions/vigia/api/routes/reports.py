"""The route table, residents' reports: /v1/reports and Open311 GeoReport v2 (docs/prevention.md "Reports and
Open311")."""

from __future__ import annotations

from vigia.api.routes.spec import PUBLIC, QUADRANT, Param, date_param, entry, page_limit

_CODES = {"type": "string", "maxLength": 200, "pattern": "^[a-z][a-z0-9_]{0,39}(,[a-z][a-z0-9_]{0,39})*$"}
REPORT_TYPE = Param(
    "type",
    {**_CODES, "description": "comma-separated report type codes"},
    pack_codes="report_types",
    listed=True,
)
REPORT_STATUS = Param(
    "status",
    {
        "type": "string",
        "pattern": "^(open|in_progress|closed)(,(open|in_progress|closed))*$",
        "description": "comma-separated statuses: open, in_progress, closed",
    },
)
DEPARTMENT = Param(
    "department",
    {
        "type": "string",
        "pattern": "^[a-z][a-z0-9_]{0,39}$",
        "description": "a department code of the city pack",
    },
    pack_codes="departments",
)
# GeoReport v2's own parameters, as its text names them
_W3C_TIME = {
    "type": "string",
    "pattern": "^20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    "(T([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\\.[0-9]{1,9})?)?(Z|[+-][0-9]{2}:[0-9]{2}))?$",
    "format": "date-time",
}
START_DATE = Param(
    "start_date", {**_W3C_TIME, "description": "earliest requested_datetime (w3c, e.g. 2026-01-01T00:00:00Z)"}
)
END_DATE = Param(
    "end_date",
    {**_W3C_TIME, "description": "latest requested_datetime (w3c); at most 90 days after start_date"},
)
REQUEST_IDS = Param(
    "service_request_id",
    {
        "type": "string",
        "maxLength": 2700,
        "pattern": "^[A-Za-z0-9]{1,64}(,[A-Za-z0-9]{1,64}){0,99}$",
        "description": "comma-separated service_request_ids (at most 100); other filters then ignored",
    },
)
SERVICE_CODE = Param(
    "service_code",
    {**_CODES, "description": "comma-separated service codes (report types)"},
    pack_codes="report_types",
    listed=True,
)
OPEN311_STATUS = Param(
    "status",
    {
        "type": "string",
        "pattern": "^(open|closed)(,(open|closed))?$",
        "description": "open, closed or open,closed",
    },
)
_OPERATORS = {"operator", "admin"}

ROUTES = (
    entry(
        "POST",
        "/v1/reports",
        "A resident reports a non-emergency problem or an unsafe place (type, location, description, "
        "optional time_of_day and self-declared gender); a text describing an emergency is a 422: use the "
        "alert button",
        {"citizen"},
        request_schema="requests/report.json",
        success=201,
        errors=(400, 401, 403, 413, 415, 422, 429),
        tags=("reports",),
        response_schema="responses/report.json",
    ),
    entry(
        "GET",
        "/v1/reports",
        "A resident's own reports; for operators the city's, filtered, newest first (at most 93 days)",
        {"citizen", *_OPERATORS},
        errors=(400, 401, 403, 422),
        query=(
            REPORT_TYPE,
            REPORT_STATUS,
            DEPARTMENT,
            QUADRANT,
            date_param("from", "received on or after this local date (default: 30 days ago)"),
            date_param("to", "received on or before this local date (default: today)"),
            page_limit(200, 50),
        ),
        tags=("reports",),
        response_schema="responses/reports.json",
    ),
    entry(
        "GET",
        "/v1/reports/unsafe-places",
        "Unsafe-place reports per quadrant and time of day, with women's where declared and the quadrant's "
        "alerts beside them; small cells held back (the analyst's map)",
        {"analyst", *_OPERATORS},
        errors=(400, 401, 403, 422),
        query=(
            date_param("from", "first local date (default: 90 days ago)"),
            date_param("to", "last local date (default: today)"),
        ),
        tags=("reports",),
        response_schema="responses/unsafe-places.json",
    ),
    entry(
        "GET",
        "/v1/reports/{report_id}",
        "A report: a resident's own (another's is 404), any for operators",
        {"citizen", *_OPERATORS},
        errors=(400, 401, 403, 404),
        tags=("reports",),
        response_schema="responses/report.json",
    ),
    entry(
        "POST",
        "/v1/reports/{report_id}/route",
        "Route a report to a department of the city pack, with a note",
        _OPERATORS,
        request_schema="requests/report-route.json",
        errors=(400, 401, 403, 404, 409, 415),
        tags=("reports",),
        response_schema="responses/report.json",
    ),
    entry(
        "POST",
        "/v1/reports/{report_id}/status",
        "Set a report's status (open, in_progress, closed) with a note; closed tells the reporter (her app)",
        _OPERATORS,
        request_schema="requests/report-status.json",
        errors=(400, 401, 403, 404, 409, 415),
        tags=("reports",),
        response_schema="responses/report.json",
    ),
    entry(
        "GET",
        "/open311/v2/services.json",
        "GeoReport v2: the city's report types as services",
        {PUBLIC},
        errors=(400,),
        tags=("open311",),
        response_schema="responses/open311-services.json",
    ),
    entry(
        "POST",
        "/open311/v2/requests.json",
        "GeoReport v2: a resident's service request, form-encoded (service_code, lat, long, description, "
        "address_string; api_key ignored: the resident's Bearer token is the key)",
        {"citizen"},
        request_media="application/x-www-form-urlencoded",
        request_schema="requests/open311-request.json",
        success=201,
        errors=(400, 401, 403, 413, 415, 422, 429),
        tags=("open311",),
        response_schema="responses/open311-posted.json",
    ),
    entry(
        "GET",
        "/open311/v2/requests.json",
        "GeoReport v2: public service requests (no reporter identity; place rounded; small cells withheld); "
        "without dates the last 90 days, at most 1000, newest first",
        {PUBLIC},
        errors=(400, 422),
        query=(REQUEST_IDS, SERVICE_CODE, START_DATE, END_DATE, OPEN311_STATUS),
        tags=("open311",),
        response_schema="responses/open311-requests.json",
    ),
    entry(
        "GET",
        "/open311/v2/requests/{service_request_id}.json",
        "GeoReport v2: one public service request (a list of one, as the text says)",
        {PUBLIC},
        errors=(400, 404),
        tags=("open311",),
        response_schema="responses/open311-requests.json",
    ),
)
