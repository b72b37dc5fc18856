"""The nightly indicators on the emulator: a day of alerts → IndicatorsTable rows and exports in S3, the
run ledger's catch-up, re-runs that change nothing, and the /v1/indicators routes."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from tests.support import FakeContext
from tests.support.alert_items import stored_alert
from vigia import clock, runtime
from vigia.api.validation import validate
from vigia.indicators.table import COLUMNS

DAY = date(2026, 3, 10)


def invoke(event: dict[str, Any]) -> Any:
    from vigia.handlers.nightly_indicators import lambda_handler

    return lambda_handler(event, FakeContext("NightlyIndicatorsFunction", 1024, remaining_ms=900_000))


def alert(n: int, block: Any, created: datetime, type_: str = "robbery", **lifecycle: Any) -> dict[str, Any]:
    return stored_alert(
        block,
        created,
        settings_zone(),
        type_,
        pk=clock.new_id(created)[:16] + f"{n:010d}",
        sender_id=f"resident-{n}",
        note="Juan Pérez, 2615551234",
        queue_status="closed",
        **lifecycle,
    )


def settings_zone() -> Any:
    """The time zone of the running stack's city: its local days."""
    return runtime.city_pack().zone_info


@pytest.fixture
def seeded(stack) -> dict[str, Any]:
    """DAY in the city: 12 robberies on one block of its first quadrant (6 with sirens and 18 neighbour SMS
    sent, a failed SMS), 3 silent alerts in the same quadrant, 2 alerts on the days around it."""
    first_quadrant = next(iter(stack.pack.quadrants))
    blocks = [b for b in stack.pack.blocks.values() if b.quadrant_id == first_quadrant]
    busy, other = blocks[0], blocks[1]
    noon = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
    items = []
    for n in range(12):
        created = noon + timedelta(minutes=n)
        response = 240 + 30 * n
        items.append(
            alert(
                n,
                busy,
                created,
                dispatched_at=clock.iso(created + timedelta(seconds=3)),
                assigned_at=clock.iso(created + timedelta(seconds=60 + n)),
                on_scene_at=clock.iso(created + timedelta(seconds=response)),
                resolved_at=clock.iso(created + timedelta(hours=1)),
                dispatch_time_s=60 + n,
                response_time_s=response,
                met_target=response <= 420,
            )
        )
    items.append(
        alert(20, other, noon, status="cancelled", cancelled_at=clock.iso(noon + timedelta(seconds=40)))
    )
    for n in range(3):
        items.append(alert(30 + n, busy, noon + timedelta(hours=n), type_="domestic_violence"))
    items.append(alert(40, busy, noon - timedelta(days=1)))
    items.append(alert(41, busy, noon + timedelta(days=1)))
    with stack.table("AlertsTable").batch_writer() as batch:
        for item in items:
            batch.put_item(Item=item)
    deliveries = stack.table("DeliveriesTable")
    with deliveries.batch_writer() as batch:
        for item in items[:6]:
            rows = [("alert#siren#S-1", "sirens", "siren", "sent")]
            rows += [(f"alert#sms#+54926155{k:05d}", "neighbours", "sms", "sent") for k in range(18)]
            rows += [("alert#sms#+549261559999", "neighbours", "sms", "dead_letter")]
            rows += [("alert#webhook#provincial_cad", "provincial_police", "webhook", "sent")]
            for sk, target, channel, status in rows:
                batch.put_item(
                    Item={
                        "pk": item["pk"], "sk": sk, "kind": "alert", "channel": channel, "target": target,
                        "recipient": sk.split("#")[-1], "status": status, "attempts": 1,
                        "created_at": item["created_at"], "updated_at": item["created_at"],
                    }
                )  # fmt: skip
    return {"busy": busy, "other": other, "items": items}


