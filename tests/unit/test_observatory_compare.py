"""What the observatory reads, as pure logic: sources side by side and never added, the ratio between them
and its trend, small cells protected as the nightly indicators protect them, and bad parameters named."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.unit.indicators_fixtures import alert_item, tiny_frame
from vigia.errors import InvalidRequest, Unprocessable
from vigia.indicators.days import day_window
from vigia.indicators.facts import PatrolDay, alert_facts
from vigia.indicators.service import StoredCell
from vigia.indicators.suppression import Sum, determined, protect, recoverable
from vigia.indicators.table import compute_day
from vigia.observatory import service
from vigia.observatory.compare import (
    MonthAlerts,
    Record,
    compare,
    period_total,
    protect_records,
    ratio,
    slope,
)

NOW = datetime(2026, 7, 2, 12, 0, tzinfo=UTC)  # yesterday in Mendoza: 2026-07-01


def frame():
    return replace(tiny_frame(), official_code={"scheme": "INDEC", "value": "50021"})


# ---------------------------------------------------------------- side by side, never added
def test_each_source_stands_in_its_own_column_beside_the_alerts_and_none_is_added():
    # Given a month with 12 alerts, 30 police records and 7 health records
    alerts = {"2026-03": MonthAlerts("2026-03", 12, 0)}
    published = {("2026-03", "snic", "hechos"): 30, ("2026-03", "salud", "lesiones"): 7}
    series = {("snic", "hechos"): {"basis": "occurrence", "dataset_ids": ["d1"]},
              ("salud", "lesiones"): {"basis": "residence", "dataset_ids": ["d2"]}}  # fmt: skip

    # When they are compared
    answer = compare(["2026-03"], alerts, published, series)

    # Then the month shows each one as it is, side by side, and no figure is a sum of two of them
    row = answer["months"][0]
    assert row["alerts"] == 12
    values = {(c["source"], c["measure"]): c["value"] for c in row["sources"]}
    assert values == {("snic", "hechos"): 30, ("salud", "lesiones"): 7}
    numbers = {12, 30, 7} | {c["ratio"] for c in row["sources"]}
    assert not {12 + 30, 12 + 7, 30 + 7, 12 + 30 + 7} & numbers
    # and the answer says which is counted where
    bases = {(s["source"], s["basis"]) for s in answer["series"]}
    assert bases == {("vigia", "occurrence"), ("snic", "occurrence"), ("salud", "residence")}


@given(st.integers(5, 10_000), st.integers(5, 10_000), st.integers(1, 500))
def test_one_source_changes_nothing_shown_for_another(police, health, alerts):
    months = {"2026-03": MonthAlerts("2026-03", alerts, 0)}
    series = {("snic", "hechos"): {"basis": "occurrence", "dataset_ids": []},
              ("salud", "lesiones"): {"basis": "residence", "dataset_ids": []}}  # fmt: skip
    base = compare(["2026-03"], months, {("2026-03", "snic", "hechos"): police}, series)
    both = compare(
        ["2026-03"],
        months,
        {("2026-03", "snic", "hechos"): police, ("2026-03", "salud", "lesiones"): health},
        series,
    )
    police_cell = next(c for c in both["months"][0]["sources"] if c["source"] == "snic")
    assert police_cell == next(c for c in base["months"][0]["sources"] if c["source"] == "snic")
    assert police_cell["value"] == police
    assert both["months"][0]["alerts"] == alerts


# ---------------------------------------------------------------- ratio and trend
def test_the_ratio_is_records_per_alert_only_over_a_whole_month_with_both_exact():
    assert ratio(30, MonthAlerts("m", 12, 0)) == 2.5
    assert ratio(30, MonthAlerts("m", 12, 3)) is None  # three nights not computed: part of a month
    assert ratio(30, MonthAlerts("m", 0, 0)) is None
    assert ratio("<5", MonthAlerts("m", 12, 0)) is None  # computed from a held-back value: held back
    assert ratio("x", MonthAlerts("m", 12, 0)) is None
    assert ratio(None, MonthAlerts("m", 12, 0)) is None


def test_the_trend_is_the_least_squares_slope_and_each_month_shows_its_change():
    # Given ratios 1.0, 1.5, 2.0, 2.5 over four months (alerts 10; records 10, 15, 20, 25)
    months = [f"2026-0{m}" for m in range(1, 5)]
    alerts = {m: MonthAlerts(m, 10, 0) for m in months}
    published = {(m, "snic", "hechos"): 10 + 5 * i for i, m in enumerate(months)}
    answer = compare(
        months, alerts, published, {("snic", "hechos"): {"basis": "occurrence", "dataset_ids": []}}
    )
    cells = [row["sources"][0] for row in answer["months"]]
    assert [c["ratio"] for c in cells] == [1.0, 1.5, 2.0, 2.5]
    assert [c["change"] for c in cells] == [None, 0.5, 0.5, 0.5]
    assert answer["trends"] == [
        {"source": "snic", "measure": "hechos", "slope_per_month": 0.5, "months_with_ratio": 4}
    ]


def test_a_slope_needs_three_months_and_skips_months_without_a_ratio():
    assert slope([(0, 1.0), (1, 2.0)]) is None
    # months 0, 2, 3 (month 1 held back): 1, 3, 4 → slope of the fitted line 1.0
    assert slope([(0, 1.0), (2, 3.0), (3, 4.0)]) == 1.0
    assert slope([(0, 1.0), (1, 3.0), (2, 2.0)]) == 0.5


# ---------------------------------------------------------------- small cells
def _rec(zone, value, month="2026-03", kind="quadrant"):
    return Record(kind, zone, month, "snic", "hechos", value)


def test_a_small_value_is_held_back_and_the_sum_does_not_give_it_back():
    # Given the department (23) and its two quadrants (3 and 20)
    records = [_rec("50021", 23, kind="department"), _rec("Q-1", 3), _rec("Q-2", 20)]

    # When published
    shown = protect_records(records, 5, city_zone="50021", quadrants=["Q-1", "Q-2"])

    # Then Q-1 is "<5", and one more cell is withheld ("x") so that 23 - 20 cannot give it back
    assert shown[("Q-1", "2026-03", "snic", "hechos")] == "<5"
    hidden = {k[0] for k, v in shown.items() if isinstance(v, str)}
    assert len(hidden) == 2
    assert "x" in shown.values()
    # And it is exactly the nightly indicators' rule (suppression.protect) over the same sum
    values = {"50021": 23, "Q-1": 3, "Q-2": 20}
    assert hidden == protect(values, [Sum("50021", ("Q-1", "Q-2"))], 5, order=str)


@given(st.lists(st.integers(0, 40), min_size=1, max_size=5), st.integers(0, 60))
def test_no_held_back_record_can_be_subtracted_out(parts, outside):
    # Given a department of up to five quadrants (plus records outside every quadrant)
    quadrants = [f"Q-{i}" for i in range(len(parts))]
    records = [_rec(q, v) for q, v in zip(quadrants, parts, strict=True)]
    records.append(_rec("50021", sum(parts) + outside, kind="department"))
    shown = protect_records(records, 5, city_zone="50021", quadrants=quadrants)
    values = {r.zone_id: r.value for r in records}
    hidden = {k[0] for k, v in shown.items() if isinstance(v, str)}
    # Then every value below 5 is held back, and none is recoverable from the department's sum
    assert {r.zone_id for r in records if r.value < 5} <= hidden
    assert not recoverable(values, [Sum("50021", tuple(quadrants))], hidden)
    # and what is published is the value itself
    for (zone, *_), v in shown.items():
        if not isinstance(v, str):
            assert v == next(r.value for r in records if r.zone_id == zone)


def test_a_survey_estimate_is_small_when_few_answered_whatever_it_estimates():
    # Given a perception estimate of 0.62 from 40 respondents and one of 0.70 from 3
    many = Record("quadrant", "Q-1", "2026-03", "enusc", "inseguridad", 0.62, respondents=40)
    few = Record("quadrant", "Q-2", "2026-03", "enusc", "inseguridad", 0.70, respondents=3)
    shown = protect_records([many, few], 5, city_zone="50021", quadrants=["Q-1", "Q-2"])
    # Then the first is published as estimated and the second held back
    assert shown[("Q-1", "2026-03", "enusc", "inseguridad")] == 0.62
    assert shown[("Q-2", "2026-03", "enusc", "inseguridad")] == "<5"


def test_a_total_over_months_is_published_only_when_every_month_was():
    assert period_total([10, 12], 5) == 22
    assert period_total([10, "<5"], 5) == "x"  # 22 − 10 would give the month back
    assert period_total([10, "x", None], 5) == "x"
    assert period_total([None, None], 5) is None


# ---------------------------------------------------------------- reading, with the nightly's own counts
class NightlyDays:
    """The nightly indicators' stored cells of computed days (compute_day over alert items)."""

    def __init__(self, frame, items_by_day, patrol=None):
        self.cells: dict[str, list[StoredCell]] = {}
        self.asked = 0
        for day, items in items_by_day.items():
            facts = [alert_facts(i, response_target_s=420) for i in items]
            computed = compute_day(day, [f for f in facts if f], frame, patrol=(patrol or {}).get(day))
            self.cells[day.isoformat()] = [
                StoredCell(r.zone_level, r.zone, r.type, r.stats, r.published) for r in computed.rows
            ]

    def zone_cells(self, days, zones, type_):
        self.asked += 1
        return {
            (d, c.zone): c for d in days for c in self.cells.get(d, []) if c.zone in zones and c.type == type_
        }


