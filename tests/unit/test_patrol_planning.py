"""Planning a day for the demo city: its ten units, its quadrants, hot spots from synthetic alerts."""

import random
from datetime import UTC, date, datetime, timedelta

import pytest

from vigia import runtime
from vigia.errors import InvalidRequest
from vigia.hotspots import AlertSample, as_of, score_for_date
from vigia.patrol.planning import parse_date, plan_day

DAY = date(2026, 3, 2)


@pytest.fixture(scope="module")
def pack():
    return runtime.city_pack()


@pytest.fixture(scope="module")
def hotspots(pack):
    rng = random.Random(5)
    blocks = list(pack.blocks.values())
    busy = blocks[:: max(len(blocks) // 40, 1)]  # forty busy blocks across the city
    start = as_of(DAY, pack.time_zone)
    by_date = {}
    for _ in range(2500):
        block = rng.choice(busy) if rng.random() < 0.7 else rng.choice(blocks)
        when = start - timedelta(days=rng.uniform(0, 28))
        sample = AlertSample(
            rng.choice(["robbery", "suspicious_activity", "panic"]),
            when,
            block.centroid.lat,
            block.centroid.lon,
            block.quadrant_id,
            False,
        )
        by_date.setdefault(when.astimezone(pack.zone_info).date().isoformat(), []).append(sample)
    read = []

    def alerts_on(local_date):
        read.append(local_date)
        return by_date.get(local_date, [])

    result = score_for_date(DAY, pack, alerts_on)
    assert len(read) == pack.settings.hotspots.lookback_days  # one read per day, no more
    return result


def test_every_unit_of_the_pack_gets_a_stop_every_hour_of_its_shifts_that_day(pack, hotspots):
    schedule = plan_day(
        DAY, pack, hotspots, seed=11, units=None, generated_at=datetime(2026, 3, 1, tzinfo=UTC)
    )
    assert {u.unit_id for u in schedule.units} == set(pack.units)
    gc02 = schedule.unit("GC-02")
    # GC-02 works 14:00-20:00 and 20:00-02:00: on the 2nd it has 00:00-02:00 and 14:00-24:00
    assert len(gc02.stops) == 2 + 10
    quadrant_places = {
        q: {p.place_id for p in hotspots.ranked(q, include_quiet=True)} for q in pack.quadrants
    }
    for unit in schedule.units:
        assert unit.quadrant_id == pack.units[unit.unit_id].quadrant_id
        assert all(stop.place_id in quadrant_places[unit.quadrant_id] for stop in unit.stops)
    view = schedule.view()
    assert view["seed"] == 11
    assert view["units"][0]["stops"][0]["start"].endswith("-03:00")


def test_a_request_without_a_seed_gets_a_fresh_one_and_the_seed_replays_it(pack, hotspots):
    first = plan_day(
        DAY, pack, hotspots, seed=None, units=[{"unit_id": "GC-01"}], generated_at=datetime.now(UTC)
    )
    again = plan_day(
        DAY, pack, hotspots, seed=first.seed, units=[{"unit_id": "GC-01"}], generated_at=first.generated_at
    )
    assert first.view() == again.view()
    assert [u.unit_id for u in first.units] == ["GC-01"]


def test_unknown_units_are_a_bad_request(pack, hotspots):
    with pytest.raises(InvalidRequest) as caught:
        plan_day(DAY, pack, hotspots, seed=1, units=[{"unit_id": "GC-42"}], generated_at=datetime.now(UTC))
    assert caught.value.errors[0].path == "/units/0/unit_id"


def test_dates_are_checked():
    assert parse_date("2026-03-02") == DAY
    with pytest.raises(InvalidRequest):
        parse_date("02/03/2026")
    with pytest.raises(InvalidRequest):
        parse_date(None)