@pytest.fixture
def dynamodb_calls(stack, monkeypatch):
    """Every DynamoDB call the indicators make, by operation; a Scan fails the test."""
    from vigia.adapters import aws

    client = aws.client("dynamodb")
    calls: list[tuple[str, dict[str, Any]]] = []
    for name in ("query", "get_item", "batch_write_item", "put_item", "update_item"):
        real = getattr(client, name)

        def spy(*args: Any, _real: Any = real, _name: str = name, **kwargs: Any) -> Any:
            calls.append((_name, kwargs))
            return _real(*args, **kwargs)

        monkeypatch.setattr(client, name, spy)

    def scan(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("the indicators must never scan a table")

    monkeypatch.setattr(client, "scan", scan)
    return calls


def exports(stack, day: date = DAY) -> dict[str, bytes]:
    s3 = stack.client("s3")
    bucket = stack.resources["ExportsBucket"]
    prefix = f"indicators/{stack.pack.city_id}/{day.isoformat()}/"
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    return {
        o["Key"][len(prefix) :]: s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read() for o in listed
    }


def rows(stack, day: date = DAY) -> dict[str, dict[str, Any]]:
    from boto3.dynamodb.conditions import Key

    items = stack.table("IndicatorsTable").query(KeyConditionExpression=Key("pk").eq(day.isoformat()))[
        "Items"
    ]
    return {i["sk"]: json.loads(i["row"]) for i in items if i.get("kind") == "row"}


def stored_kinds(stack, day: date = DAY) -> dict[str, str]:
    from boto3.dynamodb.conditions import Key

    items = stack.table("IndicatorsTable").query(KeyConditionExpression=Key("pk").eq(day.isoformat()))[
        "Items"
    ]
    return {i["sk"]: i.get("kind", "") for i in items}


# ---------------------------------------------------------------- the nightly job
@pytest.mark.cities
def test_a_day_run_reads_the_day_by_index_and_writes_rows_and_three_exports_that_validate(
    stack, seeded, dynamodb_calls
):
    answer = invoke({"date": DAY.isoformat()})

    queries = [kw for name, kw in dynamodb_calls if name == "query"]
    alert_queries = [q for q in queries if q["TableName"] == stack.resources["AlertsTable"]]
    assert len(alert_queries) == 1
    assert alert_queries[0]["IndexName"] == "by_local_date"
    assert alert_queries[0]["ExpressionAttributeValues"] == {":d": {"S": DAY.isoformat()}}
    delivery_queries = [q for q in queries if q["TableName"] == stack.resources["DeliveriesTable"]]
    assert len(delivery_queries) == 13  # the 13 non-silent alerts; a silent alert's deliveries are not read
    assert answer["computed"][0]["items_read"] == 16 + 6 * 21

    files = exports(stack)
    assert sorted(files) == ["feed.json", "indicators.csv", "indicators.json"]
    indicators = validate("exports/indicators.schema.json", json.loads(files["indicators.json"]))
    feed = validate("exports/feed.schema.json", json.loads(files["feed.json"]))
    table = rows(stack)
    assert [r["zone"] + "#" + r["type"] for r in indicators["items"]] == list(
        sorted(table, key=lambda sk: [r["zone"] + "#" + r["type"] for r in indicators["items"]].index(sk))
    )
    assert len(indicators["items"]) == len(table) == answer["computed"][0]["rows"]
    csv_rows = list(csv.DictReader(io.StringIO(files["indicators.csv"].decode())))
    assert list(csv_rows[0]) == list(COLUMNS)
    assert len(csv_rows) == len(indicators["items"])

    city = table["city#all"]
    # 12 robberies and 1 cancelled; not the 3 silent alerts (in no row of a day), nor the days around
    assert city["count"] == 13
    assert city["rate_per_100k"] == round(13 * 100_000 / stack.pack.population, 2)  # the city's census
    assert city["sirens_sounded"] == 6
    assert city["neighbour_messages"] == 108
    assert table["city#robbery"]["count"] == 13
    assert "city#domestic_violence" not in table  # kept exactly for the month's summary, never a day's row
    sealed = stored_kinds(stack)
    assert sealed["city#domestic_violence"] == "sealed"
    busy = seeded["busy"].block_id
    # Counts of public alerts are exact at every level: the feed lists each of them anyway.
    assert table[f"{busy}#all"]["count"] == table[f"{busy}#robbery"]["count"] == 12
    assert all(not k.endswith("#domestic_violence") for k in table)
    assert all(isinstance(r["count"], int) for r in table.values())

    assert len(feed["alerts"]) == 13  # the silent three are not in the feed
    text = files["feed.json"].decode()
    for personal in ("resident-", "Juan", "2615551234", str(round(seeded["busy"].centroid.lat, 6))):
        assert personal not in text


def test_re_running_a_day_gives_byte_identical_files_and_drops_rows_no_longer_produced(stack, seeded):
    invoke({"date": DAY.isoformat()})
    first_files, first_rows = exports(stack), rows(stack)

    again = invoke({"date": DAY.isoformat()})

    assert exports(stack) == first_files
    assert rows(stack) == first_rows
    assert (
        again["computed"][0]["files"]["indicators.csv"]
        == hashlib.sha256(first_files["indicators.csv"]).hexdigest()
    )

    # The only alert of the other block goes (say, a test alert an operator purged): its rows go too.
    other = seeded["other"].block_id
    assert f"{other}#all" in first_rows
    stack.table("AlertsTable").delete_item(Key={"pk": seeded["items"][12]["pk"], "sk": "ALERT"})
    invoke({"date": DAY.isoformat()})
    assert not [sk for sk in rows(stack) if sk.startswith(f"{other}#")]


@pytest.mark.cities
def test_the_nightly_run_starts_with_yesterday_then_catches_up_every_missed_day(stack):
    yesterday = (datetime.now(UTC).astimezone(stack.pack.zone_info) - timedelta(days=1)).date()
    ledger = {"pk": "#ledger", "sk": "nightly"}

    first = invoke({"run": "nightly"})  # a new stack: no ledger yet
    stack.table("IndicatorsTable").put_item(
        Item={**ledger, "last_completed": (yesterday - timedelta(days=3)).isoformat()}
    )  # three nights missed
    caught_up = invoke({"run": "nightly"})
    nothing = invoke({"run": "nightly"})

    assert [r["date"] for r in first["computed"]] == [yesterday.isoformat()]
    assert [r["date"] for r in caught_up["computed"]] == [
        (yesterday - timedelta(days=n)).isoformat() for n in (2, 1, 0)
    ]
    assert nothing["computed"] == []
    assert (
        stack.table("IndicatorsTable").get_item(Key=ledger)["Item"]["last_completed"] == yesterday.isoformat()
    )
    assert sorted(exports(stack, yesterday - timedelta(days=2))) == [
        "feed.json",
        "indicators.csv",
        "indicators.json",
    ]


# ---------------------------------------------------------------- the routes
def test_the_routes_read_a_computed_day_totals_pages_and_week(stack, seeded, api, staff_claims, citizen):
    invoke({"date": DAY.isoformat()})
    query = {"from": DAY.isoformat(), "to": DAY.isoformat(), "zone": "city", "type": "all"}

    answer = api("GET", "/v1/indicators", claims=staff_claims("analyst"), query=query)
    refused = api("GET", "/v1/indicators", claims=citizen.claims, query=query)

    assert answer.status == 200, answer.body
    (item,) = answer.json["items"]
    assert {k: item[k] for k in ("date", "zone", "type", "iccs", "count")} == {
        "date": DAY.isoformat(), "zone": "city", "type": "all", "iccs": "0201;0401;0501;0504",
        "count": 13,
    }  # fmt: skip
    for field in ("rate_per_100k", "dispatch_time_median_s", "response_time_median_s", "response_time_p90_s",
                  "within_target_share", "false_alarm_share"):  # fmt: skip
        assert field in item
    assert item["response_time_median_s"] == 405.0  # 240…570 s in 30 s steps: (390 + 420) / 2
    assert refused.status == 403
    # A silent type's day is kept for the month's summary but is no row anyone can read
    sealed = api(
        "GET", "/v1/indicators", claims=staff_claims("analyst"),
        query={"from": DAY.isoformat(), "to": DAY.isoformat(), "zone": "city", "type": "domestic_violence"},
    )  # fmt: skip
    assert (sealed.status, sealed.json["items"]) == (200, [])

    # Every zone, page by page, in the files' order
    whole = json.loads(exports(stack)["indicators.json"])["items"]
    got, cursor = [], None
    while True:
        page = {"from": DAY.isoformat(), "to": DAY.isoformat(), "limit": "25"} | (
            {"cursor": cursor} if cursor else {}
        )
        answer = api("GET", "/v1/indicators", claims=staff_claims("operator"), query=page)
        assert answer.status == 200, answer.body
        got += answer.json["items"]
        cursor = answer.json.get("next")
        if not cursor:
            break
    assert got == whole

    # The week around it
    week = api(
        "GET", "/v1/indicators/summary", claims=staff_claims("analyst"),
        query={"period": "week", "date": DAY.isoformat()},
    )  # fmt: skip
    assert week.status == 200, week.body
    assert (week.json["from"], week.json["to"], week.json["zone"]) == ("2026-03-09", "2026-03-15", "city")
    assert week.json["dates_computed"] == ["2026-03-10"]
    by_type = {i["type"]: i for i in week.json["items"]}
    assert by_type["all"]["count"] == 13
    assert by_type["all"]["date"] == "2026-03-09/2026-03-15"
    assert "domestic_violence" not in by_type  # silent alerts: only in the city's summary of a whole month


def test_bad_reads_and_bad_run_requests_are_problems_naming_the_field(stack, api, staff_claims):
    # 422: each date has the document's shape; the rule between from and to is one it cannot state
    for query, field, status in [
        ({"from": "2026-13-01"}, "/from", 400),
        ({"from": "2026-03-10", "to": "2026-03-01"}, "/from", 422),
        ({"zone": "Q-99"}, "/zone", 400),
        ({"type": "jaywalking"}, "/type", 400),
        ({"limit": "0"}, "/limit", 400),
        ({"cursor": "not-a-cursor"}, "/cursor", 422),
        ({"from": "2024-01-01", "to": "2026-01-01"}, "/from", 422),
    ]:
        answer = api("GET", "/v1/indicators", claims=staff_claims("analyst"), query=query)

        assert answer.status == status, (query, answer.body)
        assert answer.headers["Content-Type"] == "application/problem+json"
        assert [e["path"] for e in answer.json["errors"]] == [field], query
    bad = api("GET", "/v1/indicators/summary", claims=staff_claims("analyst"), query={"period": "year"})
    assert bad.status == 400
    assert bad.json["errors"][0]["path"] == "/period"

    for role, body, status, field in [
        ("analyst", {"date": "2026-03-10"}, 403, None),
        ("admin", {"date": "2099-01-01"}, 422, "/date"),
        ("admin", {"from": "2026-03-10"}, 400, "/to"),
        ("admin", {"date": "2026-03-10", "to": "2026-03-11"}, 400, "/date"),
        ("admin", {"date": "2026-02-30"}, 400, "/date"),
        ("admin", {"from": "2024-01-01", "to": "2026-01-01"}, 422, "/from"),
        ("admin", {"date": "2026-03-10", "unit": "GC-01"}, 400, "/unit"),
        ("admin", "not json", 400, "/"),
    ]:
        answer = api("POST", "/v1/indicator-runs", body, claims=staff_claims(role))

        assert answer.status == status, (body, answer.body)
        if field:
            assert answer.json["errors"][0]["path"] == field, body
    assert stack.queue_messages("IndicatorRunsQueue") == []


def test_an_admin_queues_a_range_and_each_queued_date_is_computed(stack, seeded, api, staff_claims):
    body = {"from": "2026-03-09", "to": "2026-03-11"}
    headers = {"Idempotency-Key": "rerun-march"}

    answer = api("POST", "/v1/indicator-runs", body, claims=staff_claims("admin"), headers=headers)
    replay = api("POST", "/v1/indicator-runs", body, claims=staff_claims("admin"), headers=headers)
    other = api(
        "POST", "/v1/indicator-runs", {"date": "2026-03-09"}, claims=staff_claims("admin"), headers=headers
    )

    assert answer.status == 202, answer.body
    assert answer.json["dates"] == ["2026-03-09", "2026-03-10", "2026-03-11"]
    assert replay.status == 202
    assert replay.json["run_id"] == answer.json["run_id"]
    assert other.status == 422
    messages = stack.queue_messages("IndicatorRunsQueue")
    assert sorted(json.loads(m["Body"])["date"] for m in messages) == answer.json["dates"]  # once, not twice
    records = [
        {"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
         "attributes": {}, "messageAttributes": {}, "md5OfBody": m["MD5OfBody"], "eventSource": "aws:sqs",
         "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:indicator-runs", "awsRegion": "us-east-1"}
        for m in messages
    ]  # fmt: skip
    assert invoke({"Records": records}) == {"batchItemFailures": []}
    assert rows(stack)["city#all"]["count"] == 13
    assert sorted(exports(stack, date(2026, 3, 11))) == ["feed.json", "indicators.csv", "indicators.json"]


# ---------------------------------------------------------------- patrols and surveys, where present
@pytest.mark.cities
def test_patrol_dosage_and_perception_fill_the_quadrant_and_city_rows_when_present(stack, api, staff_claims):
    zone = stack.pack.zone_info
    # the city's first car (Godoy Cruz's GC-01) and its quadrant; another quadrant nobody surveys
    unit = next(iter(stack.pack.units.values()))
    q01 = unit.quadrant_id
    q02 = next(q for q in stack.pack.quadrants if q != q01)
    assert stack.pack.perception_questions["safe_at_night"].scale == (1, 5)
    day = (datetime.now(UTC).astimezone(zone) - timedelta(days=1)).date()
    made = api(
        "POST", "/v1/patrol-schedules", {"date": day.isoformat(), "seed": 5}, claims=staff_claims("operator")
    )
    assert made.status in (200, 201), made.body
    stop = next(u for u in made.json["units"] if u["unit_id"] == unit.unit_id)["stops"][0]
    checkin = {
        "unit_id": unit.unit_id,
        "location": {"lat": stop["lat"], "lon": stop["lon"], "accuracy_m": 8},
        "at": (datetime.fromisoformat(stop["start"]) + timedelta(minutes=2)).isoformat(),
    }
    police = staff_claims("police")
    crew = {"user_ids": [police["sub"]]}
    assert api("PUT", f"/v1/units/{unit.unit_id}/crew", crew, claims=staff_claims("operator")).status == 200
    assert api("POST", "/v1/patrols/checkins", checkin, claims=police).status == 201
    noon = datetime.combine(day, datetime.min.time(), zone) + timedelta(hours=12)
    for n, value in enumerate([5, 5, 4, 4, 5, 1, 2, 3, 2, 1]):  # 5 favourable (4-5 of 1-5), 5 not
        survey = {
            "quadrant_id": q01,
            "answers": {"safe_at_night": value},
            "at": (noon + timedelta(minutes=n)).isoformat(),
        }
        assert api("POST", "/v1/surveys", survey, claims=staff_claims("police")).status == 201
    dosage = api(
        "GET", "/v1/patrols/dosage", claims=staff_claims("analyst"), query={"date": day.isoformat()}
    ).json

    invoke({"date": day.isoformat()})

    table = rows(stack, day)
    cars = [u for u in dosage["units"] if u["quadrant_id"] == q01]
    planned, done = sum(u["planned_min"] for u in cars), sum(u["done_min"] for u in cars)
    assert done > 0
    assert table[f"{q01}#all"]["patrol_dosage_compliance"] == round(done / planned, 3)
    assert table["city#all"]["patrol_dosage_compliance"] == dosage["totals"]["compliance"]
    assert table[f"{q01}#all"]["survey_responses"] == 10
    assert table[f"{q01}#all"]["perception_favourable_share"] == 0.5
    assert table[f"{q02}#all"]["survey_responses"] == "<5"
    assert table[f"{q01}#robbery"]["patrol_dosage_compliance"] is None  # an `all` figure only


# ---------------------------------------------------------------- with the real incident lifecycle
def test_the_indicators_read_what_the_incident_lifecycle_writes(
    stack, api, staff_claims, citizen, other_citizen
):
    from statistics import median

    from tests.integration.conftest import NEAR_CENTRE

    operator = staff_claims("operator")
    body = {"type": "robbery", "location": {"lat": NEAR_CENTRE[0], "lon": NEAR_CENTRE[1], "accuracy_m": 10}}
    alert_ids = []
    for sender in (citizen, citizen, citizen, other_citizen, other_citizen):
        sent = api("POST", "/v1/alerts", body, claims=sender.claims)
        assert sent.status == 202, sent.body
        alert_ids.append(sent.json["alert_id"])
    for alert_id in alert_ids:
        for step in ({"action": "acknowledge"}, {"action": "assign", "unit_id": "GC-01"},
                     {"action": "on_scene"}, {"action": "resolve"}):  # fmt: skip
            done = api("POST", f"/v1/alerts/{alert_id}/actions", step, claims=operator)
            assert done.status == 200, (step, done.body)
    items = [stack.alert_item(a) for a in alert_ids]
    today = items[0]["local_date"]

    invoke({"date": today})

    city = rows(stack, date.fromisoformat(today))["city#robbery"]
    assert city["count"] == 5
    assert city["response_time_median_s"] == round(
        float(median(float(i["response_time_s"]) for i in items)), 1
    )
    assert city["dispatch_time_median_s"] == round(
        float(median(float(i["dispatch_time_s"]) for i in items)), 1
    )
    assert city["within_target_share"] is None  # 5 within the target, 0 over: one side below 5
