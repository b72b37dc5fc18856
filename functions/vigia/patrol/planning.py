"""Planning a day of hot-spot patrols for a city: its units, its hot spots, its rules, one seed."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from datetime import date as Date
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from vigia.errors import FieldError, InvalidRequest
from vigia.hotspots import HotspotMap
from vigia.patrol.duty import RosterUnit, ShiftTimes, duties_from_request, duties_from_roster
from vigia.patrol.schedule import FixedPoint, PatrolRules, Schedule, generate
from vigia.patrol.surveys import Question

if TYPE_CHECKING:
    from vigia.city import CityPack

MAX_SEED = 2**53 - 1  # exact in JSON numbers


def patrol_rules(pack: CityPack) -> PatrolRules:
    p = pack.settings.patrol
    return PatrolRules(p.fixed_point_min, p.patrol_min, p.no_return_hours)


def roster(pack: CityPack) -> dict[str, RosterUnit]:
    return {
        u.unit_id: RosterUnit(u.unit_id, u.quadrant_id, tuple(ShiftTimes(s.start, s.end) for s in u.shifts))
        for u in pack.units.values()
    }


def questions(pack: CityPack) -> dict[str, Question]:
    return {q.question_id: Question(q.question_id, q.scale) for q in pack.perception_questions.values()}


def parse_date(text: str | None, field: str = "/date") -> Date:
    if text is None:
        raise InvalidRequest(f"{field} is required (YYYY-MM-DD).", errors=[FieldError(field, "required")])
    try:
        return Date.fromisoformat(text)
    except ValueError:
        raise InvalidRequest(
            f"{field} is not a date: {text!r}.", errors=[FieldError(field, "expected a date as YYYY-MM-DD")]
        ) from None


def new_seed() -> int:
    return secrets.randbelow(MAX_SEED)


def fixed_points_by_quadrant(
    hotspots: HotspotMap, quadrant_ids: Sequence[str], minimum: int
) -> tuple[dict[str, list[FixedPoint]], list[str]]:
    points: dict[str, list[FixedPoint]] = {}
    warnings: list[str] = []
    for quadrant_id in sorted(set(quadrant_ids)):
        places, notes = hotspots.fixed_points(quadrant_id, minimum)
        warnings.extend(notes)
        points[quadrant_id] = [
            FixedPoint(p.place_id, p.place.lat, p.place.lon, p.score, p.hot) for p in places
        ]
    return points, warnings


def plan_day(
    day: Date,
    pack: CityPack,
    hotspots: HotspotMap,
    *,
    seed: int | None,
    units: Sequence[Mapping[str, Any]] | None,
    generated_at: datetime,
) -> Schedule:
    """The schedule for `day`: the pack's units, or those of the request (InvalidRequest if unknown)."""
    zone = ZoneInfo(pack.time_zone)
    units_of_pack = roster(pack)
    if units is None:
        duties = duties_from_roster(units_of_pack.values(), day, zone)
    else:
        duties = duties_from_request(units, units_of_pack, pack.quadrants.keys(), day, zone)
    rules = patrol_rules(pack)
    points, warnings = fixed_points_by_quadrant(hotspots, [d.quadrant_id for d in duties], rules.spacing)
    if not duties:
        warnings.append(f"No unit is on duty on {day.isoformat()}.")
    schedule = generate(
        day.isoformat(),
        duties,
        points,
        seed=new_seed() if seed is None else seed,
        rules=rules,
        time_zone=pack.time_zone,
        generated_at=generated_at,
        warnings=warnings,
    )
    return schedule
