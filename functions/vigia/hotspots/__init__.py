"""Hot spots: places scored from the alerts of the last weeks, and the clusters Getis-Ord Gi* marks."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from datetime import date as Date
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from vigia.hotspots.gistar import Z_95, gi_star
from vigia.hotspots.places import Place, PlaceGrid, cells_from_geography
from vigia.hotspots.scoring import AlertSample, HotspotMap, ScoredPlace, ScoringRules, alerts_at, score_places

if TYPE_CHECKING:
    from vigia.city import CityPack

__all__ = [
    "Z_95",
    "AlertSample",
    "HotspotMap",
    "Place",
    "PlaceGrid",
    "ScoredPlace",
    "ScoringRules",
    "alerts_behind",
    "as_of",
    "gi_star",
    "lookback_dates",
    "place_grid",
    "score_for_date",
    "scoring_rules",
]


def scoring_rules(pack: CityPack) -> ScoringRules:
    settings = pack.settings.hotspots
    return ScoringRules(
        severity={code: t.severity_weight for code, t in pack.alert_types.items()},
        lookback_days=settings.lookback_days,
        half_life_days=max(settings.lookback_days / 2, 1.0),
        silent_min_count=pack.settings.small_cell_threshold,
    )


@functools.lru_cache(maxsize=4)
def place_grid(pack: CityPack) -> PlaceGrid:
    """The city's H3 grid at its pack's resolution; built once per pack (a few hundred cells)."""
    resolution = pack.settings.hotspots.h3_resolution
    rings = {q.quadrant_id: q.polygon.rings for q in pack.quadrants.values()}
    centroids = ((b.quadrant_id, b.centroid.lat, b.centroid.lon) for b in pack.blocks.values())

    def quadrant_at(lat: float, lon: float) -> str | None:
        quadrant = pack.quadrant_at(lat, lon)
        return quadrant.quadrant_id if quadrant else None

    return PlaceGrid.of_cells(cells_from_geography(rings, centroids, resolution, quadrant_at), resolution)


def as_of(day: Date, time_zone: str) -> datetime:
    """Hot spots for a day are computed as of its local midnight: that day's own alerts do not count."""
    return datetime.combine(day, time(0), ZoneInfo(time_zone))


def lookback_dates(day: Date, lookback_days: int) -> list[str]:
    """The local dates whose alerts count for `day`: the `lookback_days` before it, oldest first."""
    return [(day - timedelta(days=n)).isoformat() for n in range(lookback_days, 0, -1)]


def score_for_date(
    day: Date, pack: CityPack, alerts_on: Callable[[str], Iterable[AlertSample]]
) -> HotspotMap:
    """Hot spots as of the start of `day`; `alerts_on(local_date)` reads one day of alerts (one Query)."""
    rules = scoring_rules(pack)
    samples = (s for d in lookback_dates(day, rules.lookback_days) for s in alerts_on(d))
    return score_places(place_grid(pack), samples, rules, as_of(day, pack.time_zone))


def alerts_behind(
    day: Date, place_id: str, pack: CityPack, alerts_on: Callable[[str], Iterable[AlertSample]]
) -> list[tuple[AlertSample, float]] | None:
    """The alerts counted into one place for `day`'s hot spots (the same window and selection as its score),
    with their weights, newest first; None when the place is not on the city's grid."""
    grid = place_grid(pack)
    index = grid.index.get(place_id)
    if index is None:
        return None
    rules = scoring_rules(pack)
    samples = (s for d in lookback_dates(day, rules.lookback_days) for s in alerts_on(d))
    return alerts_at(grid, index, samples, rules, as_of(day, pack.time_zone))
