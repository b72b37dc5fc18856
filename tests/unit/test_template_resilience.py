"""Nothing stalls unseen: read off the translated template (the one the cloud and the local stack are both
built from)."""

from __future__ import annotations

import functools
import re
from typing import Any

from infra.local.intrinsics import Pseudo, Resolver, resolve_parameters
from infra.local.template import translate

STAFF_GROUPS = {"operator", "police", "response_team", "analyst", "admin"}


@functools.cache
def cfn() -> dict[str, Any]:
    return translate()


def resources_of(type_: str) -> dict[str, Any]:
    return {k: v for k, v in cfn()["Resources"].items() if v["Type"] == type_}


def refs(value: Any) -> set[str]:
    """Every logical id a value points at (Ref, GetAtt, ${X} in Sub)."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                found.add(inner)
            elif key == "Fn::GetAtt":
                found.add(inner[0] if isinstance(inner, list) else str(inner).split(".")[0])
            elif key == "Fn::Sub":
                text = inner[0] if isinstance(inner, list) else inner
                found |= {m.split(".")[0] for m in re.findall(r"\$\{([^}!]+)\}", text)}
                found |= refs(inner[1] if isinstance(inner, list) else {})
            else:
                found |= refs(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= refs(inner)
    return found


def resolver(**parameters: str) -> Resolver:
    template = cfn()
    values = resolve_parameters(template.get("Parameters") or {}, parameters)
    return Resolver(template, values, Pseudo(stack_name="vigia-test"))


# ------------------------------------------------------------------ rule 9: nothing stalls unseen
def _alarms() -> list[dict[str, Any]]:
    return [r["Properties"] for r in resources_of("AWS::CloudWatch::Alarm").values()]


def test_every_stream_mapping_has_an_iterator_age_alarm_that_pages_the_operators():
    mappings = {
        name: m["Properties"]
        for name, m in resources_of("AWS::Lambda::EventSourceMapping").items()
        if "StreamArn" in str(m["Properties"].get("EventSourceArn"))
    }
    assert mappings, "the Alerts stream is relayed by a stream mapping"
    for name, mapping in mappings.items():
        function = next(iter(refs(mapping["FunctionName"])))
        watching = [
            a
            for a in _alarms()
            if a.get("Namespace") == "AWS/Lambda"
            and a.get("MetricName") == "IteratorAge"
            and any(
                d["Name"] == "FunctionName" and function in refs(d["Value"]) for d in a.get("Dimensions", [])
            )
        ]
        assert len(watching) == 1, f"{name}: no IteratorAge alarm on {function}"
        alarm = watching[0]
        assert alarm["AlarmActions"], f"{name}: its IteratorAge alarm tells nobody"
        assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
        assert 0 < int(alarm["Threshold"]) <= 300_000, "alarm within five minutes of lag (ms)"


def test_a_scheduled_watchdog_finds_stalled_alerts_with_a_query_never_a_scan():
    functions = resources_of("AWS::Lambda::Function")
    assert functions["WatchdogFunction"]["Properties"]["Handler"] == "vigia.handlers.watchdog.lambda_handler"
    schedules = [
        s["Properties"]
        for s in resources_of("AWS::Scheduler::Schedule").values()
        if "WatchdogFunction" in refs(s["Properties"]["Target"])
    ]
    assert len(schedules) == 1
    every = re.fullmatch(r"rate\((\d+) minutes?\)", schedules[0]["ScheduleExpression"])
    assert every, "a rate in minutes"
    assert 1 <= int(every.group(1)) <= 5, "the watchdog looks at least every five minutes"
    role = functions["WatchdogFunction"]["Properties"]["Role"]
    policies = cfn()["Resources"][next(iter(refs(role)))]["Properties"]["Policies"]
    actions = [
        (a, s.get("Resource"))
        for p in policies
        for s in p["PolicyDocument"]["Statement"]
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
        if str(a).startswith("dynamodb:")
    ]
    assert not [a for a, _ in actions if a in ("dynamodb:Scan", "dynamodb:*")], "never a Scan"
    queries = [resource for a, resource in actions if a == "dynamodb:Query"]
    assert queries, "it queries"
    assert all("/index/" in str(q) for q in queries), "an index Query"
    stalled = [
        a for a in _alarms() if a.get("MetricName") == "AlertsStalled" and a.get("Namespace") == "Vigia"
    ]
    assert len(stalled) == 1, "a stalled alert raises an alarm"
    assert stalled[0]["AlarmActions"], "that tells the operators"
