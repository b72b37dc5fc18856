"""The nightly job and the indicator routes on in-memory fakes: catch-up, run requests, paging, summaries."""

from __future__ import annotations

import json
import random
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from tests.unit.indicators_fixtures import alert_item, tiny_frame, utc
from tests.unit.test_indicators_golden import busy_tuesday
from vigia.errors import IdempotencyKeyReused, InvalidRequest, Unprocessable
from vigia.indicators import service
from vigia.indicators.days import catch_up_days
from vigia.indicators.facts import AlertFacts, alert_facts
from vigia.indicators.service import DayRead, StoredCell
from vigia.indicators.table import Row, compute_day

FRAME = tiny_frame()
NOW = utc("2026-03-12T06:00:00")  # 03:00 in Mendoza on the 12th: yesterday is the 11th


class Alerts:
    def __init__(self, by_day: Mapping[date, list[AlertFacts]]) -> None:
        self.by_day = by_day
        self.read: list[date] = []

    def alerts_on(self, day: date) -> DayRead:
        self.read.append(day)
        found = self.by_day.get(day, [])
        return DayRead(list(found), len(found))


class Store:
    def __init__(self, last: date | None = None) -> None:
        self.rows: dict[str, list[Row]] = {}
        self.runs: dict[str, Mapping[str, Any]] = {}
        self.last = last

    def replace_day(self, day: str, rows: Sequence[Row], run: Mapping[str, Any]) -> None:
        self.rows[day], self.runs[day] = list(rows), run

    def published(self, day: str, *, zone: str | None, type_: str | None) -> list[dict[str, Any]]:
        return [
            dict(r.published)
            for r in reversed(self.rows.get(day, []))  # any order: the service sorts
            if r.listed and (zone is None or r.zone == zone) and (type_ is None or r.type == type_)
        ]

    def cells(self, day: str, zone: str) -> list[StoredCell]:
        return [
            StoredCell(r.zone_level, r.zone, r.type, r.stats, r.published, r.listed)
            for r in self.rows.get(day, [])
            if r.zone == zone
        ]

    def run_record(self, day: str) -> dict[str, Any] | None:
        return dict(self.runs[day]) if day in self.runs else None

    def last_completed(self) -> date | None:
        return self.last

    def mark_completed(self, day: date, at: str) -> None:
        self.last = max(day, self.last) if self.last else day


class Sink:
    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    def put(self, key: str, body: bytes, content_type: str) -> None:
        self.files[key] = body


def nightly(store: Store, alerts: Alerts, sink: Sink, has_time: Any = lambda: True) -> list[str]:
    reports = service.nightly(
        NOW, frame=FRAME, alerts=alerts, patrol=None, store=store, sink=sink, max_days=30, has_time=has_time
    )
    return [r.date for r in reports]


# ---------------------------------------------------------------- the nightly job
def test_a_missed_night_is_computed_by_the_next_one_oldest_first():
    store, alerts, sink = Store(last=date(2026, 3, 9)), Alerts({}), Sink()

    assert nightly(store, alerts, sink) == ["2026-03-10", "2026-03-11"]
    assert store.last == date(2026, 3, 11)
    assert nightly(store, alerts, sink) == []
    assert sorted(sink.files)[:3] == [
        "indicators/villa-test/2026-03-10/feed.json",
        "indicators/villa-test/2026-03-10/indicators.csv",
        "indicators/villa-test/2026-03-10/indicators.json",
    ]


def test_a_catch_up_out_of_time_stops_after_a_day_and_the_ledger_says_where():
    store, sink = Store(last=date(2026, 3, 1)), Sink()
    budget = iter([True, False])

    done = nightly(store, Alerts({}), sink, has_time=lambda: next(budget))

    assert done == ["2026-03-02", "2026-03-03"]
    assert store.last == date(2026, 3, 3)  # the next run starts on the 4th


def test_a_day_that_fails_leaves_the_ledger_on_the_last_good_day():
    class Broken(Alerts):
        def alerts_on(self, day: date) -> DayRead:
            if day == date(2026, 3, 11):
                raise RuntimeError("DynamoDB throttled")
            return super().alerts_on(day)

    store = Store(last=date(2026, 3, 9))
    with pytest.raises(RuntimeError):
        nightly(store, Broken({}), Sink())
    assert store.last == date(2026, 3, 10)


@pytest.mark.parametrize(
    ("last", "expected"),
    [
        (None, ["2026-03-11"]),  # a first deployment: yesterday only
        (date(2026, 3, 11), []),
        (date(2026, 3, 12), []),  # a ledger ahead of the clock computes nothing
        (date(2025, 1, 1), [(date(2026, 3, 11) - timedelta(days=n)).isoformat() for n in range(29, -1, -1)]),
    ],
)
def test_catch_up_days(last, expected):
    assert [d.isoformat() for d in catch_up_days(last, date(2026, 3, 11), 30)] == expected


