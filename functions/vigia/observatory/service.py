"""GET /v1/observatory/compare and /resources: parameters checked, the stores read, vigia.observatory.compare
applied (no AWS here: the stores are ports)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol

from vigia import clock
from vigia.errors import FieldError, InvalidRequest, Unprocessable
from vigia.indicators.days import days_between, previous_local_day
from vigia.indicators.frame import CityFrame
from vigia.indicators.service import StoredCell
from vigia.indicators.table import ALL, CITY, CITY_LEVEL, QUADRANT_LEVEL
from vigia.observatory.compare import (
    MonthAlerts,
    QuadrantDemand,
    Record,
    Series,
    compare,
    period_total,
    protect_records,
    resources,
    series_of,
)

MAX_MONTHS = 12  # a month reads its nights' cells (BatchGetItem); longer series: the lake (make sql)
DEFAULT_MONTHS = 6
_MONTH = re.compile(r"^(20[0-9]{2})-(0[1-9]|1[0-2])$")
# The city's administrative unit as the sources name it: ObservatoryTable's zone_kind for the pack's code.
ZONE_KIND_OF_SCHEME = {"INDEC": "department", "CUT": "comuna"}
BASIS_NOTE = (
    "Sources are compared side by side and never added. The stack's alerts are counted by place of "
    "occurrence (where the alert was raised); each source says its own basis: occurrence (police, "
    "prosecutors: where it happened) or residence (health: where the person lives). Both can be right "
    "and differ."
)


class IndicatorDays(Protocol):
    def zone_cells(
        self, days: Sequence[str], zones: Sequence[str], type_: str
    ) -> Mapping[tuple[str, str], StoredCell]: ...


class SourceRecords(Protocol):
    def records(self, zone_kind: str, zone_id: str, first: str, last: str) -> list[Record]: ...


@dataclass(frozen=True)
class Unit:
    quadrant_id: str
    hours_per_day: float


@dataclass(frozen=True)
class Zone:
    kind: str  # ObservatoryTable's zone_kind: quadrant, department, comuna
    id: str
    indicator_zone: str  # the nightly indicators' zone: city or the quadrant id
    name: str
    population: int


# ---------------------------------------------------------------- parameters
def city_zone(frame: CityFrame) -> Zone:
    scheme = str(frame.official_code.get("scheme", ""))
    kind = ZONE_KIND_OF_SCHEME.get(scheme, scheme.lower() or "city")
    return Zone(kind, str(frame.official_code.get("value") or CITY), CITY, frame.name, frame.population)


def known_zone(frame: CityFrame, text: str | None) -> Zone:
    city = city_zone(frame)
    if text in (None, CITY, city.id):
        return city
    if text in frame.quadrants:
        q = frame.quadrants[text]
        return Zone("quadrant", q.quadrant_id, q.quadrant_id, q.name, q.population)
    raise InvalidRequest(
        f"Unknown zone {text}.",
        errors=[FieldError("/zone", f"expected city, {city.id} or a quadrant id of the city pack")],
    )


def parse_month(text: str | None, field: str) -> date:
    match = _MONTH.match(text or "")
    if not match:
        raise InvalidRequest(
            f"{field[1:]} must be a month as YYYY-MM (years 2000-2099).",
            errors=[FieldError(field, "expected YYYY-MM")],
        )
    return date(int(match[1]), int(match[2]), 1)


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def month_range(params: Mapping[str, str | None], frame: CityFrame, now: datetime) -> list[date]:
    """[from, to] as first days of months: to defaults to the month of yesterday, from to 6 months back."""
    latest = previous_local_day(now, frame.time_zone).replace(day=1)
    last = parse_month(params["to"], "/to") if params.get("to") else latest
    first = (
        parse_month(params["from"], "/from") if params.get("from") else add_months(last, 1 - DEFAULT_MONTHS)
    )
    count = (last.year - first.year) * 12 + last.month - first.month + 1
    clock.check_period(first, last, most=MAX_MONTHS, count=count, unit="months")
    return [add_months(first, i) for i in range(count)]


def wanted_series(text: str | None, found: Mapping[Series, Any]) -> set[Series]:
    """`measures`: comma-separated `source:measure` or `measure` (every source's); absent: all found.

    A name no source has for the city's zones in the period is a 422 naming /measures: the document cannot
    list the measures, which are what analysts have ingested.
    """
    if not text:
        return set(found)
    chosen: set[Series] = set()
    unknown = []
    for token in (t for t in text.split(",") if t):
        source, _, measure = token.rpartition(":")
        hits = {s for s in found if s[1] == measure and (not source or s[0] == source)}
        if not hits:
            unknown.append(token)
        chosen |= hits
    if unknown:
        have = ", ".join(f"{s}:{m}" for s, m in sorted(found)) or "none"
        raise Unprocessable(
            f"No source has {', '.join(unknown)} for this city in the period.",
            errors=[FieldError("/measures", f"unknown: {', '.join(unknown)}; in the period: {have}")],
        )
    return chosen


# ---------------------------------------------------------------- reading
def _month_key(month: date) -> str:
    return month.strftime("%Y-%m")


def month_end(month: date) -> date:
    return add_months(month, 1) - timedelta(days=1)


def _own_months(
    months: Sequence[date], level: str, *, frame: CityFrame, days: IndicatorDays, now: datetime
) -> tuple[dict[str, dict[str, MonthAlerts]], dict[str, tuple[float | None, float | None]]]:
    """Per zone of `level` and month: the nightly `all` rows' exact count of (non-silent) alerts and the
    days not computed; per zone: the patrol minutes planned and done over the period (None: no schedule)."""
    yesterday = previous_local_day(now, frame.time_zone)
    zones = [CITY] if level == CITY_LEVEL else sorted(frame.quadrants)
    counts: dict[str, dict[str, MonthAlerts]] = {}
    patrol: dict[str, tuple[float | None, float | None]] = {}
    for month in months:
        key = _month_key(month)
        over = [d.isoformat() for d in days_between(month, month_end(month)) if d <= yesterday]
        cells = days.zone_cells(over, zones, ALL) if over else {}
        for zone in zones:
            mine = [cells[(d, zone)] for d in over if (d, zone) in cells]
            missing = month_end(month).day - len(mine)
            counts.setdefault(zone, {})[key] = MonthAlerts(
                key, sum(c.stats.count for c in mine), missing, computed=len(mine)
            )
            for c in mine:
                if c.stats.patrol_planned_min is not None:
                    planned, done = patrol.get(zone, (0.0, 0.0))
                    patrol[zone] = (
                        round((planned or 0.0) + c.stats.patrol_planned_min, 1),
                        round((done or 0.0) + (c.stats.patrol_done_min or 0.0), 1),
                    )
    return counts, patrol


def _records(
    frame: CityFrame, source: SourceRecords, first: str, last: str
) -> tuple[list[Record], Zone, list[Zone]]:
    city = city_zone(frame)
    quadrants = [known_zone(frame, q) for q in sorted(frame.quadrants)]
    records = [r for z in (city, *quadrants) for r in source.records(z.kind, z.id, first, last)]
    return records, city, quadrants


def _statement(frame: CityFrame, first: date, last: date) -> dict[str, Any]:
    return {
        "from": _month_key(first),
        "to": _month_key(last),
        "threshold": frame.small_cell_threshold,
        "basis_note": BASIS_NOTE,
        **frame.population_statement(),
    }


def read_compare(
    params: Mapping[str, str | None],
    *,
    frame: CityFrame,
    days: IndicatorDays,
    source: SourceRecords,
    now: datetime,
) -> dict[str, Any]:
    """GET /v1/observatory/compare: one zone's months, the alerts beside each source's records."""
    zone = known_zone(frame, params.get("zone"))
    months = month_range(params, frame, now)
    first, last = _month_key(months[0]), _month_key(months[-1])
    records, city, quadrants = _records(frame, source, first, last)
    series = series_of(records)
    chosen = wanted_series(params.get("measures"), series)
    published = protect_records(
        records, frame.small_cell_threshold, city_zone=city.id, quadrants=[q.id for q in quadrants]
    )
    level = CITY_LEVEL if zone.indicator_zone == CITY else QUADRANT_LEVEL
    own, _ = _own_months(months, level, frame=frame, days=days, now=now)
    mine = {(m, s, ms): v for (z, m, s, ms), v in published.items() if z == zone.id}
    shown = {k: v for k, v in series.items() if k in chosen and any(key[1:] == k for key in mine)}
    body = compare([_month_key(m) for m in months], own.get(zone.indicator_zone, {}), mine, shown)
    return {
        "zone": {"kind": zone.kind, "id": zone.id, "name": zone.name, "population": zone.population or None},
        **_statement(frame, months[0], months[-1]),
        **body,
    }


def read_resources(
    params: Mapping[str, str | None],
    *,
    frame: CityFrame,
    units: Sequence[Unit],
    days: IndicatorDays,
    source: SourceRecords,
    now: datetime,
) -> dict[str, Any]:
    """GET /v1/observatory/resources: per quadrant, police units and patrol dosage against alerts and each
    source's recorded crime, per 100,000 inhabitants of the quadrant (the pack's population)."""
    months = month_range(params, frame, now)
    first, last = _month_key(months[0]), _month_key(months[-1])
    records, city, quadrants = _records(frame, source, first, last)
    series = series_of(r for r in records if r.zone_kind == "quadrant")
    published = protect_records(
        records, frame.small_cell_threshold, city_zone=city.id, quadrants=[q.id for q in quadrants]
    )
    own, patrol = _own_months(months, QUADRANT_LEVEL, frame=frame, days=days, now=now)
    recorded = {
        q.id: {
            s: period_total(
                [published.get((q.id, _month_key(m), *s)) for m in months], frame.small_cell_threshold
            )
            for s in series
        }
        for q in quadrants
    }
    demand = [
        QuadrantDemand(
            quadrant_id=q.id,
            name=q.name,
            population=q.population,
            units=sum(1 for u in units if u.quadrant_id == q.id),
            unit_hours_per_day=round(sum(u.hours_per_day for u in units if u.quadrant_id == q.id), 1),
            alerts=sum(m.count for m in own.get(q.id, {}).values()),
            days_missing=sum(m.days_missing for m in own.get(q.id, {}).values()),
            patrol_planned_min=patrol.get(q.id, (None, None))[0],
            patrol_done_min=patrol.get(q.id, (None, None))[1],
        )
        for q in quadrants
    ]
    return {
        **_statement(frame, months[0], months[-1]),
        "population_by_quadrant": all(q.population > 0 for q in quadrants),
        "series": [{"source": s, "measure": m, **series[(s, m)]} for s, m in sorted(series)],
        "quadrants": resources(demand, recorded, series),
    }


def shift_hours(start: time, end: time) -> float:
    """A shift's length in hours; one that ends at or before it starts runs past midnight."""
    minutes = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
    return (minutes if minutes > 0 else minutes + 24 * 60) / 60
