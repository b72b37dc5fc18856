"""Golden days: hand-built alerts with known lifecycle timestamps → the exact indicator rows.

Given a small city (tests/unit/indicators_fixtures.py: Q-1 = B-1 + B-2, Q-2 = B-3, threshold 5,
response target 420 s), when a day of alerts is computed, then every row is what was worked out by
hand below. The numbers in the comments are the hand calculation.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from tests.unit.indicators_fixtures import alert_item, tiny_frame, utc
from vigia.indicators.days import previous_local_day
from vigia.indicators.facts import AlertFacts, alert_facts
from vigia.indicators.table import COLUMNS, compute_day

X, S = "x", "<5"


class Day:
    """Builds a day of alerts; sirens and neighbour messages stand for the day's sent deliveries."""

    def __init__(self) -> None:
        self.alerts: list[AlertFacts] = []

    def add(self, *args: Any, sirens: int = 0, messages: int = 0, **kwargs: Any) -> None:
        facts = alert_facts(alert_item(len(self.alerts) + 1, *args, **kwargs), response_target_s=420)
        assert facts is not None
        self.alerts.append(replace(facts, sirens_sounded=sirens, neighbour_messages=messages))


def busy_tuesday() -> list[AlertFacts]:
    """2026-03-10 in Mendoza (UTC-3, no DST): 17 alerts in the day, one filed under it from the day before."""
    day, noon = Day(), utc("2026-03-10T15:00:00")
    # B-1: six robberies, dispatched in 60…210 s, on scene in 300…600 s (3 within 420 s); 2 sirens and
    # 10 SMS each. Half store their durations, half leave them to be derived from the timestamps.
    for i, (d, r) in enumerate(
        zip([60, 90, 120, 150, 180, 210], [300, 360, 420, 480, 540, 600], strict=True)
    ):
        day.add("robbery", "B-1", "Q-1", noon + timedelta(minutes=10 * i), dispatch_s=d, response_s=r,
                sirens=2, messages=10, stored_durations=i % 2 == 0)  # fmt: skip
    # B-2: a robbery the sender cancelled (no unit sent), and one on scene in 200 s.
    day.add("robbery", "B-2", "Q-1", noon, status="cancelled", messages=10)
    day.add("robbery", "B-2", "Q-1", noon, dispatch_s=30, response_s=200, sirens=1, messages=12)
    # B-3: five medical emergencies, on scene in 100…500 s; the 500 s one was a false alarm.
    for i, (d, r) in enumerate(zip([10, 20, 30, 40, 50], [100, 200, 300, 400, 500], strict=True)):
        status = "false_alarm" if r == 500 else "resolved"
        day.add("medical_emergency", "B-3", "Q-2", noon + timedelta(minutes=i), dispatch_s=d, response_s=r,
                messages=8, status=status)  # fmt: skip
    # Silent alerts, below the threshold everywhere: 3 in Q-1 (on B-1), 1 in Q-2 at 23:59 local.
    for d, r in zip([20, 25, 30], [240, 250, 260], strict=True):
        day.add("domestic_violence", "B-1", "Q-1", noon, dispatch_s=d, response_s=r, silent=True)
    day.add("domestic_violence", "B-3", "Q-2", utc("2026-03-11T02:59:00"), dispatch_s=35, response_s=700,
            silent=True)  # fmt: skip
    # Received at 23:59:59 local on the 9th: not part of the 10th whatever it was filed under.
    day.add("robbery", "B-1", "Q-1", utc("2026-03-10T02:59:59"), dispatch_s=1, response_s=2)
    return day.alerts


