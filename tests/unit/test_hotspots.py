"""Hot spots: the Gi* statistic against hand computation, and scoring by severity, recency and silence."""

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import h3
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vigia.hotspots import AlertSample, PlaceGrid, ScoringRules, gi_star, lookback_dates
from vigia.hotspots.gistar import confidence, p_value
from vigia.hotspots.scoring import score_places

CENTRE = h3.latlng_to_cell(-32.93, -68.84, 9)
AS_OF = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)  # midnight in Mendoza


# ---------------------------------------------------------------- Gi*, by hand
def test_gi_star_on_a_line_of_five_places_matches_the_hand_computation():
    # Given five places in a row, each a neighbour of the next, with values 0 0 0 3 6
    values = [0, 0, 0, 3, 6]
    neighbours = [[1], [0, 2], [1, 3], [2, 4], [3]]
    # By hand: n = 5, mean = 9/5 = 1.8, S = sqrt(45/5 - 1.8**2) = 2.4.
    # Place 4: W = 2 (itself and 3), local sum 9: (9 - 1.8*2) / (2.4 * sqrt((5*2 - 4)/4)) = 2.25/sqrt(1.5)
    # Place 3: W = 3, local sum 9: (9 - 5.4) / (2.4 * sqrt((15 - 9)/4)) = sqrt(1.5)
    # Place 0: W = 2, local sum 0: -3.6 / (2.4 * sqrt(1.5)) = -sqrt(1.5)
    # Place 2: W = 3, local sum 3: (3 - 5.4) / (2.4 * sqrt(1.5)) = -1/sqrt(1.5)
    # Place 1: W = 3, local sum 0: -5.4 / (2.4 * sqrt(1.5)) = -2.25/sqrt(1.5)
    expected = [
        -math.sqrt(1.5),
        -2.25 / math.sqrt(1.5),
        -1 / math.sqrt(1.5),
        math.sqrt(1.5),
        2.25 / math.sqrt(1.5),
    ]
    assert gi_star(values, neighbours) == pytest.approx(expected, abs=1e-12)


def test_gi_star_on_an_h3_disk_with_one_hot_centre_is_sqrt_12_over_7():
    # Given the 19 cells within two steps of a centre, only the centre with a value (19)
    cells = h3.grid_disk(CENTRE, 2)
    grid = PlaceGrid.of_cells({c: "Q" for c in cells}, 9)
    values = np.zeros(len(grid))
    values[grid.index[CENTRE]] = 19
    # By hand: mean 1, S = sqrt(361/19 - 1) = sqrt(18); the centre sees itself and 6 neighbours (W = 7):
    # (19 - 7) / (sqrt(18) * sqrt((19*7 - 49)/18)) = 12 / sqrt(84) = sqrt(12/7)
    z = gi_star(values, grid.neighbours)
    assert z[grid.index[CENTRE]] == pytest.approx(math.sqrt(12 / 7), abs=1e-12)
    # One busy cell alone is not a significant cluster at 95 %
    assert confidence(float(z[grid.index[CENTRE]])) is None


def test_gi_star_is_zero_when_nothing_varies():
    assert list(gi_star([2.0, 2.0, 2.0], [[1], [0, 2], [1]])) == [0.0, 0.0, 0.0]
    assert list(gi_star([5.0], [[]])) == [0.0]


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.one_of(st.just(0.0), st.floats(0.01, 100)), min_size=3, max_size=12),
    shift=st.floats(0, 50, allow_nan=False),
    scale=st.floats(0.5, 20, allow_nan=False),
)
def test_gi_star_does_not_change_when_every_score_shifts_or_scales(values, shift, scale):
    neighbours = [[j for j in (i - 1, i + 1) if 0 <= j < len(values)] for i in range(len(values))]
    base = gi_star(values, neighbours)
    moved = gi_star([v * scale + shift for v in values], neighbours)
    assert moved == pytest.approx(base, abs=1e-6)


def test_confidence_levels_and_p_values_follow_the_normal_distribution():
    assert confidence(2.6) == 99
    assert confidence(2.0) == 95
    assert confidence(1.7) == 90
    assert confidence(1.0) is None
    assert p_value(1.959964) == pytest.approx(0.05, abs=1e-6)


