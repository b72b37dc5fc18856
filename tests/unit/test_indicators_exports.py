"""The files a night publishes: byte-identical on re-runs, valid against their schemas, nothing personal."""

from __future__ import annotations

import csv
import io
import json
import random
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.indicators_fixtures import tiny_frame, utc
from tests.unit.test_indicators_golden import busy_tuesday
from vigia.api.validation import validate
from vigia.dispatch.cap import cap_time
from vigia.indicators.exports import render
from vigia.indicators.table import COLUMNS, compute_day

DAY = date(2026, 3, 10)
FRAME = tiny_frame()


@settings(max_examples=25, deadline=None)
@given(st.randoms(use_true_random=False))
def test_the_same_records_in_any_order_give_the_same_bytes(rng: random.Random):
    alerts = busy_tuesday()
    shuffled = list(alerts)
    rng.shuffle(shuffled)

    assert render(compute_day(DAY, shuffled, FRAME), FRAME) == render(compute_day(DAY, alerts, FRAME), FRAME)


def test_the_json_and_the_feed_validate_against_their_schemas():
    files = render(compute_day(DAY, busy_tuesday(), FRAME), FRAME)

    indicators = validate("exports/indicators.schema.json", json.loads(files["indicators.json"][0]))
    feed = validate("exports/feed.schema.json", json.loads(files["feed.json"][0]))

    assert indicators["window"] == {
        "start": "2026-03-10T03:00:00Z",
        "end": "2026-03-11T03:00:00Z",
        "hours": 24,
    }
    assert len(feed["alerts"]) == 13  # 17 alerts in the day, 4 of them silent


def test_the_csv_has_the_json_items_in_the_same_order_with_empty_cells_for_null():
    files = render(compute_day(DAY, busy_tuesday(), FRAME), FRAME)

    rows = list(csv.reader(io.StringIO(files["indicators.csv"][0].decode("utf-8"))))
    items = json.loads(files["indicators.json"][0])["items"]

    assert rows[0] == list(COLUMNS)
    assert len(rows) - 1 == len(items)
    for row, item in zip(rows[1:], items, strict=True):
        assert row == ["" if item[c] is None else str(item[c]) for c in COLUMNS]
    assert files["indicators.csv"][0].endswith(b"\n")
    assert b"\r" not in files["indicators.csv"][0]


def test_the_feed_lists_public_alerts_without_sender_note_coordinates_or_outcome():
    files = render(compute_day(DAY, busy_tuesday(), FRAME), FRAME)
    text = files["feed.json"][0].decode("utf-8")
    feed = json.loads(text)

    for personal in ("resident-", "Juan Pérez", "-32.9,", "false_alarm", "cancelled", "response"):
        assert personal not in text
    events = {a["info"][0]["eventCode"][0]["value"] for a in feed["alerts"]}
    assert events == {"robbery", "medical_emergency"}  # never domestic_violence
    first = feed["alerts"][0]
    assert first["sent"] == "2026-03-10T12:00:00-03:00"
    assert first["info"][0]["area"][0]["areaDesc"] == "San Martín y Mitre, Norte, Villa Test"
    assert len({a["identifier"] for a in feed["alerts"]}) == len(feed["alerts"])


def test_cap_times_carry_the_local_offset_of_that_instant():
    assert cap_time(utc("2026-04-05T03:30:00"), "America/Santiago") == "2026-04-04T23:30:00-04:00"
    assert cap_time(utc("2026-04-05T02:30:00"), "America/Santiago") == "2026-04-04T23:30:00-03:00"
    assert cap_time(utc("2026-04-05T02:30:00"), "UTC") == "2026-04-05T02:30:00-00:00"
