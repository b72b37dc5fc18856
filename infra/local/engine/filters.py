"""Event source mapping FilterCriteria: the subset of EventBridge patterns Lambda filters use."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

_MISSING = object()


class PatternError(ValueError):
    """A filter pattern the local stack does not understand."""


def parse_filters(filter_criteria: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The patterns of an event source mapping's FilterCriteria (each a JSON string in the template)."""
    patterns = []
    for entry in (filter_criteria or {}).get("Filters") or []:
        pattern = entry.get("Pattern")
        parsed = json.loads(pattern) if isinstance(pattern, str) else pattern
        if not isinstance(parsed, dict):
            raise PatternError(f"a filter pattern must be a JSON object: {pattern!r}")
        patterns.append(parsed)
    return patterns


def matches_any(patterns: Sequence[Mapping[str, Any]], event: Mapping[str, Any]) -> bool:
    """Lambda keeps a record when it matches any filter (no filters keeps everything)."""
    return not patterns or any(matches(p, event) for p in patterns)


def matches(pattern: Mapping[str, Any], event: Any) -> bool:
    for key, expected in pattern.items():
        if key == "$or":
            if not any(matches(alternative, event) for alternative in expected):
                return False
            continue
        actual = event.get(key, _MISSING) if isinstance(event, Mapping) else _MISSING
        if isinstance(expected, Mapping):
            if actual is _MISSING or not isinstance(actual, Mapping) or not matches(expected, actual):
                return False
        elif isinstance(expected, list):
            if not _matches_values(expected, actual):
                return False
        else:
            raise PatternError(f"pattern values must be objects or arrays; {key}: {expected!r}")
    return True


def _matches_values(expected: list[Any], actual: Any) -> bool:
    """An array of acceptable values; an array in the event matches when any of its items does."""
    values = actual if isinstance(actual, list) else [actual]
    for condition in expected:
        if isinstance(condition, Mapping):
            if _matches_operator(condition, actual, values):
                return True
        elif any(v is not _MISSING and v == condition for v in values):
            return True
    return False


def _matches_operator(condition: Mapping[str, Any], actual: Any, values: list[Any]) -> bool:
    if len(condition) != 1:
        raise PatternError(f"one operator per condition: {dict(condition)!r}")
    ((operator, argument),) = condition.items()
    present = [v for v in values if v is not _MISSING]
    if operator == "exists":
        return bool(present) == bool(argument)
    if operator == "prefix":
        return any(isinstance(v, str) and v.startswith(str(argument)) for v in present)
    if operator == "suffix":
        return any(isinstance(v, str) and v.endswith(str(argument)) for v in present)
    if operator == "equals-ignore-case":
        return any(isinstance(v, str) and v.lower() == str(argument).lower() for v in present)
    if operator == "anything-but":
        excluded = argument if isinstance(argument, list) else [argument]
        if isinstance(argument, Mapping):
            return bool(present) and not _matches_operator(argument, actual, values)
        return bool(present) and all(v not in excluded for v in present)
    if operator == "numeric":
        return any(
            _numeric(argument, v) for v in present if isinstance(v, int | float) and not isinstance(v, bool)
        )
    raise PatternError(f"filter operator {operator!r} is not emulated")


def _numeric(bounds: Sequence[Any], value: float) -> bool:
    checks = {
        "=": lambda a, b: a == b, "<": lambda a, b: a < b, "<=": lambda a, b: a <= b,
        ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
    }  # fmt: skip
    pairs = list(zip(bounds[::2], bounds[1::2], strict=False))
    if not pairs:
        raise PatternError(f"numeric needs operator/value pairs: {bounds!r}")
    return all(checks[str(op)](value, float(limit)) for op, limit in pairs)