# ---------------------------------------------------------------- scoring
@pytest.fixture(scope="module")
def grid():
    """127 cells around the centre; quadrant W west of the centre's longitude, E the rest."""
    cells = h3.grid_disk(CENTRE, 6)
    centre_lon = h3.cell_to_latlng(CENTRE)[1]
    return PlaceGrid.of_cells({c: ("W" if h3.cell_to_latlng(c)[1] < centre_lon else "E") for c in cells}, 9)


RULES = ScoringRules(
    severity={"robbery": 3.0, "suspicious_activity": 1.0, "medical_emergency": 0.0, "domestic_violence": 2.0},
    lookback_days=28,
    half_life_days=14,
    silent_min_count=5,
)


def alert(cell, type_="robbery", days_ago=1.0, silent=False, quadrant=None):
    lat, lon = h3.cell_to_latlng(cell)
    return AlertSample(type_, AS_OF - timedelta(days=days_ago), lat, lon, quadrant, silent)


def test_severity_and_recency_weigh_each_alert():
    # A robbery two weeks old weighs half a fresh one (half-life 14 days); a medical emergency nothing.
    assert RULES.weight(alert(CENTRE, days_ago=0), AS_OF) == pytest.approx(3.0)
    assert RULES.weight(alert(CENTRE, days_ago=14), AS_OF) == pytest.approx(1.5)
    assert RULES.weight(alert(CENTRE, "medical_emergency"), AS_OF) == 0.0
    assert RULES.weight(alert(CENTRE, "unknown_type"), AS_OF) == 0.0


def test_a_cluster_of_robberies_is_a_hot_spot_ranked_first(grid):
    # Given robberies in a cell and its six neighbours, and a stray one far away
    cluster = h3.grid_disk(CENTRE, 1)
    edge = sorted(h3.grid_ring(CENTRE, 6))[0]
    samples = [alert(c, days_ago=d) for c in cluster for d in (1, 2, 3)] + [alert(edge)]
    # When the places are scored
    result = score_places(grid, samples, RULES, AS_OF)
    # Then the centre is a significant hot spot and the ranking starts with the cluster
    ranked = result.ranked()
    assert ranked[0].place_id in cluster
    centre = result.scored[grid.index[CENTRE]]
    assert centre.hot
    assert centre.z > 1.96
    assert centre.alerts == 3
    assert not result.scored[grid.index[edge]].hot
    view = centre.view(rank=1)
    assert view["centroid"] == {"lat": centre.place.lat, "lon": centre.place.lon}
    assert view["quadrant_id"] == centre.quadrant_id
    assert view["confidence"] in (95, 99)


def test_alerts_outside_the_window_or_the_grid_do_not_count(grid):
    far = alert(h3.latlng_to_cell(-34.6, -58.4, 9))
    old = alert(CENTRE, days_ago=29)
    today = AlertSample("robbery", AS_OF + timedelta(hours=1), *h3.cell_to_latlng(CENTRE), None, False)
    result = score_places(grid, [far, old, today], RULES, AS_OF)
    assert result.alerts_outside == 1
    assert result.alerts_counted == 0
    assert all(p.score == 0 for p in result.scored)


def test_silent_alerts_never_mark_their_own_cell(grid):
    # Given six silent alerts, all from one cell of quadrant W
    west = [p for p in grid.places if p.quadrant_id == "W"]
    victim_cell = west[0].place_id
    samples = [alert(victim_cell, "domestic_violence", silent=True, quadrant="W") for _ in range(6)]
    # When the places are scored
    result = score_places(grid, samples, RULES, AS_OF)
    # Then every place of quadrant W weighs the same, and no place is a hot spot because of them
    west_scores = {round(result.scored[grid.index[p.place_id]].score, 12) for p in west}
    assert len(west_scores) == 1
    assert west_scores.pop() > 0
    assert all(result.scored[grid.index[p.place_id]].alerts == 0 for p in west)
    assert not any(p.hot for p in result.scored)
    assert all(p.score == 0 for p in result.scored if p.quadrant_id == "E")


def test_silent_alerts_below_the_small_cell_threshold_are_left_out(grid):
    cell = grid.places[0].place_id
    samples = [alert(cell, "domestic_violence", silent=True, quadrant=grid.places[0].quadrant_id)] * 4
    result = score_places(grid, samples, RULES, AS_OF)
    assert all(p.score == 0 for p in result.scored)
    assert result.silent_left_out == 4


