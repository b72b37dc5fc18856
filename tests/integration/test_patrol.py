"""Hot spots and patrols on the emulator: alerts in the table -> hot spots -> schedules -> check-ins."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from vigia import clock
from vigia.city.geo import haversine_m

POLICE = "police"
OPERATOR = "operator"
# How each city's calendar says what follows a fixed point (Chile's tuteo, Argentina's impersonal wording).
THEN_PATROL = {"es-AR": "Luego patrullaje del cuadrante", "es-CL": "Luego patrulla el cuadrante"}


def busy_quadrants(pack) -> list[str]:
    """The pack's first two quadrants: where the `alerts` fixture clusters its robberies."""
    return list(pack.quadrants)[:2]


def first_unit(pack):
    return next(iter(pack.units.values()))


def shift_hours(unit) -> int:
    return sum(((s.end.hour - s.start.hour) % 24) or 24 for s in unit.shifts)


@pytest.fixture
def day(stack):
    """Yesterday in the city: its stops are in the past, so check-ins at them are believable."""
    return (datetime.now(UTC).astimezone(stack.pack.zone_info) - timedelta(days=1)).date()


@pytest.fixture
def crews(api, staff_claims, stack):
    """The police account crews the pack's first two cars (GC-01 and GC-02); nobody crews the others."""
    police = staff_claims(POLICE)
    for unit in list(stack.pack.units)[:2]:
        answer = api(
            "PUT", f"/v1/units/{unit}/crew", {"user_ids": [police["sub"]]}, claims=staff_claims(OPERATOR)
        )
        assert answer.status == 200, answer.body
    return police


@pytest.fixture
def alerts(stack, day):
    """Four weeks of alerts before `day`: a robbery cluster on a few blocks, noise elsewhere, silent ones."""
    pack = stack.pack
    rng = random.Random(9)
    blocks = list(pack.blocks.values())
    one, two = busy_quadrants(pack)
    busy = [b for b in blocks if b.quadrant_id == one][:6] + [b for b in blocks if b.quadrant_id == two][:6]
    table = stack.table("AlertsTable")
    zone = pack.zone_info
    start = datetime.combine(day, datetime.min.time(), zone)
    written = []
    with table.batch_writer() as batch:
        for n in range(400):
            silent = n % 40 == 0
            block = rng.choice(busy) if rng.random() < 0.6 else rng.choice(blocks)
            created = start - timedelta(seconds=rng.uniform(60, 27 * 86_400))
            item = {
                "pk": clock.new_id(created),
                "sk": "ALERT",
                "type": "domestic_violence"
                if silent
                else rng.choice(["robbery", "suspicious_activity", "panic"]),
                "silent": silent,
                "priority": 2,
                "sender_id": f"seed-{n}",
                "location": {
                    "lat": Decimal(str(round(block.centroid.lat, 6))),
                    "lon": Decimal(str(round(block.centroid.lon, 6))),
                },
                "block_id": block.block_id,
                "quadrant_id": block.quadrant_id,
                "status": "received",
                "created_at": clock.iso(created),
                "local_date": created.astimezone(zone).date().isoformat(),
            }
            batch.put_item(Item=item)
            written.append(item)
    return written


@pytest.fixture
def no_scans(monkeypatch):
    """Counts the Alerts queries by local date; any Scan of the Alerts table fails the test."""
    from vigia.adapters.dynamodb.alerts import AlertRecord

    queried: list[str] = []
    real_query = AlertRecord.by_local_date.query

    def query(hash_key, *args, **kwargs):
        queried.append(hash_key)
        return real_query(hash_key, *args, **kwargs)

    def scan(*_args, **_kwargs):
        raise AssertionError("the Alerts table must never be scanned")

    monkeypatch.setattr(AlertRecord.by_local_date, "query", query)
    monkeypatch.setattr(AlertRecord, "scan", scan)
    return queried


def generate(api, staff_claims, day, **body):
    return api(
        "POST", "/v1/patrol-schedules", {"date": day.isoformat(), **body}, claims=staff_claims(OPERATOR)
    )


