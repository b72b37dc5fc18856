"""Sources side by side, never added: a zone's months of alerts beside each agency's records, the ratio
between them and its trend, and police resources against demand per quadrant; small cells protected.

The stack's alerts are counted where they happened (place of occurrence); an agency's records as that
agency counts them (`basis`: police and prosecutors by occurrence, health by residence). Both can be right
and differ, so no figure here adds one source to another: each series is its own column.

Small cells: an agency's monthly value below the city's threshold is published as "<5"; the values of one
month, source and measure over the city's zones add up (the department or comuna is the sum of its
quadrants when the source has both), so the complementary cells are withheld as "x" with the nightly
indicators' own rule (vigia.indicators.suppression.protect). A total over months is published only when
every month under it was (a total adds no equation). Figures computed from a withheld value are withheld
(null). The stack's own counts are the nightly indicators' exact counts of non-silent alerts, which they
publish exactly (their feed lists each such alert); silent alerts are in no figure here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from vigia.indicators.suppression import WITHHELD, Sum, protect, small_marker

OCCURRENCE, RESIDENCE, UNKNOWN = "occurrence", "residence", "unknown"
ALERTS_SOURCE = "vigia"  # the stack's own series in an answer
TREND_MIN_MONTHS = 3  # fewer points than this: no slope (two points are a change, not a trend)

Published = int | float | str  # an exact value, or a marker ("<5", "x")
Series = tuple[str, str]  # (source, measure)
CellKey = tuple[str, str, str, str]  # (zone id, month, source, measure)


@dataclass(frozen=True)
class Record:
    """One agency's monthly aggregate for a zone, as ingestion wrote it in ObservatoryTable."""

    zone_kind: str
    zone_id: str
    month: str  # YYYY-MM
    source: str
    measure: str
    value: float
    dataset_id: str = ""
    basis: str = UNKNOWN
    respondents: float | None = None  # a survey's estimate: how many answered (its small-cell size)


@dataclass(frozen=True)
class MonthAlerts:
    """The stack's alerts of a zone in a month: the nightly indicators' count, and the days not computed."""

    month: str
    count: int
    days_missing: int
    computed: int = 1  # nights computed: none, and the month has no count of alerts (null, not 0)


def number(value: float) -> int | float:
    """A stored number as published: whole numbers as integers, others to two decimals."""
    return int(value) if float(value).is_integer() else round(float(value), 2)


def exact(value: Published | None) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# ---------------------------------------------------------------- small cells
def protect_records(
    records: Iterable[Record], threshold: int, *, city_zone: str, quadrants: Sequence[str]
) -> dict[CellKey, Published]:
    """Every record of the city's zones as published: exact, "<5" or "x".

    Protected together for every zone whatever one request asks, so that two answers (a quadrant's and the
    department's) give nothing a single one would not: per month, source and measure, the city's zone is
    the sum of its quadrants (treated as exact even where the source also counts places outside every
    quadrant: more is withheld, never less).
    """
    groups: dict[tuple[str, str, str], dict[str, Record]] = {}
    for r in records:
        groups.setdefault((r.month, r.source, r.measure), {})[r.zone_id] = r
    out: dict[CellKey, Published] = {}
    small = small_marker(threshold)
    for (month, source, measure), found in groups.items():
        # A survey's estimate is small when few answered, whatever it estimates; a count by its value.
        sizes = {z: r.value if r.respondents is None else r.respondents for z, r in found.items()}
        sums = [Sum(city_zone, tuple(q for q in quadrants if q in sizes))]
        hidden = protect(sizes, sums, threshold, order=str)  # type: ignore[arg-type]
        for zone, r in found.items():
            marker = (small if sizes[zone] < threshold else WITHHELD) if zone in hidden else None
            out[(zone, month, source, measure)] = marker or number(r.value)
    return out


def period_total(values: Sequence[Published | None], threshold: int) -> Published | None:
    """A total over months: the sum when every month under it was published exactly, else withheld.

    None when no month has a record. A sum of published values adds no equation; a sum with a withheld
    month would give that month back (the total minus the others).
    """
    present = [v for v in values if v is not None]
    if not present:
        return None
    if len(present) == 1:
        return present[0]  # one month: the total is that month, as it was published
    if not all(exact(v) for v in present):
        return WITHHELD
    total = sum(float(v) for v in present)  # type: ignore[arg-type]
    return number(total) if total >= threshold or total == 0 else small_marker(threshold)


# ---------------------------------------------------------------- ratio and trend
def ratio(records: Published | None, alerts: MonthAlerts | None) -> float | None:
    """The source's records per alert of the month: both exact, a whole month, alerts > 0; else None."""
    if not exact(records) or alerts is None or alerts.days_missing or alerts.count <= 0:
        return None
    return round(float(records) / alerts.count, 3)  # type: ignore[arg-type]


