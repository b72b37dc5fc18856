"""Daylight saving where it bites: Santiago's 25-hour night (2026-04-04) and 23-hour night (2026-09-06).

The nightly indicators at 03:00, the local day's window, a patrol hour and the weekly run, all on the
domain code (no stack). America/Santiago changes its clocks at local midnight, so the very first instant
of a date moves: 00:00 on 2026-09-06 never happens (the day starts at 01:00 -03), and 23:00-24:00 on
2026-04-04 happens twice (-03, then -04).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from infra.local.engine.schedules import parse as local_schedule
from infra.local.engine.template import load_template
from tests.unit.indicators_fixtures import alert_item, tiny_frame, utc
from tests.unit.test_indicators_service import Alerts, Sink, Store
from vigia import clock
from vigia.city import CityPack, load_city_pack
from vigia.hotspots import AlertSample, as_of, lookback_dates, score_for_date
from vigia.hotspots.scoring import ScoringRules
from vigia.indicators import service
from vigia.indicators.days import day_window, days_between
from vigia.indicators.facts import AlertFacts, alert_facts
from vigia.patrol.duty import RosterUnit, ShiftTimes, duties_from_roster
from vigia.patrol.exports import to_csv, to_ics
from vigia.patrol.planning import plan_day
from vigia.patrol.schedule import PatrolRules, Schedule, local_iso, slots
from vigia.patrol.service import next_week, today, weekly

ROOT = Path(__file__).resolve().parents[2]
SANTIAGO = "America/Santiago"
ZONE = ZoneInfo(SANTIAGO)
HOUR = timedelta(hours=1)
LONG_DAY = date(2026, 4, 4)  # clocks go back at 24:00 (00:00 -03 on the 5th is 23:00 -04 on the 4th)
SHORT_DAY = date(2026, 9, 6)  # clocks go forward at 00:00 (-04), straight to 01:00 (-03)
APRIL = days_between(date(2026, 3, 30), date(2026, 4, 10))
SEPTEMBER = days_between(date(2026, 9, 1), date(2026, 9, 12))


@pytest.fixture(scope="module")
def penalolen() -> CityPack:
    return load_city_pack(ROOT / "infra" / "cities" / "penalolen", ROOT / "schemas" / "city.schema.json")


def offset_changes(year: int, zone_name: str) -> list[tuple[datetime, timedelta, timedelta]]:
    """Every instant of `year` (to the quarter hour) at which the zone's UTC offset changes."""
    zone = ZoneInfo(zone_name)
    changes = []
    t = datetime(year, 1, 1, tzinfo=UTC)
    before = t.astimezone(zone).utcoffset()
    while t.year == year:
        after = t.astimezone(zone).utcoffset()
        if after != before:
            assert before is not None
            assert after is not None
            changes.append((t, before, after))
        before = after
        t += timedelta(minutes=15)
    return changes


def test_santiago_changes_its_clocks_at_local_midnight_on_the_dates_these_tests_use():
    # The tests below are about these two nights; the time-zone data says when they are.
    assert offset_changes(2026, SANTIAGO) == [
        (utc("2026-04-05T03:00:00"), timedelta(hours=-3), timedelta(hours=-4)),
        (utc("2026-09-06T04:00:00"), timedelta(hours=-4), timedelta(hours=-3)),
    ]
    # Mendoza (Godoy Cruz) has none: the same code must not care
    assert offset_changes(2026, "America/Argentina/Mendoza") == []


# ---------------------------------------------------------------- the indicators' local day
@pytest.mark.parametrize("day", APRIL + SEPTEMBER, ids=str)
def test_a_local_day_is_local_midnight_to_the_next_local_midnight_in_utc(day: date):
    window = day_window(day, SANTIAGO)
    following = day_window(day + timedelta(days=1), SANTIAGO)

    assert window.hours == {LONG_DAY: 25, SHORT_DAY: 23}.get(day, 24)
    assert window.end == following.start  # days tile time: no gap, no overlap
    assert window.start.astimezone(ZONE).date() == day  # its first instant is on the date
    assert (window.start - timedelta(microseconds=1)).astimezone(ZONE).date() == day - timedelta(days=1)