# ---------------------------------------------------------------- hot spots
@pytest.mark.cities
def test_hot_spots_come_from_one_query_per_day_of_the_window(api, staff_claims, stack, day, alerts, no_scans):
    answer = api("GET", "/v1/hotspots", claims=staff_claims(POLICE), query={"date": day.isoformat()})
    assert answer.status == 200, answer.body
    body = answer.json
    assert len(no_scans) == stack.pack.settings.hotspots.lookback_days
    assert no_scans[-1] == (day - timedelta(days=1)).isoformat()
    assert body["items"], body
    first = body["items"][0]
    assert first["rank"] == 1
    assert set(first) >= {"place_id", "score", "z", "centroid", "quadrant_id", "hot_spot"}
    assert first["quadrant_id"] in busy_quadrants(stack.pack)  # where the robberies cluster
    scores = [i["score"] for i in body["items"] if not i["hot_spot"]]
    assert scores == sorted(scores, reverse=True)


def test_hot_spots_of_one_quadrant_and_bad_filters(api, staff_claims, day, alerts):
    answer = api(
        "GET",
        "/v1/hotspots",
        claims=staff_claims("analyst"),
        query={"date": day.isoformat(), "quadrant": "Q-02"},
    )
    assert answer.status == 200
    assert {i["quadrant_id"] for i in answer.json["items"]} == {"Q-02"}
    for params, path in (
        ({"quadrant": "Q-99"}, "/quadrant"),
        ({"date": "yesterday"}, "/date"),
        ({"limit": "0"}, "/limit"),
    ):
        bad = api("GET", "/v1/hotspots", claims=staff_claims(OPERATOR), query=params)
        assert bad.status == 400
        assert bad.headers["Content-Type"] == "application/problem+json"
        assert bad.json["errors"][0]["path"] == path
    assert api("GET", "/v1/hotspots", claims=staff_claims("citizen")).status == 403


# ---------------------------------------------------------------- schedules
@pytest.mark.cities
def test_operator_generates_a_schedule_every_unit_every_hour(api, staff_claims, stack, day, alerts):
    answer = generate(api, staff_claims, day, seed=7)
    assert answer.status == 201, answer.body
    body = answer.json
    assert answer.headers["Location"] == f"/v1/patrol-schedules/{day.isoformat()}"
    assert body["date"] == day.isoformat()
    assert body["seed"] == 7
    assert isinstance(body["warnings"], list)
    assert {u["unit_id"] for u in body["units"]} == set(stack.pack.units)
    # the first car (Godoy Cruz's GC-01, 08:00-20:00) stops once an hour of its shifts, on the city's clock
    unit = first_unit(stack.pack)
    gc01 = next(u for u in body["units"] if u["unit_id"] == unit.unit_id)
    assert len(gc01["stops"]) == shift_hours(unit)
    begins = datetime.combine(day, unit.shifts[0].start, stack.pack.zone_info)
    fixed = timedelta(minutes=stack.pack.settings.patrol.fixed_point_min)
    assert gc01["stops"][0]["start"] == begins.isoformat()  # Mendoza's -03:00, Santiago's -04:00 or -03:00
    assert gc01["stops"][0]["end"] == (begins + fixed).isoformat()
    # every fixed point lies in the unit's quadrant
    for unit in body["units"]:
        for stop in unit["stops"]:
            quadrant = stack.pack.quadrant_at(stop["lat"], stop["lon"])
            near = min(
                haversine_m((stop["lat"], stop["lon"]), b.centroid)
                for b in stack.pack.blocks.values()
                if b.quadrant_id == unit["quadrant_id"]
            )
            assert (quadrant and quadrant.quadrant_id == unit["quadrant_id"]) or near < 250
    # the same seed replays the same schedule; another seed changes it
    again = generate(api, staff_claims, day, seed=7).json
    assert again["units"] == body["units"]
    other = generate(api, staff_claims, day, seed=8).json
    assert other["units"] != body["units"]