def test_a_run_report_names_every_file_by_its_checksum_and_the_store_keeps_it():
    store, sink = Store(), Sink()
    report = service.run_day(
        date(2026, 3, 10),
        frame=FRAME,
        alerts=Alerts({date(2026, 3, 10): busy_tuesday()}),
        patrol=None,
        store=store,
        sink=sink,
        source="test",
        now=NOW,
    )

    assert (report.alerts, report.items_read, report.outside_window) == (17, 18, 1)
    assert set(report.files) == {"indicators.csv", "indicators.json", "feed.json"}
    assert store.runs["2026-03-10"]["source"] == "test"
    assert store.runs["2026-03-10"]["files"] == dict(report.files)


# ---------------------------------------------------------------- run requests
class Queue:
    def __init__(self) -> None:
        self.sent: list[tuple[str, list[str]]] = []

    def enqueue(self, run_id: str, days: Sequence[str]) -> None:
        self.sent.append((run_id, list(days)))


class Claims:
    def __init__(self) -> None:
        self.claims: dict[str, tuple[str, str]] = {}

    def claim(self, key: str, request_hash: str, resource_id: str) -> tuple[str, str] | None:
        if key in self.claims:
            return self.claims[key]
        self.claims[key] = (request_hash, resource_id)
        return None


def request(body: dict[str, Any], queue: Queue, claims: Claims, key: str | None = None, run_id: str = "R1"):
    return service.request_runs(
        body, frame=FRAME, queue=queue, claims=claims, run_id=run_id, now=NOW, idempotency_key=key
    )


def test_a_run_request_queues_each_day_once_and_a_retry_replays_it():
    queue, claims = Queue(), Claims()

    first = request({"from": "2026-03-09", "to": "2026-03-11"}, queue, claims, key="k")
    again = request({"from": "2026-03-09", "to": "2026-03-11"}, queue, claims, key="k", run_id="R2")

    assert (
        first
        == again
        == {"run_id": "R1", "status": "queued", "dates": ["2026-03-09", "2026-03-10", "2026-03-11"]}
    )
    assert queue.sent == [("R1", ["2026-03-09", "2026-03-10", "2026-03-11"])]
    with pytest.raises(IdempotencyKeyReused):
        request({"date": "2026-03-09"}, queue, claims, key="k")


@pytest.mark.parametrize(
    ("body", "error", "path"),
    [
        ({"date": "2026-03-12"}, Unprocessable, "/date"),  # today in Mendoza: not over
        ({"from": "2026-03-01", "to": "2026-03-12"}, Unprocessable, "/to"),
        ({"from": "2026-03-02", "to": "2026-03-01"}, Unprocessable, "/from"),
        ({"from": "2025-01-01", "to": "2026-03-01"}, Unprocessable, "/from"),  # over 366 days
        ({"to": "2026-03-01"}, InvalidRequest, "/from"),
        ({"date": "10/03/2026"}, InvalidRequest, "/date"),
    ],
)
def test_a_run_request_names_what_is_wrong(body, error, path):
    with pytest.raises(error) as raised:
        request(body, Queue(), Claims())
    assert [e.path for e in raised.value.errors] == [path]


# ---------------------------------------------------------------- reading
def computed_store(days: Sequence[date]) -> Store:
    store = Store()
    rng = random.Random(4)
    for day in days:
        alerts = []
        for n in range(40):
            block, quadrant = rng.choice([("B-1", "Q-1"), ("B-2", "Q-1"), ("B-3", "Q-2")])
            created = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=12, minutes=n)
            type_ = rng.choice(["robbery", "robbery", "medical_emergency", "domestic_violence"])
            item = alert_item(n, type_, block, quadrant, created, dispatch_s=60, response_s=200 + 10 * n,
                              silent=type_ == "domestic_violence")  # fmt: skip
            facts = alert_facts(item, response_target_s=420)
            assert facts is not None
            alerts.append(facts)
        result = compute_day(day, alerts, FRAME)
        store.replace_day(day.isoformat(), result.rows + result.sealed, {})
    return store


def sealed_count(store: Store, days: Sequence[str]) -> int:
    return sum(r.stats.count for d in days for r in store.rows[d] if not r.listed)


def test_pages_follow_the_exports_order_across_days_and_end_without_next():
    days = [date(2026, 3, 9), date(2026, 3, 10)]
    store = computed_store(days)
    whole = [
        dict(r.published) for day in days for r in store.rows[day.isoformat()] if r.listed
    ]  # files' order
    got, cursor = [], None
    while True:
        params = {"from": "2026-03-09", "to": "2026-03-10", "limit": "7", "cursor": cursor}
        page = service.read_indicators(params, frame=FRAME, store=store, now=NOW)
        assert len(page["items"]) <= 7
        got += page["items"]
        cursor = page.get("next")
        if cursor is None:
            break
    assert got == whole


