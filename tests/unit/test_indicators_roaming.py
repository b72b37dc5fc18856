"""Roaming alerts in the observatory (issue 15, "Both observatories stay honest").

A resident's alert forwarded to a partner city (stored at home with `roaming`, no block, a point in the
partner city) happened there: the home counts it only as `raised_abroad` on its city rows. A visitor's
alert (stored at the host with `visitor`) happened here: the host counts it where it happened, like any
other, and says how many were visitors in `visitors`. Summing two cities' city rows counts it once.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema

from tests.unit.indicators_fixtures import alert_item, tiny_frame, utc
from vigia.adapters.dynamodb.alerts import sample
from vigia.indicators.exports import to_csv, to_feed, to_json
from vigia.indicators.facts import AlertFacts, alert_facts
from vigia.indicators.table import DayIndicators, compute_day

DAY = date(2026, 3, 10)
NOON = utc("2026-03-10T15:00:00")
SANTIAGO = {"lat": -33.48, "lon": -70.55}  # Peñalolén: outside the home city's every block and quadrant


def forwarded(n: int, type_: str = "robbery", status: str = "delivered") -> dict[str, Any]:
    item = alert_item(n, type_, None, None, NOON, status="received")
    item["location"] = SANTIAGO
    item["lat"], item["lon"] = SANTIAGO["lat"], SANTIAGO["lon"]
    item["roaming"] = {"partner": "penalolen", "status": status}
    return item


def visitor(n: int, block: str = "B-1", type_: str = "robbery") -> dict[str, Any]:
    item = alert_item(n, type_, block, "Q-1", NOON, dispatch_s=60, response_s=300)
    item["sender_id"] = f"visitor#godoy-cruz#G{n:03d}"
    item["visitor"] = {"partner": "godoy-cruz", "remote_id": f"G{n:03d}", "caller_name": "Ana"}
    return item


def facts(items: list[dict[str, Any]]) -> list[AlertFacts]:
    out = [alert_facts(i, response_target_s=420) for i in items]
    assert all(f is not None for f in out)
    return [f for f in out if f is not None]


def row(day: DayIndicators, zone: str, type_: str) -> dict[str, Any]:
    return dict(next(r.published for r in day.rows if r.zone == zone and r.type == type_))


def test_a_forwarded_alert_is_not_in_the_homes_ordinary_counts_but_raised_abroad_on_its_city_rows() -> None:
    home = compute_day(DAY, facts([forwarded(n) for n in range(1, 6)]), tiny_frame())
    for zone in ("city", "Q-1", "Q-2"):
        for type_ in ("all", "robbery"):
            r = row(home, zone, type_)
            assert r["count"] == 0, (zone, type_, r)
            assert r["rate_per_100k"] == 0.0
            assert r["response_time_median_s"] is None
            assert r["cancellations"] == 0
    assert row(home, "city", "all")["raised_abroad"] == 5
    assert row(home, "city", "robbery")["raised_abroad"] == 5
    assert row(home, "city", "medical_emergency")["raised_abroad"] == 0
    assert row(home, "Q-1", "all")["raised_abroad"] is None  # it happened in no quadrant of ours
    assert all(r.zone_level != "block" for r in home.rows)  # no block of ours saw it
    assert json.loads(to_feed(home, tiny_frame()))["alerts"] == []  # the home's feed does not list it


def test_a_visitor_alert_is_counted_where_it_happened_and_in_visitors() -> None:
    host = compute_day(
        DAY,
        facts([visitor(n) for n in range(1, 6)] + [alert_item(9, "robbery", "B-1", "Q-1", NOON)]),
        tiny_frame(),
    )
    for zone in ("city", "Q-1", "B-1"):
        r = row(host, zone, "robbery")
        assert r["count"] == 6, (zone, r)
        assert r["visitors"] == 5, (zone, r)
        assert row(host, zone, "all")["visitors"] == 5
    assert row(host, "city", "all")["raised_abroad"] == 0  # none of the host's own residents roamed
    assert row(host, "Q-2", "robbery")["visitors"] == 0
    assert row(host, "city", "robbery")["response_time_median_s"] == 300.0  # its police responded
    assert len(json.loads(to_feed(host, tiny_frame()))["alerts"]) == 6


def test_summing_two_cities_city_rows_counts_one_roaming_alert_once() -> None:
    home = compute_day(DAY, facts([forwarded(1)]), tiny_frame())
    host = compute_day(DAY, facts([visitor(1)]), tiny_frame())
    both = [row(home, "city", "all"), row(host, "city", "all")]
    assert sum(r["count"] for r in both) == 1
    # One alert, a small cell on either side: held back on both, never published as 1.
    assert row(home, "city", "all")["raised_abroad"] == "<5"
    assert row(host, "city", "all")["visitors"] == "<5"
    assert row(host, "B-1", "robbery")["visitors"] == "<5"


def test_held_back_visitors_cannot_be_subtracted_out_of_the_published_ones() -> None:
    # B-1 has 5 visitors (published), B-2 one (held back): Q-1 = B-1 + B-2 would give B-2 back.
    items = [visitor(n, "B-1") for n in range(1, 6)] + [visitor(6, "B-2")]
    host = compute_day(DAY, facts(items), tiny_frame())
    assert row(host, "B-2", "robbery")["visitors"] == "<5"
    published = {zone: row(host, zone, "robbery")["visitors"] for zone in ("B-1", "Q-1", "city")}
    # The attacker's subtraction B-2 = Q-1 - B-1 (or city - Q-2 - B-1) needs both published exactly.
    assert not (isinstance(published["Q-1"], int) and isinstance(published["B-1"], int)), published
    assert published["B-1"] == "x"


def test_the_files_carry_the_new_columns_after_the_old_ones_and_match_their_schema() -> None:
    frame = tiny_frame()
    day = compute_day(DAY, facts([forwarded(1), visitor(2)]), frame)
    header = next(csv.reader(io.StringIO(to_csv(day).decode())))
    assert header[-2:] == ["raised_abroad", "visitors"]
    assert header[:5] == ["date", "zone_level", "zone", "type", "iccs"]
    document = json.loads(to_json(day, frame))
    schema = json.loads(Path("schemas/exports/indicators.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(document)


def test_the_hot_spot_sample_skips_a_forwarded_alert() -> None:
    assert sample(forwarded(1)) is None  # its point is in the partner city
    counted = sample(visitor(2))
    assert counted is not None
    assert counted.alert_id == "A002"


def test_a_week_shows_raised_abroad_only_when_every_night_under_it_did() -> None:
    from tests.unit.test_indicators_service import NOW, Sink, Store
    from vigia.indicators import service

    frame = tiny_frame()

    class Days:
        def __init__(self, by_day: dict[date, list[AlertFacts]]) -> None:
            self.by_day = by_day

        def alerts_on(self, day: date) -> service.DayRead:
            return service.DayRead(self.by_day.get(day, []), len(self.by_day.get(day, [])))

    def week(by_day: dict[date, list[AlertFacts]]) -> dict[str, Any]:
        store = Store()
        for day in by_day:
            service.run_day(
                day,
                frame=frame,
                alerts=Days(by_day),
                patrol=None,
                store=store,
                sink=Sink(),
                source="t",
                now=NOW,
            )
        city = service.summary({"period": "week", "date": "2026-03-10"}, frame=frame, store=store, now=NOW)
        quadrant = service.summary(
            {"period": "week", "date": "2026-03-10", "zone": "Q-1"}, frame=frame, store=store, now=NOW
        )
        return {
            "city": {i["type"]: i for i in city["items"]},
            "Q-1": {i["type"]: i for i in quadrant["items"]},
        }

    def abroad(day: date, n: int, first: int) -> list[AlertFacts]:
        return facts(
            [{**forwarded(first + k), "created_at": f"{day.isoformat()}T15:00:00Z"} for k in range(n)]
        )

    tue, wed = date(2026, 3, 10), date(2026, 3, 11)
    exact = week({tue: abroad(tue, 5, 1), wed: abroad(wed, 6, 10)})
    assert exact["city"]["all"]["raised_abroad"] == 11
    assert exact["city"]["robbery"]["raised_abroad"] == 11
    assert exact["city"]["all"]["count"] == 0
    assert exact["Q-1"]["all"]["raised_abroad"] is None
    # One night held its one back ("<5"): the week would give it back as week minus the other night.
    held = week({tue: abroad(tue, 5, 1), wed: abroad(wed, 1, 10)})
    assert held["city"]["all"]["raised_abroad"] == "x"