def test_the_two_changing_days_start_and_end_where_the_clocks_say():
    long, short = day_window(LONG_DAY, SANTIAGO), day_window(SHORT_DAY, SANTIAGO)
    assert (long.start, long.end) == (utc("2026-04-04T03:00:00"), utc("2026-04-05T04:00:00"))
    assert (short.start, short.end) == (utc("2026-09-06T04:00:00"), utc("2026-09-07T03:00:00"))
    # the short day's first instant reads 01:00: there is no 00:00 on 2026-09-06 in Santiago
    assert local_iso(short.start, ZONE) == "2026-09-06T01:00:00-03:00"


def instants_near_the_changes() -> Iterator[datetime]:
    """Every 10 minutes over the two days either side of each change, and a second either side of every
    local midnight there."""
    spans = [
        (utc("2026-04-03T00:00:00"), utc("2026-04-07T00:00:00")),
        (utc("2026-09-04T00:00:00"), utc("2026-09-08T00:00:00")),
    ]
    for first, last in spans:
        t = first
        while t < last:
            yield t
            t += timedelta(minutes=10)
    for day in [
        *days_between(date(2026, 4, 3), date(2026, 4, 6)),
        *days_between(date(2026, 9, 4), date(2026, 9, 7)),
    ]:
        edge = day_window(day, SANTIAGO).start
        yield from (edge - timedelta(seconds=1), edge, edge + timedelta(seconds=1))


def test_no_instant_near_a_change_falls_in_two_local_days_or_in_none():
    windows = [day_window(d, SANTIAGO) for d in APRIL + SEPTEMBER]
    checked = 0
    for instant in instants_near_the_changes():
        holding = [w.day for w in windows if w.contains(instant)]
        # exactly one day holds it, and it is the date intake files the alert under (`local_date`)
        assert holding == [date.fromisoformat(clock.local_date(instant, SANTIAGO))], instant
        checked += 1
    assert checked == 2 * 4 * 24 * 6 + 8 * 3


def three_in_the_morning(days: Iterable[date]) -> list[datetime]:
    """When `cron(0 3 * * ? *)` in America/Santiago fires on each date (03:00 exists once every day)."""
    fires = []
    for day in days:
        first = datetime.combine(day, time(3), ZONE)
        assert first.astimezone(UTC) == first.replace(fold=1).astimezone(UTC)  # neither skipped nor twice
        fires.append(first.astimezone(UTC))
    return fires


def alerts_every_20_minutes(first: datetime, last: datetime) -> dict[date, list[AlertFacts]]:
    """A robbery every 20 minutes in [first, last), each filed under its local date as intake files it."""
    by_day: dict[date, list[AlertFacts]] = defaultdict(list)
    t, n = first, 0
    while t < last:
        n += 1
        facts = alert_facts(alert_item(n, "robbery", "B-1", "Q-1", t), response_target_s=420)
        assert facts is not None
        by_day[date.fromisoformat(clock.local_date(t, SANTIAGO))].append(facts)
        t += timedelta(minutes=20)
    return by_day


