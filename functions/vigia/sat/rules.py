"""The SAT's rules, pure: which student's weekly attendance opens a case, in the pack's words."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

WEEK = re.compile(r"^(20[0-9]{2})-W(0[1-9]|[1-4][0-9]|5[0-3])$")
LOW_ATTENDANCE = "low_attendance"
CONSECUTIVE_ABSENCES = "consecutive_absences"


@dataclass(frozen=True)
class SatRules:
    """The pack's `sat` section (schemas/city.schema.json)."""

    min_attendance: float  # share of expected days, e.g. 0.85
    weeks: int  # over this many weeks (the latest ones on record)
    consecutive_absences: int  # school days missed in a row
    violent_quadrant_weight: float  # ≥ 1: the shortfall counts this much more in the most alerted quadrants
    violent_quadrants: int  # how many quadrants (the most alerts in the nightly indicators) are weighted
    support_categories: tuple[str, ...]
    retention_days: int  # after closing, then deleted


def rules_from_pack(section: Mapping[str, Any]) -> SatRules:
    return SatRules(
        min_attendance=float(section["min_attendance"]),
        weeks=int(section["weeks"]),
        consecutive_absences=int(section["consecutive_absences"]),
        violent_quadrant_weight=float(section.get("violent_quadrant_weight", 1.0)),
        violent_quadrants=int(section.get("violent_quadrants", 3)),
        support_categories=tuple(c["code"] for c in section["support_categories"]),
        retention_days=int(section["retention_days"]),
    )


@dataclass(frozen=True)
class AttendanceWeek:
    """One row of a school's file: a student's week. `student` is the city's pseudonymous id."""

    student: str
    week: str  # ISO week, YYYY-Www
    school: str
    course: str
    days_expected: int
    days_attended: int
    quadrant: str | None = None


@dataclass(frozen=True)
class Warning:
    """Why a student's attendance up to `week` opens a case."""

    student: str
    week: str
    rule: str
    attendance_rate: float | None
    weeks: int
    absent_days: int
    violent_quadrant: bool


def week_monday(week: str) -> date:
    match = WEEK.match(week)
    if not match:
        raise ValueError(f"not an ISO week: {week!r}")
    return date.fromisocalendar(int(match[1]), int(match[2]), 1)


def consecutive_absent_days(history: Sequence[AttendanceWeek]) -> int:
    """School days missed in a row up to the latest week. Weekly rows do not say which days were missed, so
    the run is counted as: the latest week's missed days, plus every expected day of the weeks before it in
    which the student attended none (a week with attendance ends the run)."""
    if not history:
        return 0
    latest = history[-1]
    run = latest.days_expected - latest.days_attended
    if latest.days_attended > 0:
        return run
    for earlier in reversed(history[:-1]):
        run += earlier.days_expected - earlier.days_attended
        if earlier.days_attended > 0:
            break
    return run


def evaluate(
    history: Iterable[AttendanceWeek], rules: SatRules, violent: frozenset[str] = frozenset()
) -> Warning | None:
    """The warning the student's weeks on record raise at the latest week, or None.

    Low attendance: days attended / expected over the latest `weeks` weeks below `min_attendance`, once
    `weeks` weeks are on record. In a violent quadrant the shortfall (1 - rate) is multiplied by
    `violent_quadrant_weight` and the consecutive absences needed are divided by it (rounded up): the same
    student is warned earlier there."""
    weeks = sorted(history, key=lambda w: w.week)
    if not weeks:
        return None
    latest = weeks[-1]
    weighted = latest.quadrant is not None and latest.quadrant in violent
    weight = rules.violent_quadrant_weight if weighted else 1.0
    absent = consecutive_absent_days(weeks)
    window = weeks[-rules.weeks :]
    expected = sum(w.days_expected for w in window)
    rate = sum(w.days_attended for w in window) / expected if expected else None
    if len(window) >= rules.weeks and rate is not None and (1 - rate) * weight > 1 - rules.min_attendance:
        return Warning(latest.student, latest.week, LOW_ATTENDANCE, rate, len(window), absent, weighted)
    if absent > 0 and absent >= math.ceil(rules.consecutive_absences / weight):
        return Warning(latest.student, latest.week, CONSECUTIVE_ABSENCES, rate, len(window), absent, weighted)
    return None


def most_alerted(counts: Mapping[str, int], how_many: int) -> frozenset[str]:
    """The `how_many` quadrants with the most alerts (ties broken by id, so the choice is stable)."""
    ranked = sorted(((-n, q) for q, n in counts.items() if n > 0))
    return frozenset(q for _, q in ranked[:how_many])
