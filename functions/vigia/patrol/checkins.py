"""Closing the loop: a unit checks in at its fixed point, and the day's dosage is planned vs done minutes.

A check-in matches the planned stop when it is made within the stop's window (start to end of the
fixed point, both included) and within `radius_m` (150 m) of the fixed point. It counts from the
check-in to the end of the fixed point: a unit that arrives 4 minutes late at a 14-minute stop did
10 minutes there. A second check-in at the same stop adds nothing (the first one counts).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from vigia.city.geo import haversine_m
from vigia.patrol.schedule import Schedule, Stop, UnitSchedule

CHECKIN_RADIUS_M = 150.0

MATCHED = "matched"
TOO_FAR = "too_far"
NO_STOP_NOW = "no_stop_now"
NO_SCHEDULE = "no_schedule"


@dataclass(frozen=True)
class CheckIn:
    checkin_id: str
    unit_id: str
    date: str  # the schedule's local date
    at: datetime
    lat: float
    lon: float
    accuracy_m: float | None
    matched: bool
    outcome: str
    stop_start: datetime | None = None  # the planned stop it matched (or was nearest in time to)
    place_id: str | None = None
    distance_m: float | None = None

    def view(self, schedule_zone: Any = None) -> dict[str, Any]:
        def show(t: datetime | None) -> str | None:
            if t is None:
                return None
            return (t.astimezone(schedule_zone) if schedule_zone else t).isoformat(timespec="seconds")

        return {
            "checkin_id": self.checkin_id,
            "unit_id": self.unit_id,
            "date": self.date,
            "at": show(self.at),
            "matched": self.matched,
            "outcome": self.outcome,
            "stop_start": show(self.stop_start),
            "place_id": self.place_id,
            "distance_m": None if self.distance_m is None else round(self.distance_m, 1),
        }


def current_stop(unit: UnitSchedule, at: datetime) -> Stop | None:
    return next((s for s in unit.stops if s.start <= at <= s.end), None)


def match(
    unit: UnitSchedule | None,
    *,
    checkin_id: str,
    unit_id: str,
    date: str,
    at: datetime,
    lat: float,
    lon: float,
    accuracy_m: float | None = None,
    radius_m: float = CHECKIN_RADIUS_M,
) -> CheckIn:
    """The check-in, matched or not, with why."""

    def outcome(result: str, stop: Stop | None = None, distance: float | None = None) -> CheckIn:
        return CheckIn(
            checkin_id=checkin_id,
            unit_id=unit_id,
            date=date,
            at=at,
            lat=lat,
            lon=lon,
            accuracy_m=accuracy_m,
            matched=result == MATCHED,
            outcome=result,
            stop_start=stop.start if stop else None,
            place_id=stop.place_id if stop else None,
            distance_m=distance,
        )

    if unit is None or not unit.stops:
        return outcome(NO_SCHEDULE)
    stop = current_stop(unit, at)
    if stop is None:
        return outcome(NO_STOP_NOW)
    distance = haversine_m((lat, lon), (stop.lat, stop.lon))
    return outcome(MATCHED if distance <= radius_m else TOO_FAR, stop, distance)


@dataclass(frozen=True)
class Dosage:
    place_id: str
    quadrant_id: str
    stops_planned: int
    stops_done: int
    planned_min: float
    done_min: float

    @property
    def compliance(self) -> float:
        return self.done_min / self.planned_min if self.planned_min else 0.0

    def view(self) -> dict[str, Any]:
        return {
            "place_id": self.place_id,
            "quadrant_id": self.quadrant_id,
            "stops_planned": self.stops_planned,
            "stops_done": self.stops_done,
            "planned_min": round(self.planned_min, 1),
            "done_min": round(self.done_min, 1),
            "compliance": round(self.compliance, 3),
        }


def done_minutes(stop: Stop, checkins: Sequence[CheckIn]) -> float:
    """Minutes at the fixed point from the first matching check-in to the stop's end."""
    times = [
        c.at for c in checkins if c.matched and c.stop_start == stop.start and c.place_id == stop.place_id
    ]
    if not times:
        return 0.0
    arrived = max(min(times), stop.start)
    return max((stop.end - arrived).total_seconds() / 60.0, 0.0)


def dosage(schedule: Schedule, checkins: Iterable[CheckIn]) -> dict[str, Any]:
    """Planned vs done minutes per hot spot, per unit and in total, for the schedule's date."""
    by_unit: dict[str, list[CheckIn]] = {}
    for c in checkins:
        by_unit.setdefault(c.unit_id, []).append(c)
    places: dict[str, list[float]] = {}
    quadrant_of: dict[str, str] = {}
    units = []
    for unit in schedule.units:
        mine = by_unit.get(unit.unit_id, [])
        planned = done = 0.0
        stops_done = 0
        for stop in unit.stops:
            minutes = (stop.end - stop.start).total_seconds() / 60.0
            got = done_minutes(stop, mine)
            row = places.setdefault(stop.place_id, [0, 0, 0.0, 0.0])
            quadrant_of[stop.place_id] = unit.quadrant_id
            row[0] += 1
            row[1] += 1 if got > 0 else 0
            row[2] += minutes
            row[3] += got
            planned += minutes
            done += got
            stops_done += 1 if got > 0 else 0
        units.append(
            {
                "unit_id": unit.unit_id,
                "quadrant_id": unit.quadrant_id,
                "stops_planned": len(unit.stops),
                "stops_done": stops_done,
                "planned_min": round(planned, 1),
                "done_min": round(done, 1),
                "compliance": round(done / planned, 3) if planned else 0.0,
            }
        )
    rows = [
        Dosage(pid, quadrant_of[pid], int(r[0]), int(r[1]), r[2], r[3]) for pid, r in sorted(places.items())
    ]
    planned_total = sum(r.planned_min for r in rows)
    done_total = sum(r.done_min for r in rows)
    return {
        "date": schedule.date,
        "places": [r.view() for r in sorted(rows, key=lambda r: (r.quadrant_id, -r.planned_min, r.place_id))],
        "units": units,
        "totals": {
            "stops_planned": sum(r.stops_planned for r in rows),
            "stops_done": sum(r.stops_done for r in rows),
            "planned_min": round(planned_total, 1),
            "done_min": round(done_total, 1),
            "compliance": round(done_total / planned_total, 3) if planned_total else 0.0,
        },
    }