@pytest.mark.parametrize(
    ("first_run", "last_run", "changing_day", "alerts_that_day"),
    [
        (date(2026, 4, 2), date(2026, 4, 7), LONG_DAY, 75),  # 25 hours × 3
        (date(2026, 9, 3), date(2026, 9, 9), SHORT_DAY, 69),  # 23 hours × 3
    ],
)
def test_the_nightly_runs_at_three_publish_each_local_day_once_with_every_alert_it_had(
    first_run: date, last_run: date, changing_day: date, alerts_that_day: int
):
    # Given a robbery every 20 minutes through the change, each filed under its local date
    first_day, last_day = first_run - timedelta(days=1), last_run - timedelta(days=1)
    by_day = alerts_every_20_minutes(
        day_window(first_day, SANTIAGO).start, day_window(last_day, SANTIAGO).end
    )
    store, sink, alerts = Store(last=first_day - timedelta(days=1)), Sink(), Alerts(by_day)

    # When the schedule fires at 03:00 city time every night
    computed = []
    for now in three_in_the_morning(days_between(first_run, last_run)):
        reports = service.nightly(
            now, frame=tiny_frame(SANTIAGO), alerts=alerts, patrol=None, store=store, sink=sink, max_days=366
        )
        computed.append([r.date for r in reports])
        assert all(r.outside_window == 0 for r in reports)

    # Then each night publishes exactly the day before it, and every alert is counted in one day
    assert computed == [[d.isoformat()] for d in days_between(first_day, last_day)]
    city_all = {
        day: next(r.published["count"] for r in rows if (r.zone, r.type) == ("city", "all"))
        for day, rows in store.rows.items()
    }
    assert city_all[changing_day.isoformat()] == alerts_that_day
    assert sum(city_all.values()) == sum(len(v) for v in by_day.values())
    assert {d: c for d, c in city_all.items() if d != changing_day.isoformat()} == {
        d.isoformat(): 72 for d in days_between(first_day, last_day) if d != changing_day
    }


# ---------------------------------------------------------------- hot spots look back over whole local days
@pytest.mark.parametrize(
    "day",
    [
        date(2026, 4, 4),
        date(2026, 4, 5),
        date(2026, 5, 3),
        date(2026, 9, 6),
        date(2026, 9, 7),
        date(2026, 10, 4),
    ],
    ids=str,
)
def test_the_hot_spot_window_holds_exactly_the_alerts_of_its_lookback_dates(day: date):
    # 2026-05-03 and 2026-10-04 look back to a window that starts on a changing night
    rules = ScoringRules(severity={"robbery": 1.0})
    start, end = rules.window(as_of(day, SANTIAGO))
    dates = set(lookback_dates(day, rules.lookback_days))
    first, last = day_window(date.fromisoformat(min(dates)), SANTIAGO), day_window(day, SANTIAGO)
    near_the_edges = [
        edge + timedelta(minutes=m) for edge in (first.start, last.start) for m in range(-180, 181, 10)
    ] + [edge + timedelta(seconds=s) for edge in (first.start, last.start) for s in (-1, 1)]
    for moment in [*instants_near_the_changes(), *near_the_edges]:
        filed = clock.local_date(moment, SANTIAGO)
        assert (start <= moment < end) == (filed in dates), moment


# ---------------------------------------------------------------- a patrol hour is a real hour
ROUND_THE_CLOCK = [RosterUnit("U1", "C-181", (ShiftTimes(time(0), time(0)),))]


@pytest.mark.parametrize(
    ("day", "stops"),
    [
        (date(2026, 4, 3), 24),
        (LONG_DAY, 25),
        (date(2026, 4, 5), 24),
        (date(2026, 9, 5), 24),
        (SHORT_DAY, 23),
        (date(2026, 9, 7), 24),
    ],
    ids=str,
)
def test_a_car_on_duty_all_day_gets_one_stop_per_real_hour_of_the_local_day(day: date, stops: int):
    (duty,) = duties_from_roster(ROUND_THE_CLOCK, day, ZONE)
    starts = slots(duty, PatrolRules(fixed_point_min=15, patrol_min=45, no_return_hours=2))
    window = day_window(day, SANTIAGO)

    assert len(starts) == stops
    assert (starts[0], starts[-1] + HOUR) == (window.start, window.end)
    assert all(b - a == HOUR for a, b in pairwise(starts))