class Records:
    def __init__(self, records):
        self.items = records

    def records(self, zone_kind, zone_id, first, last):
        return [
            r
            for r in self.items
            if (r.zone_kind, r.zone_id) == (zone_kind, zone_id) and first <= r.month <= last
        ]


def _alerts_on(day: date, block: str, quadrant: str, n: int, type_: str = "robbery", silent: bool = False):
    start = day_window(day, "America/Argentina/Mendoza").start + timedelta(hours=10)
    return [
        alert_item(i, type_, block, quadrant, start + timedelta(minutes=i), silent=silent) for i in range(n)
    ]


def _every_day(first: date, last: date):
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def test_the_zones_alerts_are_the_nightly_indicators_count_silent_ones_left_out():
    # Given March and April computed every night: 2 robberies a day in Q-1, and a silent alert in March
    f = frame()
    days = {}
    for d in _every_day(date(2026, 3, 1), date(2026, 4, 30)):
        days[d] = _alerts_on(d, "B-1", "Q-1", 2)
    days[date(2026, 3, 5)] += _alerts_on(date(2026, 3, 5), "B-1", "Q-1", 1, "domestic_violence", silent=True)
    records = Records([
        Record("quadrant", "Q-1", "2026-03", "snic", "hechos", 93, "d1", "occurrence"),
        Record("quadrant", "Q-1", "2026-04", "snic", "hechos", 30, "d1", "occurrence"),
        Record("department", "50021", "2026-03", "snic", "hechos", 120, "d1", "occurrence"),
        Record("department", "50021", "2026-04", "snic", "hechos", 60, "d1", "occurrence"),
    ])  # fmt: skip

    # When an analyst compares Q-1 over March and April
    nights = NightlyDays(f, days)
    answer = service.read_compare(
        {"zone": "Q-1", "from": "2026-03", "to": "2026-04", "measures": None},
        frame=f, days=nights, source=records, now=NOW,
    )  # fmt: skip
    assert nights.asked == 2  # one read of the nights' cells per month (a BatchGetItem of their keys)

    # Then the alerts are the nightly's counts (62 and 60; no silent alert), beside the police records
    assert [(m["month"], m["alerts"], m["days_missing"]) for m in answer["months"]] == [
        ("2026-03", 62, 0),
        ("2026-04", 60, 0),
    ]
    assert [m["sources"][0]["value"] for m in answer["months"]] == [93, 30]
    assert [m["sources"][0]["ratio"] for m in answer["months"]] == [1.5, 0.5]
    assert answer["zone"] == {"kind": "quadrant", "id": "Q-1", "name": "Norte", "population": 6000}

    # And the department (zone=city or its code) reads the city's counts beside the department's records
    for zone in ("city", "50021"):
        city = service.read_compare(
            {"zone": zone, "from": "2026-03", "to": "2026-04", "measures": "snic:hechos"},
            frame=f, days=NightlyDays(f, days), source=records, now=NOW,
        )  # fmt: skip
        assert (city["zone"]["kind"], city["zone"]["id"]) == ("department", "50021")
        assert [m["alerts"] for m in city["months"]] == [62, 60]
        assert [m["sources"][0]["value"] for m in city["months"]] == [120, 60]


