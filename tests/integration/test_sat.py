"""The SAT on the emulated stack (docs/prevention.md "SAT"): a school's attendance file, registered by the
coordinator through /v1/datasets, opens cases for the students the pack's rules name and not the others,
never twice for one episode (a second upload; at once: test_sat_at_once.py); the case is assigned,
followed and re-engaged, every read and change audited; only the SAT roles reach it; nothing of it reaches
the lake or the logs; retention deletes it for real."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

import pytest

from tests.support import FakeContext
from vigia import clock, runtime

pytestmark = pytest.mark.cities("penalolen")

COORD = {"sub": "staff-sat_coordinator", "email": "c@city.example", "cognito:groups": "[sat_coordinator]"}
PRO_1 = {"sub": "sat-pro-1", "email": "p1@city.example", "cognito:groups": "[sat_team]"}
PRO_2 = {"sub": "sat-pro-2", "email": "p2@city.example", "cognito:groups": "[sat_team]"}
OTHER_ROLES = ("operator", "police", "response_team", "analyst", "admin", "citizen")
HEADER = "school,course,student,week,days_expected,days_attended,quadrant\n"
MANIFEST = {
    "source": "mineduc-asistencia",
    "licence": "municipal, uso interno",
    "period": {"from": "2026-03", "to": "2026-04"},
    "reader": "sat_attendance",
    "geography": {"kind": "quadrant"},
    "measures": [
        {"name": "days_expected", "meaning": "días hábiles de la semana"},
        {"name": "days_attended", "meaning": "días asistidos"},
    ],
}


def attendance_file() -> bytes:
    """Four March weeks: EST-LOW attends 3 of 5 each (60 %); EST-GONE, who joined in week 12, misses week
    13 whole (5 days in a row, before four weeks are on record); EST-OK attends every day: two cases."""
    lines = [HEADER]
    for n, week in enumerate(("2026-W10", "2026-W11", "2026-W12", "2026-W13")):
        lines.append(f"RBD-9012,7B,EST-LOW,{week},5,3,C-181\n")
        if n >= 2:
            lines.append(f"RBD-9012,7B,EST-GONE,{week},5,{0 if n == 3 else 5},C-183\n")
        lines.append(f"RBD-9012,8A,EST-OK,{week},5,5,\n")
    return "".join(lines).encode()


def upload(api: Any, stack: Any, content: bytes, claims: dict[str, str] = COORD) -> dict[str, Any]:
    from vigia.handlers.ingest_dataset import lambda_handler

    registered = api("POST", "/v1/datasets", MANIFEST, claims=claims)
    assert registered.status == 201, registered.body
    dataset_id = registered.json["dataset_id"]
    key = f"uploads/{dataset_id}/data.csv"
    stack.client("s3").put_object(Bucket=stack.resources["LakeBucket"], Key=key, Body=content)
    event = {
        "source": "aws.s3",
        "detail-type": "Object Created",
        "detail": {"bucket": {"name": stack.resources["LakeBucket"]}, "object": {"key": key}},
    }
    lambda_handler(event, FakeContext("IngestDatasetFunction", 512, remaining_ms=900_000))
    status = api("GET", f"/v1/datasets/{dataset_id}", claims=claims)
    assert status.status == 200, status.body
    return dict(status.json)


def claims_of(role: str) -> dict[str, str]:
    return {"sub": f"staff-{role}", "email": f"{role}@city.example", "cognito:groups": f"[{role}]"}


def sat_items(stack: Any) -> list[dict[str, Any]]:
    return stack.table("SatTable").scan()["Items"]


def test_a_school_file_opens_cases_for_the_students_the_rules_name_and_a_case_is_followed_to_re_engaged(
    api, stack, capfd, caplog
):
    from vigia.observability import logger as vigia_logger

    capfd.readouterr()
    caplog.clear()
    caplog.set_level(logging.INFO)
    vigia_logger.setLevel(logging.DEBUG)
    try:
        # Given the coordinator's upload of four weeks of a school's attendance
        status = upload(api, stack, attendance_file())
        assert status["status"] == "ingested"
        assert status["rows"] == 10
        assert status["bad_row_count"] == 0
        # Then cases open for EST-LOW (low attendance) and EST-GONE (5 days in a row), not EST-OK
        listed = api("GET", "/v1/sat/cases", claims=COORD)
        assert listed.status == 200, listed.body
        by_student = {c["student"]: c for c in listed.json["cases"]}
        assert set(by_student) == {"EST-LOW", "EST-GONE"}
        assert by_student["EST-LOW"]["rule"] == "low_attendance"
        assert by_student["EST-LOW"]["evidence"]["attendance_rate"] == pytest.approx(0.6)
        assert by_student["EST-GONE"]["rule"] == "consecutive_absences"
        assert by_student["EST-GONE"]["opened_week"] == "2026-W13"
        warnings = api("GET", "/v1/sat/warnings", claims=COORD, query={"week": "2026-W13"})
        assert {w["student"] for w in warnings.json["warnings"]} == {"EST-LOW", "EST-GONE"}
        assert api("GET", "/v1/sat/warnings", claims=COORD, query={"week": "2026-W12"}).json["warnings"] == []
        # And the same file again (a school re-sends it) opens nothing twice
        upload(api, stack, attendance_file())
        assert len(api("GET", "/v1/sat/cases", claims=COORD).json["cases"]) == 2

        case_id = by_student["EST-LOW"]["case_id"]
        # A professional sees no case until one is hers
        assert api("GET", "/v1/sat/cases", claims=PRO_1).json["cases"] == []
        assert api("GET", f"/v1/sat/cases/{case_id}", claims=PRO_1).status == 404
        # (not hers: as absent, even to assign it to herself)
        assert (
            api("POST", f"/v1/sat/cases/{case_id}/assign", {"assignee": "sat-pro-1"}, claims=PRO_1).status
            == 404
        )
        # Only a SAT professional can be assigned
        not_sat = api("POST", f"/v1/sat/cases/{case_id}/assign", {"assignee": "staff-operator"}, claims=COORD)
        assert not_sat.status == 422
        assert not_sat.json["errors"][0]["path"] == "/assignee"
        assigned = api("POST", f"/v1/sat/cases/{case_id}/assign", {"assignee": "sat-pro-1"}, claims=COORD)
        assert assigned.status == 200
        assert assigned.json["assigned_to"] == "sat-pro-1"
        assert [c["case_id"] for c in api("GET", "/v1/sat/cases", claims=PRO_1).json["cases"]] == [case_id]
        assert api("GET", f"/v1/sat/cases/{case_id}", claims=PRO_2).status == 404  # not hers
        # nor through the caseload or the week's warnings
        assert api("GET", "/v1/sat/cases", claims=PRO_2).json["cases"] == []
        own = api("GET", "/v1/sat/warnings", claims=PRO_1, query={"week": "2026-W13"}).json["warnings"]
        assert [w["case_id"] for w in own] == [case_id]
        assert api("GET", "/v1/sat/warnings", claims=PRO_2, query={"week": "2026-W13"}).json["warnings"] == []
        # she cannot hand it on: only the coordinator assigns
        handed = api("POST", f"/v1/sat/cases/{case_id}/assign", {"assignee": "sat-pro-2"}, claims=PRO_1)
        assert handed.status == 403
        assert handed.json["rule"] == "sat-coordinator-assigns"
        # She records a home visit and support, follows the case up and closes it as re-engaged
        visit = {"kind": "home_visit", "note": "La madre cuenta que cuida a su hermano menor."}
        assert api("POST", f"/v1/sat/cases/{case_id}/events", visit, claims=PRO_1).status == 201
        bad = api("POST", f"/v1/sat/cases/{case_id}/events", {"kind": "support"}, claims=PRO_1)
        assert bad.status == 400
        assert "category" in bad.body
        unknown = api(
            "POST", f"/v1/sat/cases/{case_id}/events", {"kind": "support", "category": "cash"}, claims=PRO_1
        )
        assert unknown.status == 422
        assert unknown.json["errors"][0]["path"] == "/category"
        future = api(
            "POST", f"/v1/sat/cases/{case_id}/events", {**visit, "at": "2099-01-01T10:00:00Z"}, claims=PRO_1
        )
        assert future.status == 422
        assert future.json["errors"][0]["path"] == "/at"
        support = {"kind": "support", "category": "parenting"}
        assert api("POST", f"/v1/sat/cases/{case_id}/events", support, claims=PRO_1).status == 201
        skip = api(
            "POST", f"/v1/sat/cases/{case_id}/status", {"status": "re_engaged", "outcome": "x"}, claims=PRO_1
        )
        assert skip.status == 409
        assert skip.json["allowed_statuses"] == [
            "closed",
            "in_follow_up",
            "transferred",
        ]
        api("POST", f"/v1/sat/cases/{case_id}/status", {"status": "in_follow_up"}, claims=PRO_1)
        ended = api(
            "POST", f"/v1/sat/cases/{case_id}/status",
            {"status": "re_engaged", "outcome": "Volvió a clases el lunes."}, claims=PRO_1,
        )  # fmt: skip
        assert ended.status == 200
        assert ended.json["status"] == "re_engaged"
        assert ended.json["closed_at"]
        timeline = api("GET", f"/v1/sat/cases/{case_id}", claims=PRO_1).json
        assert [e["kind"] for e in timeline["timeline"]] == [
            "opened", "assigned", "home_visit", "support", "status", "status"
        ]  # fmt: skip
        assert len(timeline["attendance"]) == 4
        assert api("POST", f"/v1/sat/cases/{case_id}/events", visit, claims=PRO_1).status == 409
    finally:
        vigia_logger.setLevel(logging.INFO)

    # Every read and change is in the audit trail, by whom
    trail = [(e.actor_id, e.action) for e in runtime.audit_entries()(case_id)]
    assert ("sat-pro-1", "sat_read_case") in trail
    assert ("staff-sat_coordinator", "sat_assign") in trail
    assert ("sat-pro-2", "sat_read_case") in trail  # the refused read too
    assert [a for _, a in trail].count("sat_status") == 3
    assert ("sat-pro-1", "sat_home_visit") in trail
    # Nothing of a case in the logs: no student, school, note or outcome
    out, err = capfd.readouterr()
    lines = "\n".join([out, err, *(f"{r.name} {r.getMessage()} {r.__dict__}" for r in caplog.records)])
    assert "dataset upload read" in lines  # the capture saw the path
    for secret in ("EST-LOW", "EST-GONE", "EST-OK", "RBD-9012", "hermano", "Volvió", "parenting"):
        assert secret not in lines, secret
    # Nor in the lake, nor the dataset's status an analyst may read
    lake = stack.client("s3").list_objects_v2(Bucket=stack.resources["LakeBucket"], Prefix="lake/")
    assert lake.get("KeyCount", 0) == 0
    assert "EST-" not in json.dumps(status)


def test_every_sat_route_refuses_every_other_role(api, stack):
    upload(api, stack, attendance_file())
    case_id = api("GET", "/v1/sat/cases", claims=COORD).json["cases"][0]["case_id"]
    routes = [
        ("GET", "/v1/sat/cases", None),
        ("GET", f"/v1/sat/cases/{case_id}", None),
        ("POST", f"/v1/sat/cases/{case_id}/assign", {"assignee": "sat-pro-1"}),
        ("POST", f"/v1/sat/cases/{case_id}/events", {"kind": "note", "note": "x"}),
        ("POST", f"/v1/sat/cases/{case_id}/status", {"status": "in_follow_up"}),
        ("GET", "/v1/sat/warnings", None),
    ]
    from vigia.api.routes import ROUTES

    assert {r.key for r in ROUTES if r.path.startswith("/v1/sat/")} == {
        f"{m} {p.replace(case_id, '{case_id}')}" for m, p, _ in routes
    }  # a new SAT route must join this walk
    for role in OTHER_ROLES:
        for method, path, body in routes:
            answer = api(method, path, body, claims=claims_of(role))
            assert answer.status == 403, (role, method, path, answer.body)
            assert "EST-" not in answer.body
    assert api("GET", "/v1/sat/cases").status == 401
    # and nothing changed: the case is still open and unassigned
    case = api("GET", f"/v1/sat/cases/{case_id}", claims=COORD).json
    assert case["status"] == "open"
    assert case["assigned_to"] is None
    assert len(case["timeline"]) == 1
    # the attendance file is the coordinator's only: an analyst cannot register one, she nothing else
    assert api("POST", "/v1/datasets", MANIFEST, claims=claims_of("analyst")).status == 403
    other = {
        **MANIFEST,
        "reader": "cead",
        "geography": {"kind": "comuna"},
        "measures": [{"name": "casos", "meaning": "x"}],
    }
    assert api("POST", "/v1/datasets", other, claims=COORD).status == 403


def test_a_closed_case_past_retention_is_deleted_for_real(api, stack):
    from vigia.handlers import sat_retention

    upload(api, stack, attendance_file())
    cases = {c["student"]: c["case_id"] for c in api("GET", "/v1/sat/cases", claims=COORD).json["cases"]}
    gone, kept = cases["EST-LOW"], cases["EST-GONE"]
    api(
        "POST",
        f"/v1/sat/cases/{gone}/status",
        {"status": "closed", "outcome": "se cambió de comuna"},
        claims=COORD,
    )
    before = sat_items(stack)
    assert any(i["pk"] == f"case#{gone}" for i in before)
    assert any(i["pk"] == "student#EST-LOW" for i in before)
    # When the nightly run comes within the retention period: nothing goes
    night = sat_retention.lambda_handler({}, FakeContext("SatRetentionFunction"))
    assert night["deleted_cases"] == 0
    # and the night's SAT figures are exported beside the indicators: counts per quadrant and month, the
    # small ones held back, nothing of a case
    exported = stack.client("s3").get_object(Bucket=stack.resources["ExportsBucket"], Key=night["figures"])
    body = exported["Body"].read().decode()
    assert night["figures"].endswith("/sat.json")
    rows = json.loads(body)["sat_cases"]
    assert {r["zone"] for r in rows} >= {"city", "C-181", "C-183"}
    assert all(r[m] in ("<5", "x") or r[m] >= 5 for r in rows for m in ("opened", "followed", "re_engaged"))
    for secret in ("EST-", "RBD-9012", gone, kept, "comuna"):
        assert secret not in body
    # and after it (retention_days + 1 later)
    later = clock.now() + timedelta(days=runtime.sat_rules().retention_days + 1)  # type: ignore[union-attr]
    import vigia.clock as vigia_clock

    original = vigia_clock.now
    vigia_clock.now = lambda: later  # type: ignore[assignment]
    try:
        assert sat_retention.lambda_handler({}, FakeContext("SatRetentionFunction"))["deleted_cases"] == 1
    finally:
        vigia_clock.now = original  # type: ignore[assignment]
    # Then the closed case, its timeline and its student's weeks are gone from the table itself
    after = sat_items(stack)
    assert not [i for i in after if i["pk"] in (f"case#{gone}", "student#EST-LOW")]
    assert "EST-LOW" not in json.dumps(after, default=str)
    # the open case and its student are untouched
    assert any(i["pk"] == f"case#{kept}" for i in after)
    assert any(i["pk"] == "student#EST-GONE" for i in after)
    assert api("GET", f"/v1/sat/cases/{gone}", claims=COORD).status == 404


def test_a_city_without_a_sat_section_answers_sat_not_enabled(api, stack, tmp_path, monkeypatch):
    # Given a city pack with no `sat` section (both packs have one: a copy without it)
    import shutil

    from tests.integration.conftest import ROOT

    pack_dir = tmp_path / "pack"
    shutil.copytree(ROOT / "infra/cities" / stack.pack.city_id, pack_dir)
    document = json.loads((pack_dir / "city.json").read_text("utf-8"))
    del document["sat"]
    (pack_dir / "city.json").write_text(json.dumps(document, ensure_ascii=False), "utf-8")
    monkeypatch.setenv("CITY_PACK_DIR", str(pack_dir))
    runtime.reset()
    answer = api("GET", "/v1/sat/cases", claims=COORD)
    assert answer.status == 404
    assert answer.json["type"].endswith("sat-not-enabled")
    assert api("GET", "/v1/sat/cases", claims=claims_of("operator")).status == 403


def test_a_national_id_in_the_student_column_refuses_its_row_without_quoting_it(api, stack):
    # Given a school's file where one row of 40 carries a RUT instead of the city's pseudonym
    lines = [HEADER] + [f"RBD-9012,7B,EST-{n:03d},2026-W10,5,5,C-181\n" for n in range(39)]
    lines.append("RBD-9012,7B,12.345.678-5,2026-W10,5,0,C-181\n")
    status = upload(api, stack, "".join(lines).encode())
    # Then the file is read (1 of 40 is within the 5 %), the row is refused naming its column, never its value
    assert status["status"] == "ingested"
    assert status["bad_rows"] == [
        {"row": 41, "column": "student", "why": "has a national id's shape: use the city's pseudonymous id"}
    ]
    assert "12.345.678" not in json.dumps(status)
    # and nothing of that row is stored
    assert "12.345.678" not in json.dumps(sat_items(stack), default=str)
    assert "12345678" not in json.dumps(sat_items(stack), default=str)


def test_an_admin_creates_the_sat_accounts(api, stack):
    admin = claims_of("admin")
    for group in ("sat_team", "sat_coordinator"):
        body = {"email": f"{group}.nueva@city.example", "groups": [group]}
        created = api("POST", "/v1/admin/staff", body, claims=admin)
        assert created.status == 201, created.body
        assert created.json["groups"] == [group]