def stop_clocks(day: date) -> list[str]:
    """The local clock time and offset of each stop of a car on duty all day."""
    (duty,) = duties_from_roster(ROUND_THE_CLOCK, day, ZONE)
    return [local_iso(s, ZONE)[11:] for s in slots(duty, PatrolRules(15, 45, 2))]


def test_the_repeated_hour_gets_its_own_stop_and_the_skipped_hour_none():
    assert stop_clocks(LONG_DAY)[-3:] == ["22:00:00-03:00", "23:00:00-03:00", "23:00:00-04:00"]
    assert stop_clocks(SHORT_DAY)[:2] == ["01:00:00-03:00", "02:00:00-03:00"]


def no_alerts(_local_date: str) -> list[AlertSample]:
    return []


def planned(pack: CityPack, day: date) -> Schedule:
    return plan_day(
        day,
        pack,
        score_for_date(day, pack, no_alerts),
        seed=2026,
        units=None,
        generated_at=datetime(2026, 3, 1, tzinfo=UTC),
    )


def hour_runs(starts: list[datetime]) -> list[int]:
    """Lengths of the runs of stops one real hour apart (a shift, across midnight when it runs past it)."""
    runs = [1]
    for a, b in pairwise(starts):
        if b - a == HOUR:
            runs[-1] += 1
        else:
            runs.append(1)
    return runs


@pytest.mark.parametrize(
    ("days", "night_car_runs"),
    [
        # 15:00-23:00 + 23:00-07:00: 16 real hours a night; 17 through the long night, 15 through the short
        (days_between(date(2026, 4, 3), date(2026, 4, 6)), [7, 16, 17, 16, 9]),
        (days_between(date(2026, 9, 5), date(2026, 9, 8)), [7, 15, 16, 16, 9]),
    ],
    ids=["april", "september"],
)
def test_penalolens_night_cars_stand_at_a_fixed_point_every_real_hour_of_the_changing_night(
    penalolen: CityPack, days: list[date], night_car_runs: list[int]
):
    stops: dict[str, list[datetime]] = defaultdict(list)
    for day in days:
        window = day_window(day, SANTIAGO)
        for unit in planned(penalolen, day).units:
            assert all(window.contains(s.start) for s in unit.stops)  # a date's schedule stays in its date
            stops[unit.unit_id].extend(s.start for s in unit.stops)

    night_cars = [u for u in penalolen.units.values() if any(s.start == time(23) for s in u.shifts)]
    day_cars = [u for u in penalolen.units.values() if u not in night_cars]
    assert night_cars
    assert day_cars
    for unit in night_cars:
        starts = stops[unit.unit_id]
        assert len(set(starts)) == len(starts)  # no hour in two dates' schedules
        assert hour_runs(starts) == night_car_runs
    for unit in day_cars:  # 07:00-23:00 never meets the change
        assert hour_runs(stops[unit.unit_id]) == [16] * len(days)


# ---------------------------------------------------------------- the weekly run, in the city's time zone
def test_the_template_runs_the_weekly_and_nightly_schedules_on_the_citys_clock():
    resources = load_template()["Resources"]
    weekly_event = resources["PatrolScheduleFunction"]["Properties"]["Events"]["Weekly"]["Properties"]
    nightly_event = resources["NightlyIndicatorsFunction"]["Properties"]["Events"]["Nightly"]["Properties"]
    assert (weekly_event["ScheduleExpression"], weekly_event["ScheduleExpressionTimezone"]) == (
        "cron(0 12 ? * FRI *)",
        {"Ref": "CityTimeZone"},
    )
    assert (nightly_event["ScheduleExpression"], nightly_event["ScheduleExpressionTimezone"]) == (
        "cron(0 3 * * ? *)",
        {"Ref": "CityTimeZone"},
    )


class Schedules:
    """PatrolStore's schedule half, in memory."""

    def __init__(self) -> None:
        self.saved: dict[str, Schedule] = {}

    def save_schedule(self, schedule: Schedule, *, replace: bool) -> bool:
        if schedule.date in self.saved and not replace:
            return False
        self.saved[schedule.date] = schedule
        return True