def slope(points: Sequence[tuple[int, float]]) -> float | None:
    """The least-squares slope of (month index, ratio): the ratio's change per month over the period.

    Chosen over month-over-month changes alone because one odd month moves it little; the answer gives
    both. Needs TREND_MIN_MONTHS points.
    """
    if len(points) < TREND_MIN_MONTHS:
        return None
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    sxx = sum((x - mean_x) ** 2 for x, _ in points)
    if sxx == 0:
        return None
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in points)
    return round(sxy / sxx, 4)


def compare(
    months: Sequence[str],
    alerts: Mapping[str, MonthAlerts],
    published: Mapping[tuple[str, str, str], Published],
    series: Mapping[Series, Mapping[str, Any]],
) -> dict[str, Any]:
    """A zone's months: the alerts and each source's value side by side, the ratio, its change and trend.

    `published` is the zone's records as `protect_records` publishes them, by (month, source, measure);
    `series` the sources' measures to show, with what is known of each (basis, dataset ids).
    """
    ordered = sorted(series)
    rows: list[dict[str, Any]] = []
    previous: dict[Series, float | None] = {}
    points: dict[Series, list[tuple[int, float]]] = {s: [] for s in ordered}
    for index, month in enumerate(months):
        own = alerts.get(month)
        cells = []
        for key in ordered:
            value = published.get((month, *key))
            r = ratio(value, own)
            before = previous.get(key)
            cells.append(
                {
                    "source": key[0],
                    "measure": key[1],
                    "value": value,
                    "ratio": r,
                    "change": None if r is None or before is None else round(r - before, 3),
                }
            )
            previous[key] = r
            if r is not None:
                points[key].append((index, r))
        rows.append(
            {
                "month": month,
                "alerts": own.count if own and own.computed else None,
                "days_missing": own.days_missing if own else None,
                "sources": cells,
            }
        )
    return {
        "series": [
            {
                "source": ALERTS_SOURCE,
                "measure": "alerts",
                "basis": OCCURRENCE,
                "dataset_ids": [],
            },
            *({"source": s, "measure": m, **series[(s, m)]} for s, m in ordered),
        ],
        "months": rows,
        "trends": [
            {
                "source": s,
                "measure": m,
                "slope_per_month": slope(points[(s, m)]),
                "months_with_ratio": len(points[(s, m)]),
            }
            for s, m in ordered
        ],
    }


def series_of(records: Iterable[Record]) -> dict[Series, dict[str, Any]]:
    """Each source's measure found, with its basis (one, or `mixed` when versions disagree) and datasets."""
    found: dict[Series, dict[str, Any]] = {}
    for r in records:
        entry = found.setdefault((r.source, r.measure), {"basis": r.basis, "dataset_ids": set()})
        if entry["basis"] != r.basis:
            entry["basis"] = "mixed"
        if r.dataset_id:
            entry["dataset_ids"].add(r.dataset_id)
    return {k: {"basis": v["basis"], "dataset_ids": sorted(v["dataset_ids"])} for k, v in found.items()}


# ---------------------------------------------------------------- resources against demand
@dataclass(frozen=True)
class QuadrantDemand:
    quadrant_id: str
    name: str
    population: int
    units: int
    unit_hours_per_day: float
    alerts: int
    days_missing: int
    patrol_planned_min: float | None
    patrol_done_min: float | None


def per_100k(value: Published | None, population: int) -> float | None:
    if not exact(value) or population <= 0:
        return None
    return round(float(value) * 100_000 / population, 2)  # type: ignore[arg-type]


def resources(
    quadrants: Sequence[QuadrantDemand],
    recorded: Mapping[str, Mapping[Series, Published | None]],
    series: Mapping[Series, Mapping[str, Any]],
) -> list[dict[str, Any]]:
    """Per quadrant: units and patrol dosage beside alerts and each source's recorded crime per 100,000.

    `recorded[quadrant][series]` is the period's total as `period_total` publishes it. Units and patrol
    minutes are the city's own resources, not counts of people or events: published exactly.
    """
    out = []
    for q in quadrants:
        planned, done = q.patrol_planned_min, q.patrol_done_min
        out.append(
            {
                "quadrant_id": q.quadrant_id,
                "name": q.name,
                "population": q.population or None,
                "units": q.units,
                "units_per_100k": per_100k(q.units, q.population),
                "unit_hours_per_day": q.unit_hours_per_day,
                "patrol_planned_min": planned,
                "patrol_done_min": done,
                "patrol_dosage_compliance": round((done or 0.0) / planned, 3) if planned else None,
                "alerts": q.alerts,
                "alerts_per_100k": per_100k(q.alerts, q.population),
                "days_missing": q.days_missing,
                "recorded": [
                    {
                        "source": s,
                        "measure": m,
                        "basis": series[(s, m)]["basis"],
                        "value": recorded.get(q.quadrant_id, {}).get((s, m)),
                        "per_100k": per_100k(recorded.get(q.quadrant_id, {}).get((s, m)), q.population),
                    }
                    for s, m in sorted(series)
                ],
            }
        )
    return out