def test_the_totals_of_a_day_are_zone_city_and_type_all():
    store = computed_store([date(2026, 3, 11)])

    page = service.read_indicators({"zone": "city", "type": "all"}, frame=FRAME, store=store, now=NOW)

    silent = sealed_count(store, ["2026-03-11"])
    assert silent > 0
    assert [(i["date"], i["zone"], i["type"], i["count"]) for i in page["items"]] == [
        ("2026-03-11", "city", "all", 40 - silent)  # `all` is every public alert; silent ones are in no day
    ]
    sealed = service.read_indicators(
        {"zone": "city", "type": "domestic_violence"}, frame=FRAME, store=store, now=NOW
    )
    assert sealed["items"] == []


def test_a_summary_merges_the_exact_figures_of_the_nights_then_suppresses():
    store = computed_store([date(2026, 3, 9), date(2026, 3, 10), date(2026, 3, 11)])

    week = service.summary({"period": "week", "date": "2026-03-10"}, frame=FRAME, store=store, now=NOW)
    month = service.summary(
        {"period": "month", "date": "2026-03-10", "zone": "Q-2"}, frame=FRAME, store=store, now=NOW
    )

    assert (week["from"], week["to"]) == ("2026-03-09", "2026-03-15")
    assert week["dates_computed"] == ["2026-03-09", "2026-03-10", "2026-03-11"]
    assert week["dates_missing"] == ["2026-03-12", "2026-03-13", "2026-03-14", "2026-03-15"]
    totals = {i["type"]: i for i in week["items"]}
    assert totals["all"]["count"] == 120 - sealed_count(store, week["dates_computed"])
    assert "domestic_violence" not in totals  # a week is never where silent alerts are counted
    assert totals["all"]["date"] == "2026-03-09/2026-03-15"
    exact = sum(
        r.stats.count for d in store.rows.values() for r in d if r.zone == "city" and r.type == "robbery"
    )
    assert totals["robbery"]["count"] == exact
    assert (month["from"], month["to"], month["zone"]) == ("2026-03-01", "2026-03-31", "Q-2")
    assert all(not isinstance(i["count"], int) or i["count"] >= 5 for i in month["items"])


def test_a_summary_of_a_block_never_shows_silent_types_and_counts_its_quiet_nights_as_computed():
    store = computed_store([date(2026, 3, 10)])
    store.replace_day("2026-03-11", compute_day(date(2026, 3, 11), [], FRAME).rows, {"source": "nightly"})

    answer = service.summary({"zone": "B-1", "date": "2026-03-10"}, frame=FRAME, store=store, now=NOW)

    assert {i["type"] for i in answer["items"]} == {"all", "robbery", "medical_emergency"}
    assert answer["dates_computed"] == ["2026-03-10", "2026-03-11"]  # no row for B-1 on the 11th: no alert


@pytest.mark.parametrize(
    ("params", "path"),
    [
        ({"zone": "nowhere"}, "/zone"),
        ({"type": "graffiti"}, "/type"),
        ({"limit": "1001"}, "/limit"),
        ({"limit": "ten"}, "/limit"),
        ({"to": "2026-03-32"}, "/to"),
    ],
)
def test_bad_reads_name_the_field(params, path):
    with pytest.raises(InvalidRequest) as raised:
        service.read_indicators(params, frame=FRAME, store=Store(), now=NOW)
    assert [e.path for e in raised.value.errors] == [path]


def test_a_cursor_no_page_starts_at_is_422_naming_it():
    with pytest.raises(Unprocessable) as raised:
        service.read_indicators({"cursor": "eyJ4Ijox"}, frame=FRAME, store=Store(), now=NOW)
    assert [e.path for e in raised.value.errors] == ["/cursor"]


def test_stored_statistics_survive_their_json_round_trip():
    result = compute_day(date(2026, 3, 10), busy_tuesday(), FRAME)
    for row in result.rows:
        assert type(row.stats).from_json(row.stats.to_json()) == row.stats
        assert json.loads(row.stats.to_json())["count"] == row.stats.count


def test_silent_alerts_are_counted_only_in_the_city_summary_of_a_whole_month_computed_every_day():
    february = [date(2026, 2, 1) + timedelta(days=n) for n in range(28)]
    store = computed_store(february)
    silent = sealed_count(store, [d.isoformat() for d in february])
    month = {"period": "month", "date": "2026-02-10"}

    whole = service.summary(month, frame=FRAME, store=store, now=NOW)
    quadrant = service.summary({**month, "zone": "Q-1"}, frame=FRAME, store=store, now=NOW)
    under_way = service.summary(month, frame=FRAME, store=store, now=utc("2026-02-20T06:00:00"))
    del store.rows["2026-02-14"], store.runs["2026-02-14"]
    one_missing = service.summary(month, frame=FRAME, store=store, now=NOW)

    items = {i["type"]: i for i in whole["items"]}
    assert items["domestic_violence"]["count"] == silent >= 5
    assert items["all"]["count"] == 28 * 40  # with the sealed type listed, `all` is every alert
    for answer in (quadrant, under_way, one_missing):
        assert "domestic_violence" not in {i["type"] for i in answer["items"]}
    assert one_missing["dates_missing"] == ["2026-02-14"]
