"""Hot-spot patrols over HTTP on the local stack: plan, read as iCalendar, check in, survey, summary."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from tests.e2e.conftest import ROOT
from tests.support import godoy_cruz_pack
from tests.support.alert_items import stored_alert, wire

pytestmark = pytest.mark.e2e


def alerts_table(local_stack):
    names = local_stack.aws("dynamodb").list_tables()["TableNames"]
    return next(n for n in names if "alerts" in n.lower())


def seed_alerts(local_stack, pack, day, count=120):
    """Robberies of the ten days before `day`, clustered on a few blocks of Q-01, as intake stores them."""
    dynamodb = local_stack.aws("dynamodb")
    table = alerts_table(local_stack)
    rng = random.Random(3)
    busy = [b for b in pack.blocks.values() if b.quadrant_id == "Q-01"][:5]
    midnight = datetime.combine(day, datetime.min.time(), pack.zone_info)
    for n in range(count):
        block = rng.choice(busy)
        created = midnight - timedelta(seconds=rng.uniform(60, 10 * 86_400))
        dynamodb.put_item(
            TableName=table,
            Item=wire(stored_alert(block, created, pack.zone_info, sender_id=f"e2e-{n}", status="received")),
        )


def first_event(ics):
    """DTSTART and GEO of the first VEVENT of an iCalendar text (unfolded)."""
    lines = ics.replace("\r\n ", "").split("\r\n")
    start = lines.index("BEGIN:VEVENT")
    event = lines[start : lines.index("END:VEVENT", start)]
    fields = dict(line.split(":", 1) for line in event[1:])
    lat, lon = (float(x) for x in fields["GEO"].split(";"))
    return datetime.strptime(fields["DTSTART"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC), lat, lon


def test_operator_plans_police_read_ics_check_in_and_survey_and_the_summary_shows_it(local_stack):
    pack = godoy_cruz_pack()
    day = (datetime.now(UTC).astimezone(pack.zone_info) - timedelta(days=1)).date()
    seed_alerts(local_stack, pack, day)
    operator, police, analyst = (local_stack.client(r) for r in ("operator", "police", "analyst"))

    # Given hot spots in quadrant Q-01
    spots = operator.get("/v1/hotspots", params={"date": day.isoformat(), "quadrant": "Q-01"})
    assert spots.status_code == 200, spots.text
    assert spots.json()["items"][0]["quadrant_id"] == "Q-01"

    # When the operator generates the day's schedule
    made = operator.post("/v1/patrol-schedules", json={"date": day.isoformat(), "seed": 2026})
    assert made.status_code == 201, made.text
    assert {u["unit_id"] for u in made.json()["units"]} == set(pack.units)

    # And a police officer reads unit GC-01's schedule as iCalendar
    ics = police.get(f"/v1/patrol-schedules/{day.isoformat()}/units/GC-01", params={"format": "ics"})
    assert ics.status_code == 200, ics.text
    assert ics.headers["Content-Type"].startswith("text/calendar")
    assert ics.text.count("BEGIN:VEVENT") == 12
    start, lat, lon = first_event(ics.text)

    # And checks in 60 m from the first fixed point, three minutes into its window
    checkin = police.post(
        "/v1/patrols/checkins",
        json={
            "unit_id": "GC-01",
            "location": {"lat": lat + 0.00054, "lon": lon, "accuracy_m": 10},
            "at": (start + timedelta(minutes=3)).isoformat(),
        },
    )
    assert checkin.status_code == 201, checkin.text
    assert checkin.json()["matched"] is True

    # And takes a neighbour's survey in the quadrant
    survey = police.post(
        "/v1/surveys",
        json={"quadrant_id": "Q-01", "unit_id": "GC-01", "answers": {"safe_at_night": 4, "trust_police": 5}},
    )
    assert survey.status_code == 201, survey.text

    # Then the observatory sees the dosage and the survey
    dosage = analyst.get("/v1/patrols/dosage", params={"date": day.isoformat()})
    assert dosage.status_code == 200, dosage.text
    gc01 = next(u for u in dosage.json()["units"] if u["unit_id"] == "GC-01")
    assert gc01["stops_done"] == 1
    assert gc01["done_min"] == 11.0
    summary = analyst.get("/v1/surveys/summary", params={"quadrant": "Q-01"})
    assert summary.status_code == 200, summary.text
    item = summary.json()["items"][-1]
    assert item["quadrant_id"] == "Q-01"
    assert item["questions"]["safe_at_night"]["responses"] >= 1

    # And bad requests are problems, never 500s
    unknown = operator.post(
        "/v1/patrol-schedules", json={"date": day.isoformat(), "units": [{"unit_id": "X"}]}
    )
    assert unknown.status_code == 400
    assert unknown.headers["Content-Type"].startswith("application/problem+json")


def invoke(local_stack, logical_id, event):
    """Like local_stack.invoke, but reads the function's answer after any log lines it printed."""
    import json
    import subprocess
    import sys

    from infra.local.launch import stack_environment

    done = subprocess.run(
        [sys.executable, "-m", "infra.local.run", "invoke", logical_id, json.dumps(event)],
        cwd=ROOT,
        env=stack_environment(local_stack.local_dir, {}),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    decoder, text, position, last = json.JSONDecoder(), done.stdout, 0, None
    while position < len(text):
        if text[position].isspace():
            position += 1
            continue
        last, position = decoder.raw_decode(text, position)
    return last


def test_the_weekly_scheduled_function_plans_days_that_have_no_schedule(local_stack):
    target = (datetime.now(UTC) + timedelta(days=40)).date()
    result = invoke(local_stack, "PatrolScheduleFunction", {"days": 2, "from": target.isoformat()})
    assert result["generated"] == [target.isoformat(), (target + timedelta(days=1)).isoformat()]
    again = invoke(local_stack, "PatrolScheduleFunction", {"days": 2, "from": target.isoformat()})
    assert again["generated"] == []
    assert again["kept"] == result["generated"]
    read = local_stack.client("police").get(f"/v1/patrol-schedules/{target.isoformat()}")
    assert read.status_code == 200
    assert read.json()["units"]