def test_a_month_with_nights_not_computed_shows_them_and_no_ratio():
    f = frame()
    days = {d: _alerts_on(d, "B-3", "Q-2", 1) for d in _every_day(date(2026, 6, 1), date(2026, 6, 20))}
    records = Records([Record("quadrant", "Q-2", "2026-06", "snic", "hechos", 40)])
    answer = service.read_compare(
        {"zone": "Q-2", "from": "2026-06", "to": "2026-07", "measures": None},
        frame=f, days=NightlyDays(f, days), source=records, now=NOW,
    )  # fmt: skip
    june, july = answer["months"]
    assert (june["alerts"], june["days_missing"], june["sources"][0]["ratio"]) == (20, 10, None)
    # July 1 not computed, the rest not over: no count at all (null, not a zero)
    assert (july["alerts"], july["days_missing"]) == (None, 31)


def test_resources_set_units_and_patrol_beside_alerts_and_recorded_crime_per_100k():
    f = frame()
    days = {d: _alerts_on(d, "B-1", "Q-1", 1) for d in _every_day(date(2026, 5, 1), date(2026, 5, 31))}
    patrol = {d: PatrolDay({"Q-1": (60.0, 45.0)}) for d in days}
    records = Records([
        Record("quadrant", "Q-1", "2026-05", "snic", "hechos", 120, "d1", "occurrence"),
        Record("quadrant", "Q-2", "2026-05", "snic", "hechos", 3, "d1", "occurrence"),
        Record("department", "50021", "2026-05", "snic", "hechos", 123, "d1", "occurrence"),
    ])  # fmt: skip
    units = [service.Unit("Q-1", 12.0), service.Unit("Q-1", 6.0), service.Unit("Q-2", 12.0)]
    answer = service.read_resources(
        {"from": "2026-05", "to": "2026-05"},
        frame=f, units=units, days=NightlyDays(f, days, patrol), source=records, now=NOW,
    )  # fmt: skip
    q1, q2 = answer["quadrants"]
    assert (q1["units"], q1["unit_hours_per_day"], q1["units_per_100k"]) == (2, 18.0, 33.33)
    assert (q1["patrol_planned_min"], q1["patrol_done_min"], q1["patrol_dosage_compliance"]) == (
        1860.0,
        1395.0,
        0.75,
    )
    assert (q1["alerts"], q1["alerts_per_100k"]) == (31, 516.67)
    # Q-2's 3 records are "<5", so Q-1's 120 (= 123 − 3) is withheld too, and so are their rates
    assert [(r["value"], r["per_100k"]) for r in q1["recorded"]] == [("x", None)]
    assert [(r["value"], r["per_100k"]) for r in q2["recorded"]] == [("<5", None)]
    # a day with a schedule that planned nothing in Q-2: 0 minutes, no compliance
    assert (q2["patrol_planned_min"], q2["patrol_dosage_compliance"], q2["alerts"]) == (0.0, None, 0)


