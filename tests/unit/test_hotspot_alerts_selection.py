"""The alerts listed behind a place are exactly the ones that weighed on it: for any mix of alerts (silent,
false alarms, cancelled, outside the window or the grid), `alerts_at` lists a place's `alerts`, their weights
sum to its own score, and never a silent alert, even one standing on the place."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import h3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vigia.hotspots import AlertSample, PlaceGrid, ScoringRules
from vigia.hotspots.scoring import alerts_at, score_places

CENTRE = h3.latlng_to_cell(-32.93, -68.84, 9)
CELLS = sorted(h3.grid_disk(CENTRE, 2))
GRID = PlaceGrid.of_cells({c: ("Q-01" if i % 2 else "Q-02") for i, c in enumerate(CELLS)}, 9)
AS_OF = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)
RULES = ScoringRules(
    severity={"robbery": 3.0, "panic": 2.0, "medical": 0.0, "violence": 1.0}, silent_min_count=2
)
FAR = (40.4168, -3.7038)  # no place of the grid


@st.composite
def samples(draw: st.DrawFn) -> list[AlertSample]:
    found = []
    for n in range(draw(st.integers(0, 40))):
        cell = draw(st.sampled_from([*CELLS, None]))
        lat, lon = h3.cell_to_latlng(cell) if cell else FAR
        silent = draw(st.booleans())
        found.append(
            AlertSample(
                type="violence" if silent else draw(st.sampled_from(["robbery", "panic", "medical"])),
                created_at=AS_OF - timedelta(hours=draw(st.integers(-30, 31 * 24))),
                lat=lat,
                lon=lon,
                quadrant_id=GRID.places[GRID.index[cell]].quadrant_id if cell else None,
                silent=silent,
                status=draw(st.sampled_from([None, None, "false_alarm", "cancelled", "resolved"])),
                alert_id=f"a-{n}",
            )
        )
    return found


@settings(max_examples=150, deadline=None)
@given(samples())
def test_a_place_lists_exactly_what_weighed_on_it_and_never_a_silent_alert(alerts: list[AlertSample]) -> None:
    scored = score_places(GRID, alerts, RULES, AS_OF)
    silent_ids = {a.alert_id for a in alerts if a.silent}
    for index, place in enumerate(scored.scored):
        listed = alerts_at(GRID, index, alerts, RULES, AS_OF)
        assert len(listed) == place.alerts
        assert sum(weight for _, weight in listed) == pytest.approx(place.cell_score, abs=1e-9)
        assert not silent_ids & {sample.alert_id for sample, _ in listed}
        assert all(sample.status not in ("false_alarm", "cancelled") for sample, _ in listed)
        times = [sample.created_at for sample, _ in listed]
        assert times == sorted(times, reverse=True)


def test_silent_alerts_on_the_very_place_are_not_listed_though_they_weigh_on_the_quadrant() -> None:
    lat, lon = h3.cell_to_latlng(CENTRE)
    quadrant = GRID.places[GRID.index[CENTRE]].quadrant_id
    alerts = [
        AlertSample(
            "violence", AS_OF - timedelta(days=n + 1), lat, lon, quadrant, silent=True, alert_id=f"s-{n}"
        )
        for n in range(5)
    ]
    scored = score_places(GRID, alerts, RULES, AS_OF)
    assert scored.scored[GRID.index[CENTRE]].score > 0  # the quadrant's share of the silent weight
    assert alerts_at(GRID, GRID.index[CENTRE], alerts, RULES, AS_OF) == []
