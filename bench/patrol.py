"""Hot spots and patrol schedules: how long and how much memory, at Godoy Cruz's scale and ten times it.

Figures only (targets from issue 6: schedules for 10 units x 24 h x 2,000 places <= 1 s, for
100 units x 20,000 places <= 10 s, peak memory <= 256 MB); nothing here passes or fails.
"""

from __future__ import annotations

import gc
import random
import resource
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import h3

from vigia.hotspots import AlertSample, PlaceGrid, ScoringRules, as_of, place_grid, scoring_rules
from vigia.hotspots.scoring import score_places
from vigia.patrol.exports import to_csv, to_ics
from vigia.patrol.planning import fixed_points_by_quadrant
from vigia.patrol.schedule import Duty, PatrolRules, Window, generate

DAY = date(2026, 3, 2)
ZONE = "America/Argentina/Mendoza"
CENTRE = (-32.93, -68.84)
SEVERITY = {"robbery": 3.0, "suspicious_activity": 1.0, "panic": 2.0, "fire": 1.5, "domestic_violence": 2.0}


def measure(label: str, work: Callable[[], Any]) -> Any:
    """Runs `work` twice: timed (best of two), then under tracemalloc for its peak memory.

    Timing with tracemalloc on would be several times slower than real, hence the separate run.
    """
    elapsed = float("inf")
    for _ in range(2):
        gc.collect()
        started = time.perf_counter()
        result = work()
        elapsed = min(elapsed, time.perf_counter() - started)
    del result
    gc.collect()
    tracemalloc.start()
    result = work()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"  {label:<58} {elapsed:8.3f} s   peak {peak / 2**20:7.1f} MB", flush=True)
    return result


