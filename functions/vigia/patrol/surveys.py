"""Perception surveys officers take from neighbours on patrol: answers to the city's questions, no names.

A survey is tied to a quadrant and a moment, never to a person: no name, phone, address or exact
location is accepted (the request schema allows no other field). Aggregates are by quadrant and
ISO week (Monday to Sunday, local time): responses, mean, the spread of answers, and the share of
favourable answers (the top two points of a scale of four or more points, "top-two box").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date as Date
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from vigia.errors import FieldError


@dataclass(frozen=True)
class Question:
    question_id: str
    scale: tuple[int, int]


@dataclass(frozen=True)
class Survey:
    survey_id: str
    quadrant_id: str
    at: datetime
    week: str  # ISO week of the local date, e.g. 2026-W10
    answers: Mapping[str, int] = field(hash=False)
    unit_id: str | None = None


def iso_week(day: Date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_of(at: datetime, zone: ZoneInfo) -> str:
    return iso_week(at.astimezone(zone).date())


def weeks_between(first: Date, last: Date) -> list[str]:
    """Every ISO week touched by [first, last], in order."""
    weeks: list[str] = []
    day = first
    while day <= last:
        week = iso_week(day)
        if not weeks or weeks[-1] != week:
            weeks.append(week)
        day = Date.fromordinal(day.toordinal() + 1)
    return weeks


def answer_errors(answers: Mapping[str, Any], questions: Mapping[str, Question]) -> list[FieldError]:
    """Unknown questions and answers off the question's scale, each with its path."""
    errors: list[FieldError] = []
    if not answers:
        errors.append(FieldError("/answers", "answer at least one question"))
    for question_id, value in answers.items():
        question = questions.get(question_id)
        if question is None:
            errors.append(
                FieldError(
                    f"/answers/{question_id}",
                    f"unknown question; the city's questions are {', '.join(sorted(questions))}",
                )
            )
            continue
        low, high = question.scale
        if isinstance(value, float) and value.is_integer():  # JSON's 4.0 is the whole number 4
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            errors.append(
                FieldError(f"/answers/{question_id}", f"expected a whole number from {low} to {high}")
            )
    return errors


def summarise(
    surveys: Iterable[Survey], questions: Mapping[str, Question], *, small_sample: int = 5
) -> list[dict[str, Any]]:
    """One item per quadrant and week, with per-question statistics."""
    groups: dict[tuple[str, str], list[Survey]] = {}
    for survey in surveys:
        groups.setdefault((survey.quadrant_id, survey.week), []).append(survey)
    items = []
    for (quadrant_id, week), members in sorted(groups.items()):
        per_question: dict[str, Any] = {}
        for question_id, question in questions.items():
            values = [s.answers[question_id] for s in members if question_id in s.answers]
            low, high = question.scale
            if not values:
                continue
            top = (
                high - 1 if high - low >= 3 else high
            )  # top-two box on 1-5 and wider, top box on short scales
            favourable = sum(1 for v in values if v >= top)
            per_question[question_id] = {
                "responses": len(values),
                "mean": round(sum(values) / len(values), 2),
                "distribution": {str(v): values.count(v) for v in range(low, high + 1)},
                "favourable_share": round(favourable / len(values), 3),
                "small_sample": len(values) < small_sample,
            }
        items.append(
            {"quadrant_id": quadrant_id, "week": week, "responses": len(members), "questions": per_question}
        )
    return items
