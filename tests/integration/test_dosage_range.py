"""Patrol dosage over a range of days: GET /v1/patrols/dosage?from=&to= answers a row per day and the range's
totals (at most 31 days); ?date= keeps answering one day as before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

READERS = ("operator", "police", "analyst", "admin")


@pytest.fixture
def week(api, stack, staff_claims):
    """The 7 days ending yesterday: schedules on the first and the last, a matched check-in on the last."""
    last = (datetime.now(UTC).astimezone(stack.pack.zone_info) - timedelta(days=1)).date()
    first = last - timedelta(days=6)
    operator = staff_claims("operator")
    police = staff_claims("police")
    stops = {}
    for day in (first, last):
        made = api("POST", "/v1/patrol-schedules", {"date": day.isoformat(), "seed": 7}, claims=operator)
        assert made.status == 201, made.body
        stops[day] = next(u for u in made.json["units"] if u["unit_id"] == "GC-01")["stops"][0]
    crew = api("PUT", "/v1/units/GC-01/crew", {"user_ids": [police["sub"]]}, claims=operator)
    assert crew.status == 200, crew.body
    stop = stops[last]
    checkin = {
        "unit_id": "GC-01",
        "location": {"lat": stop["lat"], "lon": stop["lon"]},
        "at": (datetime.fromisoformat(stop["start"]) + timedelta(minutes=4)).isoformat(),
    }
    answer = api("POST", "/v1/patrols/checkins", checkin, claims=police)
    assert answer.status == 201, answer.body
    assert answer.json["matched"] is True
    return first, last


def test_a_range_answers_each_day_and_the_totals(api, staff_claims, week):
    first, last = week
    for role in READERS:
        # When a reader asks for the week's dosage
        answer = api(
            "GET",
            "/v1/patrols/dosage",
            claims=staff_claims(role),
            query={"from": first.isoformat(), "to": last.isoformat()},
        )
        # Then every day of the range has a row, in order; days without a schedule say so
        assert answer.status == 200, (role, answer.body)
        body = answer.json
        assert body["from"] == first.isoformat()
        assert body["to"] == last.isoformat()
        days = body["days"]
        assert [d["date"] for d in days] == [(first + timedelta(days=n)).isoformat() for n in range(7)]
        assert [d["scheduled"] for d in days] == [True, False, False, False, False, False, True]
        # each scheduled day's row is that day's own dosage, as ?date= answers it
        for row in (days[0], days[-1]):
            alone = api("GET", "/v1/patrols/dosage", claims=staff_claims(role), query={"date": row["date"]})
            assert alone.status == 200, alone.body
            for key in ("stops_planned", "stops_done", "planned_min", "done_min", "compliance"):
                assert row[key] == alone.json["totals"][key], (row["date"], key)
        assert days[-1]["done_min"] == 10.0  # 4 minutes late at a 14-minute stop
        assert days[0]["done_min"] == 0.0
        assert days[1]["compliance"] is None
        assert days[1]["planned_min"] == 0
        # and the totals are the range's: planned and done summed, the share of the sums
        totals = body["totals"]
        assert totals["days"] == 7
        assert totals["days_scheduled"] == 2
        assert totals["planned_min"] == pytest.approx(days[0]["planned_min"] + days[-1]["planned_min"])
        assert totals["done_min"] == 10.0
        assert totals["stops_done"] == 1
        assert totals["compliance"] == round(10.0 / totals["planned_min"], 3)


def test_one_date_still_answers_as_before(api, staff_claims, week):
    _, last = week
    answer = api(
        "GET", "/v1/patrols/dosage", claims=staff_claims("analyst"), query={"date": last.isoformat()}
    )
    assert answer.status == 200, answer.body
    assert answer.json["date"] == last.isoformat()
    assert {"places", "units", "totals"} <= set(answer.json)
    missing = api("GET", "/v1/patrols/dosage", claims=staff_claims("analyst"), query={"date": "2001-01-01"})
    assert missing.status == 404


def test_a_range_with_no_schedule_at_all_is_zero_not_an_error(api, staff_claims):
    answer = api(
        "GET",
        "/v1/patrols/dosage",
        claims=staff_claims("analyst"),
        query={"from": "2001-01-01", "to": "2001-01-07"},
    )
    assert answer.status == 200, answer.body
    assert answer.json["totals"]["days_scheduled"] == 0
    assert answer.json["totals"]["compliance"] is None


@pytest.mark.parametrize(
    ("query", "status", "path"),
    [
        ({"from": "2026-01-01", "to": "2026-02-01"}, 422, "/to"),  # 32 days
        ({"from": "2026-03-10", "to": "2026-03-09"}, 422, "/to"),  # backwards
        ({"from": "2026-03-01"}, 422, "/to"),
        ({"to": "2026-03-01"}, 422, "/from"),
        ({"date": "2026-03-01", "from": "2026-03-01", "to": "2026-03-02"}, 422, "/date"),
        ({"from": "2026-3-1", "to": "2026-03-02"}, 400, "/from"),
        ({"from": "2026-02-30", "to": "2026-03-02"}, 400, "/from"),
    ],
)
def test_bad_ranges_are_problems_naming_the_field(api, staff_claims, query, status, path):
    answer = api("GET", "/v1/patrols/dosage", claims=staff_claims("analyst"), query=query)
    assert answer.status == status, answer.body
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    assert answer.json["errors"][0]["path"] == path


def test_the_longest_range_is_31_days(api, staff_claims):
    answer = api(
        "GET",
        "/v1/patrols/dosage",
        claims=staff_claims("analyst"),
        query={"from": "2026-01-01", "to": "2026-01-31"},
    )
    assert answer.status == 200, answer.body
    assert len(answer.json["days"]) == 31
