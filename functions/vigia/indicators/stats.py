"""Exact statistics of one cell (a day or a period × zone × type), mergeable, and the percentile rule.

Percentiles are Hyndman & Fan's type 7 (numpy's default, Excel's PERCENTILE.INC): sort the n values,
take rank h = (n − 1)·p (0-based) and interpolate linearly between the values at floor(h) and ceil(h).
The median is p = 0.5, so it is the usual median (the mean of the two middle values when n is even);
p90 is p = 0.9. Results are rounded to 0.1 s. Two runs over the same values give the same figure.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any


def percentile(values: Sequence[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    h = (len(ordered) - 1) * p
    low = math.floor(h)
    high = min(low + 1, len(ordered) - 1)
    value = ordered[low] + (h - low) * (ordered[high] - ordered[low])
    return round(value, 1)


@dataclass(frozen=True)
class CellStats:
    """The exact figures of a cell; stored privately, published only through suppression (table.py)."""

    count: int = 0
    cancellations: int = 0
    false_alarms: int = 0
    sirens_sounded: int = 0
    neighbour_messages: int = 0
    dispatch_times: tuple[float, ...] = field(default=())
    response_times: tuple[float, ...] = field(default=())
    within_target: int = 0  # on scene within the city's target
    with_target: int = 0  # alerts with a verdict (a unit reached the scene)
    patrol_planned_min: float | None = None
    patrol_done_min: float | None = None
    survey_responses: int | None = None
    survey_answers: int | None = None
    survey_favourable: int | None = None
    raised_abroad: int = 0  # the home's residents' alerts forwarded to a partner city: in no other figure
    visitors: int = 0  # of `count`, the alerts a partner city's residents raised here

    def merged(self, other: CellStats) -> CellStats:
        def add(a: float | None, b: float | None) -> Any:
            return None if a is None and b is None else (a or 0) + (b or 0)

        return CellStats(
            count=self.count + other.count,
            cancellations=self.cancellations + other.cancellations,
            false_alarms=self.false_alarms + other.false_alarms,
            sirens_sounded=self.sirens_sounded + other.sirens_sounded,
            neighbour_messages=self.neighbour_messages + other.neighbour_messages,
            dispatch_times=tuple(sorted(self.dispatch_times + other.dispatch_times)),
            response_times=tuple(sorted(self.response_times + other.response_times)),
            within_target=self.within_target + other.within_target,
            with_target=self.with_target + other.with_target,
            patrol_planned_min=add(self.patrol_planned_min, other.patrol_planned_min),
            patrol_done_min=add(self.patrol_done_min, other.patrol_done_min),
            survey_responses=add(self.survey_responses, other.survey_responses),
            survey_answers=add(self.survey_answers, other.survey_answers),
            survey_favourable=add(self.survey_favourable, other.survey_favourable),
            raised_abroad=self.raised_abroad + other.raised_abroad,
            visitors=self.visitors + other.visitors,
        )

    def with_patrol(self, planned: float, done: float) -> CellStats:
        return replace(self, patrol_planned_min=round(planned, 1), patrol_done_min=round(done, 1))

    def with_surveys(self, responses: int, answers: int, favourable: int) -> CellStats:
        return replace(self, survey_responses=responses, survey_answers=answers, survey_favourable=favourable)

    # ------------------------------------------------------------ storage
    def to_json(self) -> str:
        data = {k: v for k, v in self.__dict__.items() if v is not None}
        data["dispatch_times"] = list(self.dispatch_times)
        data["response_times"] = list(self.response_times)
        return json.dumps(data, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> CellStats:
        data = json.loads(text)
        data["dispatch_times"] = tuple(data.get("dispatch_times") or ())
        data["response_times"] = tuple(data.get("response_times") or ())
        known = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in known})


def merge_all(cells: Iterable[CellStats]) -> CellStats:
    total = CellStats()
    for cell in cells:
        total = total.merged(cell)
    return total