@pytest.mark.cities
def test_reading_the_schedule_as_json_csv_and_icalendar(api, staff_claims, stack, day, alerts):
    made = generate(api, staff_claims, day, seed=3).json
    police = staff_claims(POLICE)
    path = f"/v1/patrol-schedules/{day.isoformat()}"
    read = api("GET", path, claims=police)
    assert read.status == 200
    assert read.json["units"] == made["units"]
    csv_answer = api("GET", path, claims=police, query={"format": "csv"})
    assert csv_answer.headers["Content-Type"].startswith("text/csv")
    stops = sum(len(u["stops"]) for u in made["units"])
    assert len(csv_answer.body.strip().splitlines()) == stops + 1
    assert csv_answer.body.startswith("\ufeffdate,")  # a spreadsheet reads it as UTF-8
    # the pack's names (Godoy Cruz's "Movil 01 - Villa Hipodromo" in Villa Hipodromo)
    unit = first_unit(stack.pack)
    quadrant = stack.pack.quadrants[unit.quadrant_id].name
    assert f",{unit.name},{quadrant}\r\n" in csv_answer.body
    unit_ics = api("GET", f"{path}/units/{unit.unit_id}", claims=police, query={"format": "ics"})
    assert unit_ics.status == 200
    assert unit_ics.headers["Content-Type"].startswith("text/calendar")
    assert unit_ics.body.count("BEGIN:VEVENT") == shift_hours(unit)
    assert "\r\n" in unit_ics.body
    unfolded = unit_ics.body.replace("\r\n ", "")
    assert f"\r\nSUMMARY:Punto fijo 1 - {unit.name}\r\n" in unfolded
    then = THEN_PATROL[stack.pack.locale]
    assert f"\r\nDESCRIPTION:{then} {unit.quadrant_id} {quadrant} hasta las " in unfolded
    unit_json = api("GET", f"{path}/units/{unit.unit_id}", claims=police).json
    assert [u["unit_id"] for u in unit_json["units"]] == [unit.unit_id]
    assert api("GET", path, claims=police, query={"format": "pdf"}).status == 400
    assert api("GET", f"{path}/units/GC-77", claims=police).status == 404
    missing = api("GET", "/v1/patrol-schedules/2001-01-01", claims=police)
    assert missing.status == 404
    assert "POST /v1/patrol-schedules" in missing.json["detail"]
    assert api("GET", "/v1/patrol-schedules/not-a-date", claims=police).status == 400


@pytest.mark.parametrize(
    ("body", "status", "path"),
    [
        ({"units": [{"unit_id": "GC-99"}]}, 400, "/units/0/unit_id"),
        ({"units": [{"unit_id": "GC-01", "quadrant_id": "Q-99"}]}, 400, "/units/0/quadrant_id"),
        (
            {"units": [{"unit_id": "GC-01", "shifts": [{"start": "22:00", "end": "06:00"}]}]},
            422,  # each time has its shape; the shift between them is outside the date
            "/units/0/shifts/0",
        ),
        ({"seed": -1}, 400, "/seed"),
        ({"colour": "blue"}, 400, "/colour"),
    ],
)
def test_bad_schedule_requests_are_problems_naming_the_field(api, staff_claims, day, body, status, path):
    answer = generate(api, staff_claims, day, **body)
    assert answer.status == status, answer.body
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert path in [e["path"] for e in answer.json["errors"]]


def test_a_quadrant_without_alerts_falls_back_and_says_so(api, staff_claims, day):
    # No alerts at all: every quadrant falls back, and the answer says why instead of failing
    answer = generate(
        api, staff_claims, day, units=[{"unit_id": "GC-03", "shifts": [{"start": "09:00", "end": "12:00"}]}]
    )
    assert answer.status == 201, answer.body
    assert len(answer.json["units"][0]["stops"]) == 3
    assert any("Q-03" in w and "fixed points" in w for w in answer.json["warnings"])


def test_only_operators_generate_schedules(api, staff_claims, day):
    assert (
        api("POST", "/v1/patrol-schedules", {"date": day.isoformat()}, claims=staff_claims(POLICE)).status
        == 403
    )


def test_a_retry_with_the_same_key_replays_the_schedule(api, staff_claims, day):
    headers = {"Idempotency-Key": "plan-1"}
    body = {"date": day.isoformat()}
    first = api("POST", "/v1/patrol-schedules", body, claims=staff_claims(OPERATOR), headers=headers)
    again = api("POST", "/v1/patrol-schedules", body, claims=staff_claims(OPERATOR), headers=headers)
    assert first.status == again.status == 201
    assert first.json["seed"] == again.json["seed"]  # no seed given, yet the retry did not draw a new one
    other = api(
        "POST", "/v1/patrol-schedules", {**body, "seed": 1}, claims=staff_claims(OPERATOR), headers=headers
    )
    assert other.status == 422


