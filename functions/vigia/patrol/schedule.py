"""Hot-spot patrol schedules: every hour of a unit's shift, a fixed point among its quadrant's hot spots.

Each hour (a cycle of `fixed_point_min` + `patrol_min`, 14 + 46 by default) a unit stands at a fixed
point, then patrols its quadrant, then moves on. Which fixed point:

- how often: in proportion to each hot spot's score (apportionment.py, largest remainder);
- in what order: unpredictable to an outsider, reproducible from the seed: the next fixed point is
  drawn at random, weighted by the stops each place still has to get, among the places the unit has
  not stood at for `no_return_hours`; a draw is kept only if the rest of the day can still be laid
  out without a return too soon (checked by laying it out greedily, most stops left first). So the
  rule holds whenever the quadrant has enough places, and is broken only when it has too few.
- several units in one quadrant avoid standing at the same fixed point in the same hour when they can.

The random stream is Python's Mersenne Twister seeded with the text "seed/date/unit": the same seed
gives the same schedule on every machine and Python version (string seeds are hashed with SHA-512).
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from vigia.patrol.apportionment import stop_counts


@dataclass(frozen=True)
class PatrolRules:
    fixed_point_min: int = 14
    patrol_min: int = 46
    no_return_hours: float = 3

    @property
    def cycle(self) -> timedelta:
        return timedelta(minutes=self.fixed_point_min + self.patrol_min)

    @property
    def no_return(self) -> timedelta:
        return timedelta(hours=self.no_return_hours)

    @property
    def spacing(self) -> int:
        """Consecutive cycles that must separate two stops of a unit at the same place."""
        return max(1, math.ceil(self.no_return / self.cycle))


@dataclass(frozen=True)
class Window:
    """Part of a shift inside the schedule's date, as aware instants; [start, end)."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class Duty:
    unit_id: str
    quadrant_id: str
    windows: tuple[Window, ...]


@dataclass(frozen=True)
class FixedPoint:
    """A place a unit may stand at, with the weight that decides how often."""

    place_id: str
    lat: float
    lon: float
    weight: float
    hot_spot: bool = True


@dataclass(frozen=True)
class Stop:
    start: datetime
    end: datetime  # end of the fixed point; the patrol of the quadrant follows until patrol_end
    patrol_end: datetime
    place_id: str
    lat: float
    lon: float
    hot_spot: bool

    def view(self, zone: ZoneInfo) -> dict[str, Any]:
        return {
            "start": local_iso(self.start, zone),
            "end": local_iso(self.end, zone),
            "patrol_end": local_iso(self.patrol_end, zone),
            "place_id": self.place_id,
            "lat": self.lat,
            "lon": self.lon,
            "hot_spot": self.hot_spot,
        }

    @classmethod
    def from_view(cls, data: Mapping[str, Any]) -> Stop:
        return cls(
            start=datetime.fromisoformat(data["start"]),
            end=datetime.fromisoformat(data["end"]),
            patrol_end=datetime.fromisoformat(data["patrol_end"]),
            place_id=data["place_id"],
            lat=float(data["lat"]),
            lon=float(data["lon"]),
            hot_spot=bool(data.get("hot_spot", True)),
        )


@dataclass(frozen=True)
class UnitSchedule:
    unit_id: str
    quadrant_id: str
    stops: tuple[Stop, ...]

    def view(self, zone: ZoneInfo) -> dict[str, Any]:
        return {
            "unit_id": self.unit_id,
            "quadrant_id": self.quadrant_id,
            "stops": [stop.view(zone) for stop in self.stops],
        }

    @classmethod
    def from_view(cls, data: Mapping[str, Any]) -> UnitSchedule:
        return cls(data["unit_id"], data["quadrant_id"], tuple(Stop.from_view(s) for s in data["stops"]))


@dataclass(frozen=True)
class Schedule:
    date: str
    seed: int
    time_zone: str
    generated_at: datetime
    rules: PatrolRules
    units: tuple[UnitSchedule, ...]
    warnings: tuple[str, ...] = ()
    hotspots_as_of: datetime | None = field(default=None)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def as_of(self, instant: datetime) -> Schedule:
        """The same schedule, planned from the hot spots as of `instant`."""
        return replace(self, hotspots_as_of=instant)

    def unit(self, unit_id: str) -> UnitSchedule | None:
        return next((u for u in self.units if u.unit_id == unit_id), None)

    def only(self, unit_id: str) -> Schedule:
        unit = self.unit(unit_id)
        return replace(self, units=(unit,) if unit else ())

    def header(self) -> dict[str, Any]:
        return {
            "date": self.date,
            "seed": self.seed,
            "time_zone": self.time_zone,
            "generated_at": self.generated_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "fixed_point_min": self.rules.fixed_point_min,
            "patrol_min": self.rules.patrol_min,
            "no_return_hours": self.rules.no_return_hours,
            "warnings": list(self.warnings),
        }

    def view(self) -> dict[str, Any]:
        zone = self.zone
        return {**self.header(), "units": [unit.view(zone) for unit in self.units]}

    @classmethod
    def from_parts(cls, header: Mapping[str, Any], units: Sequence[Mapping[str, Any]]) -> Schedule:
        return cls(
            date=header["date"],
            seed=int(header["seed"]),
            time_zone=header["time_zone"],
            generated_at=datetime.fromisoformat(str(header["generated_at"]).replace("Z", "+00:00")),
            rules=PatrolRules(
                int(header["fixed_point_min"]), int(header["patrol_min"]), float(header["no_return_hours"])
            ),
            units=tuple(sorted((UnitSchedule.from_view(u) for u in units), key=lambda u: u.unit_id)),
            warnings=tuple(header.get("warnings") or ()),
        )


