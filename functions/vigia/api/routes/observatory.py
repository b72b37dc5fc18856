"""The route table, observatory: the alerts beside other agencies' records, resources against demand
(docs/observatory.md "What the observatory reads")."""

from __future__ import annotations

from vigia.api.routes.spec import Param, entry

_MONTH = {
    "type": "string",
    "pattern": "^20[0-9]{2}-(0[1-9]|1[0-2])$",
    "description": "a month as YYYY-MM (years 2000-2099)",
}


def month_param(name: str, what: str) -> Param:
    return Param(name, {**_MONTH, "description": f"{what}: {_MONTH['description']}"})


OBSERVATORY_ZONE = Param(
    "zone",
    {
        "type": "string",
        "maxLength": 200,
        "pattern": "^[A-Za-z0-9_.:-]{1,200}$",
        "description": "city (the city's department or comuna, as its official code) , the official code "
        "itself, or a quadrant id of the city pack (absent: the city)",
    },
    pack_codes="observatory_zones",
)
MEASURES = Param(
    "measures",
    {
        "type": "string",
        "maxLength": 500,
        "pattern": "^[A-Za-z0-9_.:-]+(,[A-Za-z0-9_.:-]+)*$",
        "description": "comma-separated source:measure (or a measure of any source) to compare; absent: "
        "every measure ingested for the city in the period (an unknown one is a 422)",
    },
)
MONTHS = (
    month_param("from", "the first month (default: five months before to)"),
    month_param("to", "the last month (default: the month of yesterday); at most 12 months"),
)

ROUTES = (
    entry(
        "GET",
        "/v1/observatory/compare",
        "Per month of a zone (?zone=, ?from=, ?to=, ?measures=): the stack's alerts (by place of "
        "occurrence) beside each source's records (its own basis), side by side and never added; the ratio "
        "of each source to the alerts, its month-over-month change and least-squares trend; small cells "
        "as <5 and x",
        {"analyst", "admin"},
        errors=(400, 401, 403, 422),
        query=(OBSERVATORY_ZONE, *MONTHS, MEASURES),
        tags=("observatory",),
        response_schema="responses/observatory-compare.json",
    ),
    entry(
        "GET",
        "/v1/observatory/resources",
        "Police resources against demand per quadrant (?from=, ?to=): units, shift hours and patrol dosage "
        "beside alerts and each source's recorded crime, per 100,000 inhabitants; small cells as <5 and x",
        {"analyst", "admin"},
        errors=(400, 401, 403, 422),
        query=MONTHS,
        tags=("observatory",),
        response_schema="responses/observatory-resources.json",
    ),
)