def test_a_quadrant_without_hot_spots_falls_back_to_its_best_places_and_says_so(grid):
    # Given a hot cluster in E and a few scattered alerts in W
    east = [p.place_id for p in grid.places if p.quadrant_id == "E"]
    west = [p.place_id for p in grid.places if p.quadrant_id == "W"]
    samples = [alert(c) for c in h3.grid_disk(CENTRE, 1) if c in east for _ in range(3)]
    samples += [alert(west[5], "suspicious_activity"), alert(west[40], "suspicious_activity", days_ago=10)]
    result = score_places(grid, samples, RULES, AS_OF)
    # When the fixed points of W are chosen
    points, warnings = result.fixed_points("W", minimum=3)
    # Then its two scored places come first, a quiet one fills in, and the answer says why
    assert [p.place_id for p in points[:2]] == [west[5], west[40]]
    assert len(points) == 3
    assert len(warnings) == 1
    assert "no statistically significant hot spot" in warnings[0]
    # And a quadrant with hot spots gets them without a warning
    east_points, east_warnings = result.fixed_points("E", minimum=3)
    assert all(p.hot for p in east_points)
    assert east_warnings == []


def test_a_quadrant_with_no_alerts_at_all_still_gets_fixed_points(grid):
    result = score_places(grid, [], RULES, AS_OF)
    points, warnings = result.fixed_points("W", minimum=3)
    assert len(points) == 3
    assert "no weighted alerts" in warnings[0]
    assert result.fixed_points("NOWHERE", minimum=3) == (
        [],
        ["Quadrant NOWHERE has no places on the hot-spot grid."],
    )


def test_lookback_reads_the_days_before_the_planned_day_only():
    from datetime import date

    days = lookback_dates(date(2026, 3, 2), 3)
    assert days == ["2026-02-27", "2026-02-28", "2026-03-01"]


def test_the_city_grid_covers_every_quadrant_of_the_pack():
    from vigia import runtime
    from vigia.hotspots import place_grid

    pack = runtime.city_pack()
    grid = place_grid(pack)
    assert grid.resolution == pack.settings.hotspots.h3_resolution
    assert set(grid.by_quadrant) == set(pack.quadrants)
    # every block's centroid falls on a place of the grid
    assert all(grid.cell_of(b.centroid.lat, b.centroid.lon) is not None for b in pack.blocks.values())
    assert all(h3.get_resolution(p.place_id) == 9 for p in grid.places)


# ---------------------------------------------------------------- what never counts
def test_false_alarms_and_cancelled_alerts_make_no_hot_spot_and_no_fixed_point(grid):
    # Given a cluster of cells in W flooded with false alarms and alerts their senders cancelled,
    # and two real robberies on one quiet cell of W far from them
    west = [p.place_id for p in grid.places if p.quadrant_id == "W"]
    flooded = [c for c in h3.grid_disk(CENTRE, 1) if c in west]
    real = next(c for c in west if h3.grid_distance(c, CENTRE) >= 4)
    samples = [
        replace(alert(c, days_ago=d), status=status)
        for c in flooded
        for d in (1, 2, 3, 4)
        for status in ("false_alarm", "cancelled")
    ]
    samples += [alert(real), alert(real, days_ago=2)]
    # When the places are scored
    result = score_places(grid, samples, RULES, AS_OF)
    # Then the flooded cells weigh nothing, only the real robberies count, and W's first fixed point
    # is the cell of the real robberies
    assert all(result.scored[grid.index[c]].score == 0 for c in flooded)
    assert all(result.scored[grid.index[c]].alerts == 0 for c in flooded)
    assert not any(result.scored[grid.index[c]].hot for c in flooded)
    assert result.alerts_counted == 2
    assert result.alerts_not_counted == len(samples) - 2
    points, _ = result.fixed_points("W", minimum=1)
    assert [p.place_id for p in points] == [real]


def test_silent_alerts_closed_as_false_alarms_or_cancelled_do_not_weigh_on_their_quadrant(grid):
    quadrant = grid.places[0].quadrant_id
    cell = grid.places[0].place_id
    samples = [
        replace(alert(cell, "domestic_violence", silent=True, quadrant=quadrant), status=status)
        for status in ("false_alarm", "cancelled") * 5
    ]
    result = score_places(grid, samples, RULES, AS_OF)
    assert all(p.score == 0 for p in result.scored)
    assert result.alerts_not_counted == 10
