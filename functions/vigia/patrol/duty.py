"""Who is on duty on a date, where and when: from the city pack, or overridden in a request.

A schedule covers one local date, [00:00, 24:00) in the city's time zone. A city-pack shift that
runs past midnight (20:00-02:00) contributes both of its parts that fall on the date: 00:00-02:00
(the end of the previous evening's shift) and 20:00-24:00. Back-to-back shifts are joined, so a
unit on 14:00-20:00 and 20:00-02:00 gets one unbroken run of hourly stops.

A request may name each unit's quadrant and shifts; its shifts must lie within the date
("HH:MM" local times, "24:00" for midnight at the end, or ISO-8601 instants with an offset).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from datetime import date as Date
from typing import Any
from zoneinfo import ZoneInfo

from vigia.errors import FieldError, InvalidRequest, Unprocessable
from vigia.patrol.schedule import Duty, Window

_HHMM = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")
_ISO_DAY = re.compile(r"^20[0-9]{2}-[0-9]{2}-[0-9]{2}T")


@dataclass(frozen=True)
class ShiftTimes:
    """A shift as the city pack states it: local wall-clock start and end (end <= start: past midnight)."""

    start: time
    end: time


@dataclass(frozen=True)
class RosterUnit:
    unit_id: str
    quadrant_id: str
    shifts: tuple[ShiftTimes, ...]


def day_bounds(day: Date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """Local midnight to the next local midnight, as UTC instants (23 or 25 hours apart on DST days)."""
    return _at(day, time(0), zone), _at(day + timedelta(days=1), time(0), zone)


def _at(day: Date, clock: time, zone: ZoneInfo) -> datetime:
    # In UTC: arithmetic on datetimes sharing a ZoneInfo is wall-clock arithmetic, wrong across DST.
    return datetime.combine(day, clock, zone).astimezone(UTC)


def merge(windows: Iterable[Window]) -> tuple[Window, ...]:
    """Sorted, with touching or overlapping windows joined."""
    merged: list[Window] = []
    for w in sorted(windows, key=lambda w: w.start):
        if merged and w.start <= merged[-1].end:
            if w.end > merged[-1].end:
                merged[-1] = Window(merged[-1].start, w.end)
            continue
        merged.append(w)
    return tuple(merged)


def roster_windows(shifts: Sequence[ShiftTimes], day: Date, zone: ZoneInfo) -> tuple[Window, ...]:
    """The parts of the roster's shifts that fall on `day`."""
    midnight, next_midnight = day_bounds(day, zone)
    windows = []
    for shift in shifts:
        if shift.end > shift.start:
            windows.append(Window(_at(day, shift.start, zone), _at(day, shift.end, zone)))
            continue
        if shift.end > time(0):
            windows.append(Window(midnight, _at(day, shift.end, zone)))
        windows.append(Window(_at(day, shift.start, zone), next_midnight))
    return merge(windows)


def duties_from_roster(units: Iterable[RosterUnit], day: Date, zone: ZoneInfo) -> list[Duty]:
    duties = []
    for unit in units:
        windows = roster_windows(unit.shifts, day, zone)
        if windows:
            duties.append(Duty(unit.unit_id, unit.quadrant_id, windows))
    return duties


def _parse_moment(text: str, day: Date, zone: ZoneInfo) -> datetime | None:
    """An "HH:MM" on `day` or an ISO-8601 instant with offset; None if it is neither."""
    match = _HHMM.match(text)
    if match:
        hours, minutes = int(match.group(1)), int(match.group(2))
        if hours == 24:
            return None if minutes else day_bounds(day, zone)[1]
        return _at(day, time(hours, minutes), zone)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo is not None else None


def duties_from_request(
    units: Sequence[Mapping[str, Any]],
    roster: Mapping[str, RosterUnit],
    quadrants: Iterable[str],
    day: Date,
    zone: ZoneInfo,
) -> list[Duty]:
    """Duties from a request's `units`; InvalidRequest (400) naming every bad field (an unknown unit or
    quadrant, a shift time that is malformed), else Unprocessable (422) for what only the fields together
    refuse (a unit listed twice, a shift empty, outside the date or overlapping another): the OpenAPI
    document gives each field its shape, not these rules between them."""
    known_quadrants = set(quadrants)
    midnight, next_midnight = day_bounds(day, zone)
    errors: list[FieldError] = []
    conflicts: list[FieldError] = []  # rules between fields (422)
    duties: list[Duty] = []
    seen: set[str] = set()
    for i, item in enumerate(units):
        path = f"/units/{i}"
        unit_id = item["unit_id"]
        unit = roster.get(unit_id)
        if unit is None:
            errors.append(
                FieldError(
                    f"{path}/unit_id",
                    f"unknown unit {unit_id}; the city's units are {', '.join(sorted(roster)) or 'none'}",
                )
            )
            continue
        if unit_id in seen:
            conflicts.append(FieldError(f"{path}/unit_id", f"unit {unit_id} is listed twice"))
            continue
        seen.add(unit_id)
        quadrant_id = item.get("quadrant_id") or unit.quadrant_id
        if quadrant_id not in known_quadrants:
            errors.append(FieldError(f"{path}/quadrant_id", f"unknown quadrant {quadrant_id}"))
            continue
        if "shifts" not in item:
            windows = roster_windows(unit.shifts, day, zone)
            if windows:
                duties.append(Duty(unit_id, quadrant_id, windows))
            continue
        parsed: list[Window] = []
        for j, shift in enumerate(item["shifts"]):
            shift_path = f"{path}/shifts/{j}"
            start = _parse_moment(shift["start"], day, zone)
            end = _parse_moment(shift["end"], day, zone)
            bad = False
            for name, value in (("start", start), ("end", end)):
                if value is None and _ISO_DAY.match(shift[name]):  # the document's shape, not a real day
                    conflicts.append(FieldError(f"{shift_path}/{name}", "not a real date and time"))
                    bad = True
                elif value is None:
                    errors.append(
                        FieldError(
                            f"{shift_path}/{name}",
                            "expected HH:MM (00:00-24:00) or an ISO-8601 time with offset",
                        )
                    )
                    bad = True
            if bad or start is None or end is None:
                continue
            if not (midnight <= start < next_midnight and midnight < end <= next_midnight):
                conflicts.append(
                    FieldError(
                        shift_path,
                        f"the shift {shift['start']}-{shift['end']} is outside "
                        f"{day.isoformat()} (00:00-24:00 {zone.key}); split a night shift at "
                        "midnight and give its morning part with the next date",
                    )
                )
                continue
            if end < start:
                conflicts.append(
                    FieldError(
                        shift_path,
                        f"the shift ends before it starts: a shift past midnight "
                        f"is outside {day.isoformat()}; split it at midnight and give its "
                        "morning part with the next date",
                    )
                )
                continue
            if end == start:
                conflicts.append(FieldError(shift_path, "the shift must end after it starts"))
                continue
            for k, other in enumerate(parsed):
                if start < other.end and other.start < end:
                    conflicts.append(FieldError(shift_path, f"overlaps shift {k} of the same unit"))
                    bad = True
                    break
            if not bad:
                parsed.append(Window(start, end))
        if parsed:
            duties.append(Duty(unit_id, quadrant_id, merge(parsed)))
    if errors:
        raise InvalidRequest(f"{errors[0].path}: {errors[0].message}", errors=errors + conflicts)
    if conflicts:
        raise Unprocessable(f"{conflicts[0].path}: {conflicts[0].message}", errors=conflicts)
    return duties
