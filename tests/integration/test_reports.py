"""Residents' reports on the emulated stack: a resident reports and reads only her own; an operator lists,
routes to the pack's department and closes with a note, which the resident then reads; the analyst reads
the unsafe-place map's aggregates only; every other role is refused; each bad field is a problem naming it;
an emergency is sent to the alert button; the reports' own limit holds (docs/prevention.md)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.conftest import near_centre

PROBLEM = "application/problem+json"


def _body(**kw: Any) -> dict[str, Any]:
    lat, lon = near_centre()
    body: dict[str, Any] = {
        "type": "unsafe_place",
        "location": {"lat": lat, "lon": lon},
        "description": "Pasaje sin luz entre la escuela y la parada",
        "time_of_day": "night",
        "declared_gender": "woman",
    }
    body.update(kw)
    return {k: v for k, v in body.items() if v is not None}


def _problem(answer: Any, status: int, path: str) -> None:
    assert answer.status == status, answer.body
    assert answer.headers["Content-Type"].startswith(PROBLEM)
    assert path in [e["path"] for e in answer.json.get("errors", [])], answer.json


def test_a_resident_reports_an_unsafe_place_and_reads_it_closed_with_the_operators_note(
    api, stack, citizen, other_citizen, staff_claims
):
    operator = staff_claims("operator")
    # Given a resident's report of a dark passage where she feels unsafe at night
    sent = api("POST", "/v1/reports", _body(), claims=citizen.claims)
    assert sent.status == 201, sent.body
    report_id = sent.json["report_id"]
    assert sent.headers["Location"] == f"/v1/reports/{report_id}"
    assert sent.json["department"] == "urban_safety"  # the pack routes unsafe places there
    assert sent.json["status"] == "open"
    # Then she reads it; another resident does not even learn it exists, nor sees it in her list
    assert api("GET", f"/v1/reports/{report_id}", claims=citizen.claims).status == 200
    assert api("GET", f"/v1/reports/{report_id}", claims=other_citizen.claims).status == 404
    assert api("GET", "/v1/reports", claims=other_citizen.claims).json["items"] == []
    # When the operator finds it in the city's list, routes it to lighting and closes it with a note
    listed = api("GET", "/v1/reports", claims=operator, query={"type": "unsafe_place", "status": "open"})
    assert [r["report_id"] for r in listed.json["items"]] == [report_id]
    routed = api(
        "POST",
        f"/v1/reports/{report_id}/route",
        {"department": "lighting", "note": "Falta luminaria"},
        claims=operator,
    )
    assert routed.status == 200, routed.body
    assert routed.json["department"] == "lighting"
    closed = api(
        "POST",
        f"/v1/reports/{report_id}/status",
        {"status": "closed", "note": "Luminaria instalada"},
        claims=operator,
    )
    assert closed.status == 200, closed.body
    # Then her app reads it closed, with when and why
    mine = api("GET", "/v1/reports", claims=citizen.claims).json["items"]
    assert [(r["report_id"], r["status"]) for r in mine] == [(report_id, "closed")]
    assert mine[0]["closed_at"]
    assert mine[0]["notes"][-1]["note"] == "Luminaria instalada"
    # And a closed report is not closed or routed again
    again = api("POST", f"/v1/reports/{report_id}/status", {"status": "open", "note": "x"}, claims=operator)
    assert again.status == 409


def test_only_residents_report_and_only_operators_route_or_close(api, stack, citizen, staff_claims):
    report_id = api("POST", "/v1/reports", _body(), claims=citizen.claims).json["report_id"]
    for role in ("police", "response_team", "analyst"):
        claims = staff_claims(role)
        assert api("POST", "/v1/reports", _body(), claims=claims).status == 403, role
        assert api("GET", "/v1/reports", claims=claims).status == 403, role
        assert api("GET", f"/v1/reports/{report_id}", claims=claims).status == 403, role
        closing = api(
            "POST", f"/v1/reports/{report_id}/status", {"status": "closed", "note": "x"}, claims=claims
        )
        assert closing.status == 403, role
    # a resident cannot close or route even her own
    mine = api(
        "POST", f"/v1/reports/{report_id}/status", {"status": "closed", "note": "x"}, claims=citizen.claims
    )
    assert mine.status == 403
    assert api("POST", "/v1/reports", _body()).status == 401
    # the analyst reads the map's aggregates; police and the resident do not
    assert api("GET", "/v1/reports/unsafe-places", claims=staff_claims("analyst")).status == 200
    assert api("GET", "/v1/reports/unsafe-places", claims=staff_claims("police")).status == 403
    assert api("GET", "/v1/reports/unsafe-places", claims=citizen.claims).status == 403


def test_the_analysts_map_holds_back_a_quadrant_with_fewer_reports_than_the_threshold(
    api, stack, citizen, staff_claims
):
    for _ in range(2):
        assert api("POST", "/v1/reports", _body(), claims=citizen.claims).status == 201
    rows = api("GET", "/v1/reports/unsafe-places", claims=staff_claims("analyst")).json["quadrants"]
    with_reports = [r for r in rows if r["total"] != 0]
    assert len(with_reports) == 1
    assert with_reports[0]["total"] == "<5"
    assert with_reports[0]["by_time_of_day"]["night"] == "<5"
    assert with_reports[0]["women"] == "<5"
    assert "reporter_id" not in str(rows)


def test_a_report_that_describes_an_emergency_is_sent_to_the_alert_button(api, stack, citizen):
    answer = api(
        "POST", "/v1/reports", _body(description="¡Me están robando en la esquina!"), claims=citizen.claims
    )
    _problem(answer, 422, "/description")
    assert "alert" in answer.json["detail"]
    # nothing was stored
    assert api("GET", "/v1/reports", claims=citizen.claims).json["items"] == []


@pytest.mark.parametrize(
    ("change", "status", "path"),
    [
        ({"type": "pothole_on_mars"}, 400, "/type"),
        ({"type": "Robo!"}, 400, "/type"),
        ({"location": {"lat": 95, "lon": 0}}, 400, "/location/lat"),
        ({"location": {"lat": 0.0, "lon": 0.0}}, 422, "/location/lat"),
        ({"time_of_day": "3am"}, 400, "/time_of_day"),
        ({"declared_gender": "yes"}, 400, "/declared_gender"),
        ({"description": "x" * 501}, 400, "/description"),
        ({"description": "luz\u0000rota"}, 400, "/description"),
        ({"reporter_id": "someone-else"}, 400, "/reporter_id"),
    ],
)
def test_each_bad_field_is_a_problem_naming_it(api, stack, citizen, change, status, path):
    _problem(api("POST", "/v1/reports", _body(**change), claims=citizen.claims), status, path)


def test_operators_bad_fields_are_problems_naming_them(api, stack, citizen, staff_claims):
    operator = staff_claims("operator")
    report_id = api("POST", "/v1/reports", _body(), claims=citizen.claims).json["report_id"]
    _problem(
        api("POST", f"/v1/reports/{report_id}/route", {"department": "nasa"}, claims=operator),
        400,
        "/department",
    )
    _problem(
        api("POST", f"/v1/reports/{report_id}/status", {"status": "done", "note": "x"}, claims=operator),
        400,
        "/status",
    )
    _problem(
        api("POST", f"/v1/reports/{report_id}/status", {"status": "closed"}, claims=operator), 400, "/note"
    )
    assert (
        api("POST", "/v1/reports/NOPE/status", {"status": "closed", "note": "x"}, claims=operator).status
        == 404
    )


def test_reports_have_their_own_limit_apart_from_alerts(api, stack, citizen):
    # Given Godoy Cruz's limit of 5 reports an hour
    for _ in range(5):
        assert api("POST", "/v1/reports", _body(), claims=citizen.claims).status == 201
    refused = api("POST", "/v1/reports", _body(), claims=citizen.claims)
    assert refused.status == 429
    assert refused.headers["Content-Type"].startswith(PROBLEM)
    assert int(refused.headers["Retry-After"]) > 0
    assert len(api("GET", "/v1/reports", claims=citizen.claims).json["items"]) == 5
    # and her alerts are not counted against it, nor it against them
    lat, lon = near_centre()
    alert = api(
        "POST", "/v1/alerts", {"type": "robbery", "location": {"lat": lat, "lon": lon}}, claims=citizen.claims
    )
    assert alert.status == 202, alert.body


def test_a_suspended_resident_reports_nothing(api, stack, citizen):
    stack.set_resident_status(citizen.user_id, "suspended")
    answer = api("POST", "/v1/reports", _body(), claims=citizen.claims)
    assert answer.status == 403
    assert answer.json["resident_status"] == "suspended"


def test_the_lakes_reports_table_holds_the_days_reports_without_who_sent_them(api, stack, citizen):
    import io
    from datetime import datetime
    from zoneinfo import ZoneInfo

    import pyarrow.parquet as pq

    from tests.support import FakeContext
    from vigia.handlers.lake_export import lambda_handler

    # Given two reports today, one by a resident who declared her gender
    for extra in ({"declared_gender": "woman"}, {"declared_gender": None, "type": "trash"}):
        assert api("POST", "/v1/reports", _body(**extra), claims=citizen.claims).status == 201
    today = datetime.now(ZoneInfo(stack.pack.time_zone)).date().isoformat()
    # When the lake export runs for today
    lambda_handler({"date": today}, FakeContext("LakeExportFunction", 1024, remaining_ms=900_000))
    key = f"lake/reports/city={stack.pack.city_id}/date={today}/part-0.parquet"
    body = stack.client("s3").get_object(Bucket=stack.resources["LakeBucket"], Key=key)["Body"].read()
    rows = pq.read_table(io.BytesIO(body)).to_pylist()
    # Then the day's two reports are there, with type, unsafe place, gender where given, and nothing of her
    assert sorted((r["type"], r["unsafe_place"], r["declared_gender"]) for r in rows) == [
        ("trash", False, None),
        ("unsafe_place", True, "woman"),
    ]
    for row in rows:  # (the file is compressed: its values are read, not its bytes)
        assert not {"reporter_id", "description", "lat", "lon", "address"} & set(row)
        assert citizen.user_id not in row.values()
        assert "Pasaje sin luz entre la escuela y la parada" not in row.values()


def test_a_date_off_the_calendar_is_a_problem_naming_it(api, stack, citizen, staff_claims):
    operator = staff_claims("operator")
    _problem(api("GET", "/v1/reports", claims=operator, query={"from": "2026-02-31"}), 422, "/from")
    _problem(api("GET", "/v1/reports", claims=citizen.claims, query={"to": "2026-04-31"}), 422, "/to")
    _problem(
        api("GET", "/v1/reports", claims=operator, query={"from": "2026-03-02", "to": "2026-03-01"}),
        422,
        "/from",
    )
    _problem(api("GET", "/open311/v2/requests.json", query={"start_date": "2026-02-30"}), 422, "start_date")
    _problem(
        api("GET", "/open311/v2/requests.json", query={"end_date": "2026-02-29T10:00:00Z"}), 422, "end_date"
    )