# zone_level, zone, type, iccs, count, rate, dispatch median, dispatch p90, response median, response p90,
# within target, false alarms, cancellations, sirens, neighbour messages
#
# Rule 4 (docs/indicators.md): counts of alerts are exact (the feed lists each public alert); silent
# alerts are in no row of the day, not even in `all`; an outcome count (cancellations, sirens, neighbour
# messages, false alarms) below 5 is "<5", and "x" where a published one would fix a held-back one
# through any combination of rows; an outcome the reader knows already (no alert of that kind there) is 0.
EXPECTED = [
    # city: 13 public alerts; dispatch 10,20,30,30,40,50,60,90,120,150,180,210 → median (50+60)/2, p90 at
    # rank 9.9 → 150 + .9·30; response 100…600 → (360+400)/2 and 500 + .9·40; 8 of 12 within 420 s but
    # only 4 over it: no share. Sirens 13 = robbery 13 + medical "<5": `all` is withheld ("x").
    ("city", "city", "all", "0401", 13, 130.0, 55.0, 177.0, 380.0, 536.0, None, None, S, X, 122),
    ("city", "city", "medical_emergency", None, 5, 50.0, 30.0, 46.0, 300.0, 460.0, None, None, S, S, 40),
    ("city", "city", "robbery", "0401", 8, 80.0, 120.0, 192.0, 420.0, 564.0, None, None, S, 13, 82),
    ("quadrant", "Q-1", "all", "0401", 8, 133.33, 120.0, 192.0, 420.0, 564.0, None, None, S, 13, 82),
    # No medical emergency in Q-1: every reader of the feed knows its outcomes are 0.
    ("quadrant", "Q-1", "medical_emergency", None, 0, 0.0, None, None, None, None, None, None, 0, 0, 0),
    ("quadrant", "Q-1", "robbery", "0401", 8, 133.33, 120.0, 192.0, 420.0, 564.0, None, None, S, 13, 82),
    ("quadrant", "Q-2", "all", "0401", 5, 125.0, 30.0, 46.0, 300.0, 460.0, None, None, S, S, 40),
    ("quadrant", "Q-2", "medical_emergency", None, 5, 125.0, 30.0, 46.0, 300.0, 460.0, None, None, S, S, 40),
    ("quadrant", "Q-2", "robbery", "0401", 0, 0.0, None, None, None, None, None, None, 0, 0, 0),
    # B-1's 12 sirens are withheld: Q-1's 13 minus them would give B-2's 1.
    ("block", "B-1", "all", "0401", 6, 200.0, 135.0, 195.0, 450.0, 570.0, None, None, S, X, 60),
    ("block", "B-1", "medical_emergency", None, 0, 0.0, None, None, None, None, None, None, 0, 0, 0),
    ("block", "B-1", "robbery", "0401", 6, 200.0, 135.0, 195.0, 450.0, 570.0, None, None, S, X, 60),
    ("block", "B-2", "all", "0401", 2, 66.67, None, None, None, None, None, None, S, S, 22),
    ("block", "B-2", "medical_emergency", None, 0, 0.0, None, None, None, None, None, None, 0, 0, 0),
    ("block", "B-2", "robbery", "0401", 2, 66.67, None, None, None, None, None, None, S, S, 22),
    ("block", "B-3", "all", "0401", 5, 125.0, 30.0, 46.0, 300.0, 460.0, None, None, S, S, 40),
    ("block", "B-3", "medical_emergency", None, 5, 125.0, 30.0, 46.0, 300.0, 460.0, None, None, S, S, 40),
    ("block", "B-3", "robbery", "0401", 0, 0.0, None, None, None, None, None, None, 0, 0, 0),
]


def test_a_day_of_alerts_gives_exactly_the_rows_worked_out_by_hand():
    result = compute_day(date(2026, 3, 10), busy_tuesday(), tiny_frame())

    got = [tuple(row.published[c] for c in COLUMNS[1:16]) for row in result.rows]
    assert got == EXPECTED
    assert {row.published["date"] for row in result.rows} == {"2026-03-10"}
    assert (result.alerts_read, len(result.alerts), result.outside_window) == (18, 17, 1)
    assert result.window.hours == 24


def test_silent_alerts_are_in_no_row_of_the_day_and_kept_exactly_for_the_month():
    result = compute_day(date(2026, 3, 10), busy_tuesday(), tiny_frame())

    assert all(r.type != "domestic_violence" for r in result.rows)
    assert [r.published["iccs"] for r in result.rows if r.type == "all"] == ["0401"] * 6  # no 02011 in `all`
    assert [(r.zone, r.type, r.stats.count, r.listed) for r in result.sealed] == [
        ("city", "domestic_violence", 4, False)  # stored exactly, published never as a day
    ]


# ---------------------------------------------------------------- DST
def santiago_rows(day: date, alerts: list[AlertFacts]) -> dict[tuple[str, str], dict[str, Any]]:
    result = compute_day(day, alerts, tiny_frame("America/Santiago"))
    return {(r.zone, r.type): dict(r.published) for r in result.rows}


