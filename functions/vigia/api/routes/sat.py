"""The route table, SAT: the dropout early warning's cases, for the SAT roles only (docs/prevention.md)."""

from __future__ import annotations

from vigia.api.routes.spec import Param, entry, enum_param, page_limit

# Only the SAT roles ever reach a SAT route: every other role (admin included) gets the table's 403.
SAT_ROLES = {"sat_team", "sat_coordinator"}
CASE_STATUSES = ("open", "in_follow_up", "re_engaged", "transferred", "closed")
WEEK = Param(
    "week",
    {
        "type": "string",
        "pattern": "^20[0-9]{2}-W(0[1-9]|[1-4][0-9]|5[0-3])$",
        "description": "an ISO week, YYYY-Www (absent: the latest week with attendance)",
    },
)

ROUTES = (
    entry(
        "GET",
        "/v1/sat/cases",
        "The caseload: a professional (sat_team) sees the cases assigned to her, the coordinator every case "
        "(?status=, ?limit=); every read audited",
        SAT_ROLES,
        errors=(400, 401, 403, 404),
        query=(
            enum_param("status", CASE_STATUSES, what="only the cases in this status"),
            page_limit(500, 100),
        ),
        tags=("sat",),
        response_schema="responses/sat-cases.json",
    ),
    entry(
        "GET",
        "/v1/sat/cases/{case_id}",
        "One case: the student's pseudonymous id, school, course, the rule that opened it, its recent "
        "attendance and its timeline (audited; a professional reads only her own cases, else 404)",
        SAT_ROLES,
        errors=(400, 401, 403, 404),
        tags=("sat",),
        response_schema="responses/sat-case.json",
    ),
    entry(
        "POST",
        "/v1/sat/cases/{case_id}/assign",
        "Assign a case to a professional of the SAT team (coordinator only; audited)",
        SAT_ROLES,
        request_schema="requests/sat-assign.json",
        errors=(400, 401, 403, 404, 409, 422),
        tags=("sat",),
        response_schema="responses/sat-case.json",
    ),
    entry(
        "POST",
        "/v1/sat/cases/{case_id}/events",
        "Record a home visit, a contact, support given (a category of the pack) or a note on a case "
        "(audited)",
        SAT_ROLES,
        request_schema="requests/sat-event.json",
        success=201,
        errors=(400, 401, 403, 404, 409, 422),
        tags=("sat",),
        response_schema="responses/sat-case.json",
    ),
    entry(
        "POST",
        "/v1/sat/cases/{case_id}/status",
        "Move a case along open → in_follow_up → re_engaged | transferred | closed (an outcome to close; "
        "audited)",
        SAT_ROLES,
        request_schema="requests/sat-status.json",
        errors=(400, 401, 403, 404, 409, 422),
        tags=("sat",),
        response_schema="responses/sat-case.json",
    ),
    entry(
        "GET",
        "/v1/sat/warnings",
        "The week's new warnings: the cases opened by that week's attendance (a professional: her own; "
        "audited)",
        SAT_ROLES,
        errors=(400, 401, 403, 404),
        query=(WEEK,),
        tags=("sat",),
        response_schema="responses/sat-warnings.json",
    ),
)