def test_shift_hours_run_past_midnight():
    assert service.shift_hours(time(20), time(2)) == 6
    assert service.shift_hours(time(8), time(14)) == 6


# ---------------------------------------------------------------- bad input, named
@pytest.mark.parametrize(
    ("params", "error", "path"),
    [
        ({"zone": "Q-9"}, InvalidRequest, "/zone"),
        ({"zone": "B-1"}, InvalidRequest, "/zone"),  # blocks: no source reports by block
        ({"from": "2026-13"}, InvalidRequest, "/from"),
        ({"to": "2026-1"}, InvalidRequest, "/to"),
        ({"from": "2026-05", "to": "2026-03"}, Unprocessable, "/from"),
        ({"from": "2025-01", "to": "2026-01"}, Unprocessable, "/from"),  # 13 months
        ({"from": "2026-03", "to": "2026-04", "measures": "snic:robos"}, Unprocessable, "/measures"),
        ({"from": "2026-03", "to": "2026-04", "measures": "otro:hechos"}, Unprocessable, "/measures"),
    ],
)
def test_bad_parameters_are_named(params, error, path):
    f = frame()
    records = Records([Record("quadrant", "Q-1", "2026-03", "snic", "hechos", 30)])
    full = {"zone": None, "from": None, "to": None, "measures": None, **params}
    with pytest.raises(error) as raised:
        service.read_compare(full, frame=f, days=NightlyDays(f, {}), source=records, now=NOW)
    assert raised.value.errors[0].path == path