def test_the_night_the_clocks_go_back_is_a_25_hour_day_and_its_last_hour_counts():
    # Chile leaves summer time at 24:00 on Saturday 2026-04-04: 23:00-24:00 happens twice, and the
    # second time (03:00-04:00 UTC) is still the 4th. A "24 hours from midnight" day would lose it.
    day = Day()
    for at, response in [
        ("2026-04-04T03:10:00", 300),  # 00:10 local (UTC-3)
        ("2026-04-04T15:00:00", 400),
        ("2026-04-05T02:30:00", 200),  # 23:30 local, the first time
        ("2026-04-05T03:30:00", 500),  # 23:30 local, the second time (UTC-4)
        ("2026-04-05T03:59:59", 600),  # the last second of the 25-hour day
        ("2026-04-05T04:00:00", 100),  # 00:00 on Sunday the 5th: not the 4th
        ("2026-04-04T02:59:59", 100),  # 23:59:59 on Friday the 3rd: not the 4th
    ]:
        day.add("robbery", "B-1", "Q-1", utc(at), dispatch_s=60, response_s=response, sirens=1, messages=20)
    result = compute_day(date(2026, 4, 4), day.alerts, tiny_frame("America/Santiago"))

    assert result.window.hours == 25
    assert (result.window.start, result.window.end) == (
        utc("2026-04-04T03:00:00"),
        utc("2026-04-05T04:00:00"),
    )
    rows = {(r.zone, r.type): r.published for r in result.rows}
    # 5 robberies on B-1: 300, 400, 200, 500, 600 s → median 400, p90 at rank 3.6 → 500 + .6·100
    assert rows[("city", "robbery")]["count"] == 5
    assert rows[("city", "robbery")]["response_time_median_s"] == 400.0
    assert rows[("city", "robbery")]["response_time_p90_s"] == 560.0
    assert rows[("city", "robbery")]["neighbour_messages"] == 100
    assert result.outside_window == 2


def test_the_night_the_clocks_go_forward_is_a_23_hour_day():
    # Chile starts summer time at 24:00 on Saturday 2026-09-05: Sunday the 6th begins at 01:00 (UTC-3).
    day = Day()
    for at in ["2026-09-06T04:00:00", "2026-09-06T12:00:00", "2026-09-07T02:59:59", "2026-09-07T03:00:00"]:
        day.add("robbery", "B-3", "Q-2", utc(at), dispatch_s=60, response_s=300)
    result = compute_day(date(2026, 9, 6), day.alerts, tiny_frame("America/Santiago"))

    assert result.window.hours == 23
    assert len(result.alerts) == 3  # 03:00 UTC on the 7th is already 00:00 on the 7th
    assert result.outside_window == 1


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        ("2026-04-05T07:00:00", date(2026, 4, 4)),  # 03:00 local on the 5th, after the clocks went back
        ("2026-09-06T06:00:00", date(2026, 9, 5)),  # 03:00 local on the 6th, after they went forward
        ("2026-04-05T03:30:00", date(2026, 4, 3)),  # still 23:30 on the 4th (the repeated hour)
    ],
)
def test_the_nightly_run_computes_the_previous_local_day_across_dst_changes(now: str, expected: date):
    assert previous_local_day(datetime.fromisoformat(now + "+00:00"), "America/Santiago") == expected


def test_durations_come_from_the_record_or_else_from_the_lifecycle_timestamps():
    created = utc("2026-03-10T15:00:00")
    stored = alert_facts(
        alert_item(1, "robbery", "B-1", "Q-1", created, dispatch_s=90, response_s=500, stored_durations=True)
        | {"dispatch_time_s": 95, "response_time_s": 410, "met_target": True},
        response_target_s=420,
    )
    derived = alert_facts(
        alert_item(2, "robbery", "B-1", "Q-1", created, dispatch_s=90, response_s=500), response_target_s=420
    )
    never = alert_facts(
        alert_item(3, "robbery", "B-1", "Q-1", created, status="received"), response_target_s=420
    )

    assert stored is not None
    assert derived is not None
    assert never is not None
    assert (stored.dispatch_time_s, stored.response_time_s, stored.met_target) == (95, 410, True)
    assert (derived.dispatch_time_s, derived.response_time_s, derived.met_target) == (90, 500, False)
    assert (never.dispatch_time_s, never.response_time_s, never.met_target) == (None, None, None)
