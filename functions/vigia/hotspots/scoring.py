"""Hot spots from alerts: each place scored by the severity and recency of its alerts, clusters by Gi*.

Score of a place = sum over its alerts of  severity(type) * 0.5 ** (age_days / half_life_days),
where severity is the alert type's `severity_weight` in the city pack (0 keeps a type out, e.g. a
medical emergency is no reason to post police) and age is measured back from the start of the
day being planned. Only the `lookback_days` before that day count (28 by default).

Silent alerts (gender and intrafamily violence) never mark their exact cell: their weight is added
evenly to every place of their quadrant, and only when the quadrant had at least the city's
small-cell threshold of them in the window; below it they are left out (spreading them over the
whole city would add the same constant everywhere, which changes neither ranks nor Gi*). A hot
spot can therefore never point at a victim's home, yet the violence still weighs where it is frequent.

False alarms and alerts their senders cancelled never count (`NOT_COUNTED`): a block flooded with
them is no reason to post a car there, and counting them would let anyone steer patrols by crying wolf.

A place is a hot spot when its Gi* z-score (see gistar.py) reaches the threshold (1.96: 95 %)
and alerts of its own weighed on it (a quiet cell beside a busy one is not a fixed point).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from vigia.hotspots.gistar import Z_95, confidence, gi_star, p_value
from vigia.hotspots.places import Place, PlaceGrid

DAY_S = 86_400.0
NOT_COUNTED = frozenset({"false_alarm", "cancelled"})  # alert statuses that never weigh on a place


@dataclass(frozen=True)
class AlertSample:
    """What hot-spot scoring needs of an alert: never who sent it."""

    type: str
    created_at: datetime  # aware
    lat: float | None
    lon: float | None
    quadrant_id: str | None
    silent: bool
    status: str | None = None  # a false alarm or an alert its sender cancelled never weighs
    alert_id: str | None = None  # listed with the alerts behind a place; never read for a silent alert


@dataclass(frozen=True)
class ScoringRules:
    severity: Mapping[str, float] = field(hash=False)  # alert type code -> weight; unknown types weigh 0
    lookback_days: int = 28
    half_life_days: float = 14.0
    z_threshold: float = Z_95
    silent_min_count: int = 5  # the city's small-cell threshold

    def weight(self, sample: AlertSample, as_of: datetime) -> float:
        severity = float(self.severity.get(sample.type, 0.0))
        if severity <= 0:
            return 0.0
        age_days = max((as_of - sample.created_at).total_seconds(), 0.0) / DAY_S
        return severity * 0.5 ** (age_days / self.half_life_days)

    def window(self, as_of: datetime) -> tuple[datetime, datetime]:
        return as_of - timedelta(days=self.lookback_days), as_of


@dataclass(frozen=True)
class ScoredPlace:
    place: Place
    score: float  # the cell's own weight plus its share of its quadrant's silent weight
    z: float
    alerts: int  # non-silent alerts in the cell (silent ones are never attributed to a cell)
    hot: bool
    cell_score: float = 0.0  # the cell's own weight: non-silent alerts only

    @property
    def place_id(self) -> str:
        return self.place.place_id

    @property
    def quadrant_id(self) -> str:
        return self.place.quadrant_id

    def view(self, rank: int) -> dict[str, object]:
        return {
            "rank": rank,
            "place_id": self.place.place_id,
            "quadrant_id": self.place.quadrant_id,
            "centroid": {"lat": self.place.lat, "lon": self.place.lon},
            "score": round(self.score, 4),
            "z": round(self.z, 3),
            "p_value": round(p_value(self.z), 4),
            "confidence": confidence(self.z) if self.hot else None,
            "hot_spot": self.hot,
            "alerts": self.alerts,
        }


@dataclass(frozen=True)
class HotspotMap:
    """Every place of the city scored as of one instant (the start of a local day)."""

    as_of: datetime
    rules: ScoringRules
    scored: tuple[ScoredPlace, ...]  # aligned with grid.places
    alerts_counted: int
    alerts_outside: int
    silent_left_out: int  # silent alerts of quadrants below the small-cell threshold
    by_quadrant: Mapping[str, tuple[int, ...]] = field(repr=False, hash=False)
    alerts_not_counted: int = 0  # false alarms and alerts their senders cancelled

    def ranked(self, quadrant_id: str | None = None, *, include_quiet: bool = False) -> list[ScoredPlace]:
        """Hot spots first, then by score; quiet places (score 0) only when asked."""
        pool: Iterable[ScoredPlace] = (
            (self.scored[i] for i in self.by_quadrant.get(quadrant_id, ())) if quadrant_id else self.scored
        )
        chosen = [p for p in pool if include_quiet or p.score > 0]
        return sorted(chosen, key=_rank_key)

    def fixed_points(self, quadrant_id: str, minimum: int) -> tuple[list[ScoredPlace], list[str]]:
        """The places a unit of the quadrant should stand at, and warnings when they are not all hot spots.

        Hot spots come first. With fewer than `minimum` of them (the no-return rule needs that many
        distinct places) the quadrant's next highest-scoring places are added; with too few places
        scored at all, its quiet places nearest to activity (highest Gi*) fill in.
        """
        hot = [p for p in self.ranked(quadrant_id) if p.hot]
        if len(hot) >= minimum:
            return hot, []
        everything = self.ranked(quadrant_id, include_quiet=True)
        if not everything:
            return [], [f"Quadrant {quadrant_id} has no places on the hot-spot grid."]
        chosen = list(hot)
        for place in everything:
            if len(chosen) >= minimum:
                break
            if not place.hot:
                chosen.append(place)
        days = self.rules.lookback_days
        scored = sum(1 for p in chosen if p.score > 0)
        if not hot:
            if scored:
                warning = (
                    f"Quadrant {quadrant_id} has no statistically significant hot spot in the last {days} "
                    f"days; its fixed points are its {len(chosen)} highest-scoring places."
                )
            else:
                warning = (
                    f"Quadrant {quadrant_id} had no weighted alerts in the last {days} days; its fixed "
                    f"points are {len(chosen)} of its places nearest to activity elsewhere."
                )
        else:
            added = len(chosen) - len(hot)
            warning = (
                f"Quadrant {quadrant_id} has only {len(hot)} hot spot(s); {added} next highest-scoring "
                "place(s) were added so that a unit need not return to the same fixed point too soon."
            )
        if len(chosen) < minimum:
            warning += f" It has only {len(chosen)} place(s), fewer than the no-return rule needs."
        return chosen, [warning]


def _rank_key(p: ScoredPlace) -> tuple[bool, float, float, str]:
    return (not p.hot, -p.score, -p.z, p.place.place_id)


NOT_COUNTED_HERE, SILENT, OUTSIDE = "not_counted", "silent", "outside"


def placed(
    grid: PlaceGrid, samples: Iterable[AlertSample], rules: ScoringRules, as_of: datetime
) -> Iterator[tuple[AlertSample, int | str]]:
    """Each alert of the lookback window before `as_of` with where it counts: the index of its place, or
    why no place gets it (a false alarm or cancelled alert, a silent alert, outside the grid).

    The one selection behind a place's score and its `alerts`, and behind the alerts listed for a place
    (`alerts_at`): what a place is said to hold is what weighed on it.
    """
    start, end = rules.window(as_of)
    for sample in samples:
        if not (start <= sample.created_at < end):
            continue
        if sample.status in NOT_COUNTED:
            yield sample, NOT_COUNTED_HERE
        elif sample.silent:
            yield sample, SILENT  # only its quadrant is ever looked at, never its location
        elif sample.lat is None or sample.lon is None:
            yield sample, OUTSIDE
        else:
            index = grid.cell_of(sample.lat, sample.lon)
            yield sample, OUTSIDE if index is None else index


def alerts_at(
    grid: PlaceGrid, place_index: int, samples: Iterable[AlertSample], rules: ScoringRules, as_of: datetime
) -> list[tuple[AlertSample, float]]:
    """The alerts counted into one place as of `as_of`, with their weights, newest first (never silent)."""
    found = [
        (s, rules.weight(s, as_of))
        for s, where in placed(grid, samples, rules, as_of)
        if where == place_index
    ]
    return sorted(found, key=lambda pair: pair[0].created_at, reverse=True)


def score_places(
    grid: PlaceGrid, samples: Iterable[AlertSample], rules: ScoringRules, as_of: datetime
) -> HotspotMap:
    """Scores every place of the grid from the alerts in the lookback window before `as_of`."""
    n = len(grid)
    own = np.zeros(n)
    counts = np.zeros(n, dtype=np.int64)
    silent_weight: dict[str, float] = {}
    silent_count: dict[str, int] = {}
    counted = outside = left_out = not_counted = 0
    for sample, where in placed(grid, samples, rules, as_of):
        if where == NOT_COUNTED_HERE:
            not_counted += 1
            continue
        weight = rules.weight(sample, as_of)
        if where == SILENT:
            if sample.quadrant_id is None or sample.quadrant_id not in grid.by_quadrant:
                left_out += 1
                continue
            silent_weight[sample.quadrant_id] = silent_weight.get(sample.quadrant_id, 0.0) + weight
            silent_count[sample.quadrant_id] = silent_count.get(sample.quadrant_id, 0) + 1
            continue
        if where == OUTSIDE:
            outside += 1
            continue
        assert isinstance(where, int)
        own[where] += weight
        counts[where] += 1
        counted += 1
    scores = own.copy()
    for quadrant_id, weight in silent_weight.items():
        members = grid.quadrant_places(quadrant_id)
        if silent_count[quadrant_id] >= rules.silent_min_count:
            scores[list(members)] += weight / len(members)
            counted += silent_count[quadrant_id]
        else:
            left_out += silent_count[quadrant_id]
    z = gi_star(scores, grid.neighbours)
    scored = tuple(
        ScoredPlace(
            place=place,
            score=float(scores[i]),
            z=float(z[i]),
            alerts=int(counts[i]),
            hot=bool(z[i] >= rules.z_threshold and own[i] > 0),
            cell_score=float(own[i]),
        )
        for i, place in enumerate(grid.places)
    )
    return HotspotMap(
        as_of=as_of,
        rules=rules,
        scored=scored,
        alerts_counted=counted,
        alerts_outside=outside,
        silent_left_out=left_out,
        by_quadrant=grid.by_quadrant,
        alerts_not_counted=not_counted,
    )


def quadrant_scores(hotspots: HotspotMap, quadrant_ids: Sequence[str]) -> dict[str, float]:
    """Total score per quadrant (for an overview; silent weight included, as it was spread)."""
    return {q: sum(hotspots.scored[i].score for i in hotspots.by_quadrant.get(q, ())) for q in quadrant_ids}