def local_iso(instant: datetime, zone: ZoneInfo) -> str:
    """ISO-8601 with the city's offset, to the second: 2026-03-02T08:00:00-03:00."""
    return instant.astimezone(zone).isoformat(timespec="seconds")


def slots(duty: Duty, rules: PatrolRules) -> list[datetime]:
    """The start of every whole cycle inside the duty's windows (UTC arithmetic: DST-safe)."""
    starts: list[datetime] = []
    for window in duty.windows:
        t = window.start.astimezone(UTC)
        end = window.end.astimezone(UTC)
        while t + rules.cycle <= end:
            starts.append(t)
            t += rules.cycle
    return starts


def generate(
    date: str,
    duties: Sequence[Duty],
    fixed_points: Mapping[str, Sequence[FixedPoint]],
    *,
    seed: int,
    rules: PatrolRules,
    time_zone: str,
    generated_at: datetime,
    warnings: Sequence[str] = (),
) -> Schedule:
    """The day's schedule for every unit on duty; `fixed_points` are by quadrant, best first."""
    notes = list(warnings)
    occupied: dict[str, set[tuple[str, datetime]]] = {}
    units = []
    for duty in sorted(duties, key=lambda d: d.unit_id):
        starts = slots(duty, rules)
        leftover = _leftover_minutes(duty, rules)
        if leftover:
            notes.append(
                f"Unit {duty.unit_id}: {leftover} minute(s) of its shift are shorter than a fixed point "
                f"plus patrol ({int(rules.cycle.total_seconds() // 60)} min) and have no stop."
            )
        points = list(fixed_points.get(duty.quadrant_id, ()))
        if starts and not points:
            notes.append(f"Unit {duty.unit_id}: quadrant {duty.quadrant_id} has no place to stand at.")
            units.append(UnitSchedule(duty.unit_id, duty.quadrant_id, ()))
            continue
        rng = random.Random(f"vigia-patrol/{seed}/{date}/{duty.unit_id}")
        taken = occupied.setdefault(duty.quadrant_id, set())
        order = plan_order(
            starts, [p.weight for p in points], [p.place_id for p in points], rules, rng, taken
        )
        stops = []
        for start, index in zip(starts, order, strict=True):
            point = points[index]
            end = start + timedelta(minutes=rules.fixed_point_min)
            stops.append(
                Stop(start, end, start + rules.cycle, point.place_id, point.lat, point.lon, point.hot_spot)
            )
            taken.add((point.place_id, start))
        units.append(UnitSchedule(duty.unit_id, duty.quadrant_id, tuple(stops)))
    return Schedule(date, seed, time_zone, generated_at, rules, tuple(units), tuple(notes))


def _leftover_minutes(duty: Duty, rules: PatrolRules) -> int:
    total = 0
    for window in duty.windows:
        length = window.end.astimezone(UTC) - window.start.astimezone(UTC)
        whole = length // rules.cycle
        total += int((length - whole * rules.cycle).total_seconds() // 60)
    return total


def plan_order(
    starts: Sequence[datetime],
    weights: Sequence[float],
    place_ids: Sequence[str],
    rules: PatrolRules,
    rng: random.Random,
    occupied: set[tuple[str, datetime]] | None = None,
) -> list[int]:
    """For each slot, the index of the place the unit stands at."""
    n = len(starts)
    if n == 0:
        return []
    counts = stop_counts(n, weights, rules.spacing)
    remaining = {i: c for i, c in enumerate(counts) if c > 0}
    seconds = [t.timestamp() for t in starts]  # plain numbers: the check below runs often
    gap = rules.no_return.total_seconds()
    last: dict[int, float] = {}
    order: list[int] = []
    busy = occupied or set()
    for position, start in enumerate(starts):
        now = seconds[position]
        available = [i for i in remaining if i not in last or now - last[i] >= gap]
        # Weighted random order (Efraimidis-Spirakis keys): places with more stops left come up more.
        drawn = sorted(available, key=lambda i: rng.random() ** (1.0 / remaining[i]), reverse=True)
        drawn.sort(key=lambda i: (place_ids[i], start) in busy)  # stable: free places first
        choice = next((i for i in drawn if _completes(seconds, position, i, remaining, last, gap)), None)
        if choice is None:
            # Nothing keeps the day feasible (too few places): take the place the unit left longest ago.
            pool = available or list(remaining)
            choice = min(pool, key=lambda i: (last.get(i, -math.inf), -remaining[i], i))
        order.append(choice)
        last[choice] = now
        remaining[choice] -= 1
        if remaining[choice] == 0:
            del remaining[choice]
    return order


def _completes(
    seconds: Sequence[float],
    position: int,
    choice: int,
    remaining: Mapping[int, int],
    last: Mapping[int, float],
    gap: float,
) -> bool:
    """Whether, after `choice` at `position`, the rest of the day can be laid out with no return too soon.

    Lays it out greedily: the free place with most stops left, the one left longest ago on a tie.
    """
    left = dict(remaining)
    seen = dict(last)
    seen[choice] = seconds[position]
    left[choice] -= 1
    if left[choice] == 0:
        del left[choice]
    for now in seconds[position + 1 :]:
        best = -1
        best_key = (0, 0.0, 0)
        for i, count in left.items():
            previous = seen.get(i, -math.inf)
            if now - previous < gap:
                continue
            key = (count, -previous, -i)
            if best < 0 or key > best_key:
                best, best_key = i, key
        if best < 0:
            return False
        seen[best] = now
        left[best] -= 1
        if left[best] == 0:
            del left[best]
    return True