# ---------------------------------------------------------------- closing the loop
def first_stop(api, staff_claims, day, unit=None):
    """The first stop of `unit` (the pack's first car unless named) in a schedule made for `day`."""
    made = generate(api, staff_claims, day, seed=5).json
    unit = unit or made["units"][0]["unit_id"]
    return next(u for u in made["units"] if u["unit_id"] == unit)["stops"][0]


@pytest.mark.cities
def test_check_in_within_150_m_and_the_window_counts_towards_dosage(
    api, staff_claims, stack, day, alerts, crews
):
    unit = first_unit(stack.pack)
    stop = first_stop(api, staff_claims, day, unit.unit_id)
    arrived = datetime.fromisoformat(stop["start"]) + timedelta(minutes=2)
    body = {
        "unit_id": unit.unit_id,
        "location": {"lat": stop["lat"] + 0.0003, "lon": stop["lon"], "accuracy_m": 8},
        "at": arrived.isoformat(),
    }
    answer = api("POST", "/v1/patrols/checkins", body, claims=staff_claims(POLICE))
    assert answer.status == 201, answer.body
    assert answer.json["matched"] is True
    assert answer.json["place_id"] == stop["place_id"]
    assert 25 < answer.json["distance_m"] < 45
    # 200 m away, a minute later: recorded, not matched
    far = {
        **body,
        "location": {"lat": stop["lat"] + 0.0018, "lon": stop["lon"]},
        "at": (arrived + timedelta(minutes=1)).isoformat(),
    }
    missed = api("POST", "/v1/patrols/checkins", far, claims=staff_claims(POLICE))
    assert missed.status == 201
    assert missed.json["outcome"] == "too_far"
    # the day's dosage: the fixed point's minutes but the 2 before she arrived (Godoy Cruz: 12 of 14)
    fixed = float(stack.pack.settings.patrol.fixed_point_min)
    report = api("GET", "/v1/patrols/dosage", claims=staff_claims("analyst"), query={"date": day.isoformat()})
    assert report.status == 200, report.body
    gc01 = next(u for u in report.json["units"] if u["unit_id"] == unit.unit_id)
    assert gc01["stops_done"] == 1
    assert gc01["done_min"] == fixed - 2
    assert gc01["planned_min"] == shift_hours(unit) * fixed
    place = next(p for p in report.json["places"] if p["place_id"] == stop["place_id"])
    assert place["done_min"] >= fixed - 2


def test_check_ins_are_idempotent_and_bad_ones_are_named(api, staff_claims, day, crews):
    stop = first_stop(api, staff_claims, day)
    body = {"unit_id": "GC-01", "location": {"lat": stop["lat"], "lon": stop["lon"]}, "at": stop["start"]}
    police = staff_claims(POLICE)
    headers = {"Idempotency-Key": "ci-1"}
    first = api("POST", "/v1/patrols/checkins", body, claims=police, headers=headers)
    again = api("POST", "/v1/patrols/checkins", body, claims=police, headers=headers)
    assert first.status == 201
    assert again.status == 200
    assert first.json["checkin_id"] == again.json["checkin_id"]
    moved = {**body, "location": {"lat": stop["lat"] + 0.001, "lon": stop["lon"]}}
    assert api("POST", "/v1/patrols/checkins", moved, claims=police, headers=headers).status == 422
    unknown = api("POST", "/v1/patrols/checkins", {**body, "unit_id": "GC-77"}, claims=police)
    assert unknown.status == 400
    assert unknown.json["errors"][0]["path"] == "/unit_id"
    future = {**body, "at": (datetime.now(UTC) + timedelta(hours=2)).isoformat()}
    assert api("POST", "/v1/patrols/checkins", future, claims=police).status == 422
    assert api("POST", "/v1/patrols/checkins", body, claims=staff_claims(OPERATOR)).status == 403
    no_stop = api("POST", "/v1/patrols/checkins", {**body, "unit_id": "GC-02"}, claims=police)
    assert no_stop.json["matched"] is False