class NoHistory:
    def on_date(self, local_date: str) -> list[AlertSample]:
        return []


@pytest.mark.parametrize(
    ("friday", "monday", "stops_of_a_night_car"),
    [
        (date(2026, 3, 27), date(2026, 3, 30), [16, 16, 16, 16, 16, 17, 16]),  # the long night is Saturday
        (date(2026, 9, 4), date(2026, 9, 7), [16] * 7),
        (date(2026, 8, 28), date(2026, 8, 31), [16, 16, 16, 16, 16, 16, 15]),  # the short day is Sunday
    ],
    ids=str,
)
def test_the_weekly_run_at_friday_noon_city_time_plans_the_next_monday_to_sunday(
    penalolen: CityPack, friday: date, monday: date, stops_of_a_night_car: list[int]
):
    # EventBridge Scheduler fires cron(0 12 ? * FRI *) at 12:00 in America/Santiago
    now = datetime.combine(friday, time(12), ZONE).astimezone(UTC)
    store = Schedules()

    result = weekly(
        start=next_week(today(penalolen, now)),
        days=7,
        pack=penalolen,
        history=NoHistory(),
        store=store,
        now=now,
    )

    week = days_between(monday, monday + timedelta(days=6))
    assert result["generated"] == [d.isoformat() for d in week]
    night_car = [store.saved[d.isoformat()].unit("SP-02") for d in week]
    assert [len(u.stops) if u else 0 for u in night_car] == stops_of_a_night_car


def test_the_long_nights_csv_and_calendar_tell_the_two_23_oclocks_apart(penalolen: CityPack):
    schedule = planned(penalolen, LONG_DAY).only("SP-02")

    rows = list(csv.DictReader(io.StringIO(to_csv(schedule))))
    starts = [r["start"] for r in rows]
    assert len(rows) == 17
    assert [s for s in starts if "T23:" in s] == ["2026-04-04T23:00:00-03:00", "2026-04-04T23:00:00-04:00"]

    calendar = to_ics(schedule, city_id=penalolen.city_id, locale=penalolen.locale)
    events = [line.split(":", 1)[1] for line in calendar.split("\r\n") if line.startswith("DTSTART:")]
    uids = [line for line in calendar.split("\r\n") if line.startswith("UID:")]
    assert len(events) == len(set(events)) == len(set(uids)) == 17
    assert {"20260405T020000Z", "20260405T030000Z"} <= set(events)  # 23:00 -03, then 23:00 -04


# ---------------------------------------------------------------- the local stack's scheduler, same clock
@pytest.mark.parametrize(
    ("first", "last"), [(date(2026, 4, 3), date(2026, 4, 8)), (date(2026, 9, 4), date(2026, 9, 9))], ids=str
)
def test_the_local_scheduler_fires_the_nightly_cron_at_three_city_time_through_a_change(
    first: date, last: date
):
    nightly = local_schedule("cron(0 3 * * ? *)", SANTIAGO)
    fired: list[datetime] = []
    t: datetime | None = day_window(first, SANTIAGO).start
    for _ in days_between(first, last):
        assert t is not None
        t = nightly.next_after(t)
        assert t is not None
        fired.append(t.astimezone(UTC))
    assert fired == three_in_the_morning(days_between(first, last))


def test_the_local_scheduler_never_answers_a_time_already_past_in_the_repeated_hour():
    # 03:10 UTC on 2026-04-05 is 23:10 on the 4th for the second time (-04); 23:30 of the first time
    # (-03, 02:30 UTC) is 40 minutes gone
    at_half_past_eleven = local_schedule("cron(30 23 * * ? *)", SANTIAGO)
    moment = utc("2026-04-05T03:10:00")

    following = at_half_past_eleven.next_after(moment)

    assert following is not None
    assert following > moment
    assert local_iso(following, ZONE)[11:16] == "23:30"