@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30), st.integers(0, 8)), min_size=1, max_size=4))
def test_an_attacker_with_every_answer_of_every_zone_and_range_recovers_no_held_back_record(months):
    """Plays the attacker: every month of the department and its two quadrants (what compare answers for
    each zone) and every range's total per quadrant (what resources answers for any from/to), written as
    equations over the true counts; no held-back cell may lie in their row space (suppression.determined)."""
    keys = [f"2026-{m + 1:02d}" for m in range(len(months))]
    records = []
    for key, (q1, q2, outside) in zip(keys, months, strict=True):
        records += [
            _rec("Q-1", q1, key),
            _rec("Q-2", q2, key),
            _rec("50021", q1 + q2 + outside, key, "department"),
        ]
    shown = protect_records(records, 5, city_zone="50021", quadrants=["Q-1", "Q-2"])
    # the unknowns: each quadrant's month and what the department counts outside both
    cover: dict[tuple[str, ...], frozenset[tuple[str, str]]] = {}
    value: dict[tuple[str, ...], object] = {}
    for key in keys:
        for zone in ("Q-1", "Q-2"):
            cover[(zone, key)] = frozenset({(zone, key)})
            value[(zone, key)] = shown[(zone, key, "snic", "hechos")]
        # records outside both quadrants are an unknown of their own; with none (a source by quadrant) the
        # attacker knows the department is exactly the sum of its quadrants
        outside = {("out", key)} if months[keys.index(key)][2] else set()
        cover[("50021", key)] = frozenset({("Q-1", key), ("Q-2", key), *outside})
        value[("50021", key)] = shown[("50021", key, "snic", "hechos")]
    for zone in ("Q-1", "Q-2"):
        for i in range(len(keys)):
            for j in range(i, len(keys)):
                span = keys[i : j + 1]
                cover[(zone, *span)] = frozenset((zone, k) for k in span)
                value[(zone, *span)] = period_total([value[(zone, k)] for k in span], 5)
    published = [k for k, v in value.items() if not isinstance(v, str)]
    hidden = [k for k, v in value.items() if isinstance(v, str)]
    assert determined(cover, published, hidden) == []