def test_police_check_in_only_for_a_car_they_crew(api, staff_claims, day, crews):
    stop = first_stop(api, staff_claims, day, unit="GC-03")
    body = {"unit_id": "GC-03", "location": {"lat": stop["lat"], "lon": stop["lon"]}, "at": stop["start"]}
    refused = api("POST", "/v1/patrols/checkins", body, claims=staff_claims(POLICE))
    assert refused.status == 403
    assert refused.json["errors"][0]["path"] == "/unit_id"


def test_dosage_of_a_day_without_schedule_is_404(api, staff_claims):
    answer = api("GET", "/v1/patrols/dosage", claims=staff_claims(OPERATOR), query={"date": "2001-01-01"})
    assert answer.status == 404


def test_surveys_are_anonymous_and_summarised_by_quadrant_and_week(api, staff_claims, stack):
    police = staff_claims(POLICE)
    for value in (2, 4, 5):
        answer = api(
            "POST", "/v1/surveys", {"quadrant_id": "Q-01", "answers": {"safe_at_night": value}}, claims=police
        )
        assert answer.status == 201, answer.body
        assert answer.json["quadrant_id"] == "Q-01"
    bad = api(
        "POST",
        "/v1/surveys",
        {"quadrant_id": "Q-01", "answers": {"safe_at_night": 9, "ufo": 1}},
        claims=police,
    )
    assert bad.status == 400
    assert {e["path"] for e in bad.json["errors"]} == {"/answers/safe_at_night", "/answers/ufo"}
    personal = api(
        "POST",
        "/v1/surveys",
        {"quadrant_id": "Q-01", "answers": {"safe_at_night": 3}, "name": "Ana", "phone": "+5492615550000"},
        claims=police,
    )
    assert personal.status == 400
    assert personal.json["errors"][0]["path"] == "/name"
    assert "phone" in personal.json["errors"][0]["message"]
    nowhere = api(
        "POST", "/v1/surveys", {"quadrant_id": "Q-99", "answers": {"safe_at_night": 3}}, claims=police
    )
    assert nowhere.json["errors"][0]["path"] == "/quadrant_id"
    summary = api("GET", "/v1/surveys/summary", claims=staff_claims("analyst"), query={"quadrant": "Q-01"})
    assert summary.status == 200, summary.body
    item = summary.json["items"][0]
    assert item["quadrant_id"] == "Q-01"
    assert item["responses"] == 3
    assert item["questions"]["safe_at_night"]["mean"] == round(11 / 3, 2)
    assert "safe_at_night" in summary.json["questions"]


# ---------------------------------------------------------------- the weekly run
def test_the_weekly_run_plans_next_week_and_keeps_what_exists(
    api, staff_claims, stack, alerts, day, no_scans
):
    from tests.support import FakeContext
    from vigia.handlers.patrol_schedule import lambda_handler

    kept_day = day + timedelta(days=2)
    operator_made = generate(api, staff_claims, kept_day, seed=99).json
    no_scans.clear()
    start = day + timedelta(days=1)
    result = lambda_handler({"days": 3, "from": start.isoformat()}, FakeContext())
    assert result["generated"] == [start.isoformat(), (start + timedelta(days=2)).isoformat()]
    assert result["kept"] == [kept_day.isoformat()]
    assert len(no_scans) == stack.pack.settings.hotspots.lookback_days  # hot spots read once for the week
    kept = api("GET", f"/v1/patrol-schedules/{kept_day.isoformat()}", claims=staff_claims(POLICE)).json
    assert kept["seed"] == operator_made["seed"] == 99
    # a retried run changes nothing
    again = lambda_handler({"days": 3, "from": start.isoformat()}, FakeContext())
    assert again["generated"] == []
    planned = api("GET", f"/v1/patrol-schedules/{start.isoformat()}", claims=staff_claims(POLICE))
    assert planned.status == 200
    assert len(planned.json["units"]) == len(stack.pack.units)


def test_next_week_starts_on_the_monday_after_the_run():
    from vigia.patrol.service import next_week

    assert next_week(date(2026, 3, 6)) == date(2026, 3, 9)  # a Friday
    assert next_week(date(2026, 3, 9)) == date(2026, 3, 16)  # a Monday
