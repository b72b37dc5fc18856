"""The facts a day's indicators are made of, read from stored records: alerts, patrol dosage, surveys.

Built against the AlertRecord fields every lifecycle writer shares (status, the *_at timestamps,
dispatch_time_s, response_time_s, met_target, local_date, block_id, quadrant_id, type, silent).
Durations stored on the record win; when a writer has not stored them yet they are derived from the
timestamps (received → assigned, received → on scene), so the figures do not depend on who wrote first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from vigia import clock
from vigia.indicators.frame import Question

CANCELLED, FALSE_ALARM = "cancelled", "false_alarm"


@dataclass(frozen=True)
class AlertFacts:
    alert_id: str
    type: str
    silent: bool
    created_at: datetime
    status: str
    block_id: str | None
    quadrant_id: str | None
    cancelled: bool
    false_alarm: bool
    dispatch_time_s: float | None
    response_time_s: float | None
    met_target: bool | None
    sirens_sounded: int = 0
    neighbour_messages: int = 0
    assigned_at: datetime | None = None
    on_scene_at: datetime | None = None
    resolved_at: datetime | None = None
    # Roaming (docs/roaming.md): the partner a resident's forwarded alert went to (it happened there, the
    # home counts it only as raised abroad), or the partner a visitor's alert came from (it happened here).
    raised_abroad_in: str | None = None
    visitor_from: str | None = None


def _partner(value: Any) -> str | None:
    if not isinstance(value, Mapping):
        return None
    return str(value.get("partner") or "") or None


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return clock.parse_iso(value)
    except ValueError:
        return None


def _seconds(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    return seconds if seconds >= 0 else None  # a clock that ran backwards is no measurement


def _since(start: datetime, end: datetime | None) -> float | None:
    return _seconds((end - start).total_seconds()) if end is not None else None


def alert_facts(item: Mapping[str, Any], *, response_target_s: int) -> AlertFacts | None:
    """The facts of one stored alert item (plain Python values), or None for an item that is not an alert."""
    created = _time(item.get("created_at"))
    if created is None or item.get("sk", "ALERT") != "ALERT" or not item.get("type"):
        return None
    status = str(item.get("status") or "received")
    assigned, on_scene = _time(item.get("assigned_at")), _time(item.get("on_scene_at"))
    dispatch = _seconds(item.get("dispatch_time_s"))
    if dispatch is None:
        dispatch = _since(created, assigned)
    response = _seconds(item.get("response_time_s"))
    if response is None:
        response = _since(created, on_scene)
    met = item.get("met_target")
    if not isinstance(met, bool):
        met = None if response is None else response <= response_target_s
    return AlertFacts(
        alert_id=str(item.get("pk") or item.get("alert_id") or ""),
        type=str(item["type"]),
        silent=bool(item.get("silent", False)),
        created_at=created,
        status=status,
        block_id=item.get("block_id") or None,
        quadrant_id=item.get("quadrant_id") or None,
        cancelled=status == CANCELLED or (status != FALSE_ALARM and bool(item.get("cancelled_at"))),
        false_alarm=status == FALSE_ALARM or (status != CANCELLED and bool(item.get("false_alarm_at"))),
        dispatch_time_s=dispatch,
        response_time_s=response,
        met_target=met,
        assigned_at=assigned,
        on_scene_at=on_scene,
        resolved_at=_time(item.get("resolved_at")),
        raised_abroad_in=_partner(item.get("roaming")),
        visitor_from=_partner(item.get("visitor")),
    )


@dataclass(frozen=True)
class DeliveryCounts:
    sirens_sounded: int = 0
    neighbour_messages: int = 0


SENT = "sent"


def delivery_counts(deliveries: Iterable[Mapping[str, Any]]) -> DeliveryCounts:
    """Sirens sounded (alert siren commands sent) and neighbour messages sent (alert and cancel notices)."""
    sirens = messages = 0
    for d in deliveries:
        if d.get("status") != SENT:
            continue
        if d.get("target") == "sirens" and d.get("kind", "alert") == "alert":
            sirens += 1
        elif d.get("target") == "neighbours":
            messages += 1
    return DeliveryCounts(sirens, messages)


# ---------------------------------------------------------------- patrols and surveys, where present
@dataclass(frozen=True)
class PatrolDay:
    """Planned and done fixed-point minutes per quadrant (from the schedule and its check-ins)."""

    minutes: Mapping[str, tuple[float, float]]  # quadrant_id → (planned, done)


@dataclass(frozen=True)
class SurveyTally:
    responses: int
    answers: int
    favourable: int


def patrol_day(dosage: Mapping[str, Any]) -> PatrolDay:
    """From vigia.patrol.checkins.dosage(...)'s view: its units, summed by quadrant."""
    minutes: dict[str, tuple[float, float]] = {}
    for unit in dosage.get("units") or []:
        planned, done = minutes.get(unit["quadrant_id"], (0.0, 0.0))
        minutes[unit["quadrant_id"]] = (planned + float(unit["planned_min"]), done + float(unit["done_min"]))
    return PatrolDay(minutes)


def favourable_from(scale: tuple[int, int]) -> int:
    """The lowest favourable answer: the top two points of a scale of four points or more ("top-two box"),
    the top point of a shorter one; the same rule as vigia.patrol.surveys.summarise."""
    low, high = scale
    return high - 1 if high - low >= 3 else high


def survey_tallies(
    surveys: Iterable[tuple[str, Mapping[str, int]]], questions: Mapping[str, Question]
) -> dict[str, SurveyTally]:
    """Per quadrant: surveys, answers to the city's questions, and favourable answers among them."""
    tallies: dict[str, list[int]] = {}
    for quadrant_id, answers in surveys:
        tally = tallies.setdefault(quadrant_id, [0, 0, 0])
        tally[0] += 1
        for question_id, value in answers.items():
            question = questions.get(question_id)
            if question is None:
                continue
            tally[1] += 1
            tally[2] += 1 if value >= favourable_from(question.scale) else 0
    return {q: SurveyTally(*t) for q, t in tallies.items()}
