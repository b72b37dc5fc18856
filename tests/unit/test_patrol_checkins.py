"""Check-ins at fixed points, dosage compliance, and perception surveys."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from vigia.patrol.checkins import MATCHED, NO_SCHEDULE, NO_STOP_NOW, TOO_FAR, dosage, match
from vigia.patrol.schedule import Duty, FixedPoint, PatrolRules, Window, generate
from vigia.patrol.surveys import Question, Survey, answer_errors, iso_week, summarise, week_of, weeks_between

MENDOZA = ZoneInfo("America/Argentina/Mendoza")
# About 111 m per 0.001 degree of latitude
POINTS = [
    FixedPoint("p0", -32.930, -68.840, 3.0),
    FixedPoint("p1", -32.935, -68.845, 2.0),
    FixedPoint("p2", -32.940, -68.850, 1.0),
]


def day_schedule():
    window = Window(datetime(2026, 3, 2, 8, tzinfo=MENDOZA), datetime(2026, 3, 2, 11, tzinfo=MENDOZA))
    return generate(
        "2026-03-02",
        [Duty("GC-01", "Q-01", (window,))],
        {"Q-01": POINTS},
        seed=3,
        rules=PatrolRules(),
        time_zone=MENDOZA.key,
        generated_at=datetime(2026, 3, 1, tzinfo=UTC),
    )


def check_in(schedule, minutes_after_start, metres_north=0.0, stop_index=0, n="c1"):
    unit = schedule.units[0]
    stop = unit.stops[stop_index]
    return match(
        unit,
        checkin_id=n,
        unit_id="GC-01",
        date=schedule.date,
        at=stop.start + timedelta(minutes=minutes_after_start),
        lat=stop.lat + metres_north / 111_195,
        lon=stop.lon,
    )


def test_a_check_in_at_the_fixed_point_during_its_window_matches():
    result = check_in(day_schedule(), 2, metres_north=40)
    assert result.matched
    assert result.outcome == MATCHED
    assert result.distance_m == pytest.approx(40, abs=1)


def test_a_check_in_150_m_away_matches_and_200_m_does_not():
    s = day_schedule()
    assert check_in(s, 1, metres_north=149).matched
    far = check_in(s, 1, metres_north=200)
    assert not far.matched
    assert far.outcome == TOO_FAR
    assert far.place_id == s.units[0].stops[0].place_id


def test_a_check_in_during_the_patrol_is_not_a_fixed_point():
    result = check_in(day_schedule(), 20)
    assert not result.matched
    assert result.outcome == NO_STOP_NOW


def test_a_unit_without_a_schedule_is_told_so():
    result = match(
        None, checkin_id="x", unit_id="GC-09", date="2026-03-02", at=datetime.now(UTC), lat=0, lon=0
    )
    assert result.outcome == NO_SCHEDULE


def test_dosage_counts_minutes_from_the_first_check_in_to_the_end_of_each_stop():
    # Given a 3-hour schedule; the unit arrives on time at stop 1, 4 minutes late at stop 2, misses stop 3
    s = day_schedule()
    checkins = [check_in(s, 0, n="a"), check_in(s, 6, n="a2"), check_in(s, 4, stop_index=1, n="b")]
    # When the day's dosage is reported
    report = dosage(s, checkins)
    # Then 14 + 10 of 42 planned minutes were done
    assert report["totals"] == {
        "stops_planned": 3,
        "stops_done": 2,
        "planned_min": 42.0,
        "done_min": 24.0,
        "compliance": round(24 / 42, 3),
    }
    assert report["units"][0]["compliance"] == round(24 / 42, 3)
    by_place = {p["place_id"]: p for p in report["places"]}
    assert sum(p["planned_min"] for p in by_place.values()) == 42.0
    first_place = s.units[0].stops[0].place_id
    assert by_place[first_place]["done_min"] >= 14.0


# ---------------------------------------------------------------- surveys
QUESTIONS = {
    "safe_at_night": Question("safe_at_night", (1, 5)),
    "trust_police": Question("trust_police", (1, 5)),
}


def test_answers_must_be_the_citys_questions_on_their_scale():
    assert answer_errors({"safe_at_night": 4}, QUESTIONS) == []
    errors = answer_errors({"safe_at_night": 9, "favourite_colour": 2, "trust_police": True}, QUESTIONS)
    assert [e.path for e in errors] == [
        "/answers/safe_at_night",
        "/answers/favourite_colour",
        "/answers/trust_police",
    ]
    assert answer_errors({}, QUESTIONS)[0].path == "/answers"


def test_surveys_are_summarised_by_quadrant_and_iso_week():
    at = datetime(2026, 3, 2, 15, tzinfo=UTC)
    surveys = [
        Survey(f"s{i}", "Q-01", at, week_of(at, MENDOZA), {"safe_at_night": v})
        for i, v in enumerate([1, 4, 5, 5])
    ]
    surveys.append(Survey("t", "Q-02", at, week_of(at, MENDOZA), {"trust_police": 2}))
    items = summarise(surveys, QUESTIONS)
    assert [(i["quadrant_id"], i["week"], i["responses"]) for i in items] == [
        ("Q-01", "2026-W10", 4),
        ("Q-02", "2026-W10", 1),
    ]
    night = items[0]["questions"]["safe_at_night"]
    assert night["mean"] == 3.75
    assert night["distribution"] == {"1": 1, "2": 0, "3": 0, "4": 1, "5": 2}
    assert night["favourable_share"] == 0.75
    assert night["small_sample"] is True
    assert "trust_police" not in items[0]["questions"]


def test_weeks_follow_iso_8601_and_the_city_clock():
    assert iso_week(date(2026, 1, 1)) == "2026-W01"
    assert iso_week(date(2027, 1, 1)) == "2026-W53"
    # Sunday 23:30 in Mendoza is already Monday in UTC: the city's week counts
    assert week_of(datetime(2026, 3, 9, 2, 30, tzinfo=UTC), MENDOZA) == "2026-W10"
    assert weeks_between(date(2026, 3, 1), date(2026, 3, 16)) == [
        "2026-W09",
        "2026-W10",
        "2026-W11",
        "2026-W12",
    ]