def synthetic_grid(places: int, quadrants: int) -> PlaceGrid:
    """About `places` H3 res-9 cells around Godoy Cruz, cut into `quadrants` bands of equal size."""
    centre = h3.latlng_to_cell(*CENTRE, 9)
    k = 0
    while 3 * k * (k + 1) + 1 < places:
        k += 1
    cells = sorted(h3.grid_disk(centre, k), key=lambda c: h3.cell_to_latlng(c))[:places]
    per = -(-len(cells) // quadrants)
    return PlaceGrid.of_cells({c: f"Q-{i // per + 1:03d}" for i, c in enumerate(cells)}, 9)


def synthetic_alerts(grid: PlaceGrid, count: int, days: int, rng: random.Random) -> list[AlertSample]:
    """Alerts over `days` before DAY: 60 % on a few hundred hot cells, the rest anywhere; 3 % silent."""
    start = as_of(DAY, ZONE)
    hot = rng.sample(grid.places, max(len(grid.places) // 20, 1))
    types = list(SEVERITY)
    alerts = []
    for _ in range(count):
        place = rng.choice(hot) if rng.random() < 0.6 else rng.choice(grid.places)
        silent = rng.random() < 0.03
        alerts.append(
            AlertSample(
                "domestic_violence" if silent else rng.choice(types[:-1]),
                start - timedelta(seconds=rng.uniform(0, days * 86_400)),
                place.lat + rng.uniform(-0.0005, 0.0005),
                place.lon + rng.uniform(-0.0005, 0.0005),
                place.quadrant_id,
                silent,
            )
        )
    return alerts


def schedule_case(units: int, places: int, quadrants: int, alerts_per_day: int) -> None:
    rng = random.Random(units * 7 + places)
    print(f"{units} units x 24 h x {places:,} places ({quadrants} quadrants, {alerts_per_day} alerts a day)")
    grid = measure(
        "build the H3 grid and its neighbours (once per city pack)", lambda: synthetic_grid(places, quadrants)
    )
    alerts = synthetic_alerts(grid, alerts_per_day * 28, 28, rng)
    rules = ScoringRules(severity=SEVERITY, lookback_days=28, half_life_days=14)
    start = as_of(DAY, ZONE)
    zone = ZoneInfo(ZONE)
    quadrant_ids = sorted(grid.by_quadrant)
    duties = [
        Duty(
            f"U-{n:03d}",
            quadrant_ids[n % len(quadrant_ids)],
            (Window(datetime(2026, 3, 2, tzinfo=zone), datetime(2026, 3, 3, tzinfo=zone)),),
        )
        for n in range(units)
    ]
    patrol = PatrolRules()

    def whole() -> Any:
        hotspots = score_places(grid, alerts, rules, start)
        points, warnings = fixed_points_by_quadrant(hotspots, quadrant_ids, patrol.spacing)
        return (
            hotspots,
            points,
            generate(
                DAY.isoformat(),
                duties,
                points,
                seed=1,
                rules=patrol,
                time_zone=ZONE,
                generated_at=datetime.now(UTC),
                warnings=warnings,
            ),
        )

    hotspots, points, schedule = measure("score + Gi* + fixed points + schedule (the request path)", whole)
    # The schedule alone, from every place of each quadrant as a candidate (the heaviest case).
    everything = {
        q: [p for p in fixed_points_by_quadrant(hotspots, [q], len(grid.places))[0][q]] for q in quadrant_ids
    }
    measure(
        f"schedule alone, every place a candidate ({places:,})",
        lambda: generate(
            DAY.isoformat(),
            duties,
            everything,
            seed=2,
            rules=patrol,
            time_zone=ZONE,
            generated_at=datetime.now(UTC),
        ),
    )
    measure(
        "export CSV + iCalendar",
        lambda: (to_csv(schedule), to_ics(schedule, city_id="bench", locale="es-AR")),
    )
    hot = sum(1 for p in hotspots.scored if p.hot)
    stops = sum(len(u.stops) for u in schedule.units)
    print(
        f"  -> {len(grid.places):,} places, {hot} hot spots, {stops:,} stops, "
        f"{sum(len(v) for v in points.values())} fixed points used"
    )


def year_of_godoy_cruz() -> None:
    from vigia import runtime

    pack = runtime.city_pack()
    rng = random.Random(2026)
    print("Hot-spot scoring on the Godoy Cruz pack: a year of full-scale alerts (100 a day = 36,500)")
    grid = measure(
        "build the city's H3 grid (blocks + quadrants, cached)", lambda: place_grid.__wrapped__(pack)
    )
    blocks = list(pack.blocks.values())
    weights = [b.population for b in blocks]
    busy = rng.sample(blocks, 40)
    start = as_of(DAY, pack.time_zone)
    codes = [c for c, t in pack.alert_types.items() if not t.silent]
    silent_codes = [c for c, t in pack.alert_types.items() if t.silent] or codes
    alerts = []
    for _ in range(36_500):
        block = rng.choice(busy) if rng.random() < 0.4 else rng.choices(blocks, weights)[0]
        silent = rng.random() < 0.04
        alerts.append(
            AlertSample(
                rng.choice(silent_codes if silent else codes),
                start - timedelta(seconds=rng.uniform(0, 365 * 86_400)),
                block.centroid.lat + rng.uniform(-0.0003, 0.0003),
                block.centroid.lon + rng.uniform(-0.0003, 0.0003),
                block.quadrant_id,
                silent,
            )
        )
    base = scoring_rules(pack)
    year = ScoringRules(
        severity=base.severity,
        lookback_days=365,
        half_life_days=base.half_life_days,
        silent_min_count=base.silent_min_count,
    )
    scored = measure(
        "score 36,500 alerts over 365 days + Gi*", lambda: score_places(grid, alerts, year, start)
    )
    month = measure(
        "score the 28-day window the schedules use", lambda: score_places(grid, alerts, base, start)
    )
    print(
        f"  -> {len(grid.places)} places; hot spots: {sum(p.hot for p in scored.scored)} over a year, "
        f"{sum(p.hot for p in month.scored)} over 28 days; {month.alerts_counted:,} alerts in the window"
    )


def run() -> None:
    schedule_case(units=10, places=2_000, quadrants=10, alerts_per_day=100)
    schedule_case(units=100, places=20_000, quadrants=100, alerts_per_day=1_000)
    schedule_case(units=100, places=20_000, quadrants=10, alerts_per_day=1_000)  # ten cars a quadrant
    year_of_godoy_cruz()
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process peak RSS (includes the interpreter, numpy, h3): {peak_rss_mb:.0f} MB")


if __name__ == "__main__":
    run()
