"""FilterCriteria patterns, as Lambda applies them to stream records and queue messages."""

from __future__ import annotations

from typing import Any

import pytest

from infra.local.engine.filters import PatternError, matches, matches_any, parse_filters

NEW_ALERT = {
    "Filters": [{"Pattern": '{"eventName": ["INSERT"], "dynamodb": {"NewImage": {"sk": {"S": ["ALERT"]}}}}'}]
}


def record(event_name: str, sk: str | None) -> dict[str, Any]:
    image = {"pk": {"S": "ALERT#1"}} | ({"sk": {"S": sk}} if sk else {})
    return {"eventName": event_name, "dynamodb": {"Keys": {"pk": {"S": "ALERT#1"}}, "NewImage": image}}


@pytest.mark.parametrize(
    ("event", "kept"),
    [
        (record("INSERT", "ALERT"), True),
        (record("MODIFY", "ALERT"), False),
        (record("INSERT", "NOTE"), False),
        (record("INSERT", None), False),
        ({"eventName": "INSERT"}, False),
    ],
)
def test_the_relay_filter_keeps_only_new_alerts(event: dict[str, Any], kept: bool) -> None:
    assert matches_any(parse_filters(NEW_ALERT), event) is kept


def test_no_filters_keep_everything_and_several_filters_are_alternatives() -> None:
    either = parse_filters({"Filters": [{"Pattern": '{"a": ["x"]}'}, {"Pattern": '{"a": ["y"]}'}]})

    assert matches_any([], {"anything": 1})
    assert matches_any(either, {"a": "y"})
    assert not matches_any(either, {"a": "z"})


@pytest.mark.parametrize(
    ("pattern", "event", "expected"),
    [
        ({"n": [5]}, {"n": 5}, True),
        ({"tags": ["red"]}, {"tags": ["blue", "red"]}, True),
        ({"t": [{"prefix": "ALERT#"}]}, {"t": "ALERT#9"}, True),
        ({"t": [{"suffix": ".json"}]}, {"t": "a.csv"}, False),
        ({"t": [{"anything-but": ["a", "b"]}]}, {"t": "c"}, True),
        ({"t": [{"anything-but": "a"}]}, {"t": "a"}, False),
        ({"t": [{"anything-but": {"prefix": "x"}}]}, {"t": "xy"}, False),
        ({"t": [{"exists": True}]}, {"t": None}, True),
        ({"t": [{"exists": False}]}, {}, True),
        ({"t": [{"exists": False}]}, {"t": 1}, False),
        ({"n": [{"numeric": [">", 0, "<=", 5]}]}, {"n": 5}, True),
        ({"n": [{"numeric": [">", 0, "<=", 5]}]}, {"n": 6}, False),
        ({"t": [{"equals-ignore-case": "alert"}]}, {"t": "ALERT"}, True),
        ({"$or": [{"a": [1]}, {"b": [2]}]}, {"b": 2}, True),
        ({"body": {"type": ["panic"]}}, {"body": {"type": "panic"}}, True),
        ({"body": {"type": ["panic"]}}, {"body": "not json"}, False),
    ],
)
def test_pattern_operators(pattern: dict[str, Any], event: dict[str, Any], expected: bool) -> None:
    assert matches(pattern, event) is expected


def test_an_operator_it_does_not_know_is_an_error() -> None:
    with pytest.raises(PatternError, match="wildcard"):
        matches({"t": [{"wildcard": "a*"}]}, {"t": "ab"})
