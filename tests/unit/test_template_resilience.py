"""Nothing stalls unseen, and staff sign in with TOTP: read off the translated template (the one the cloud
and the local stack are both built from)."""

from __future__ import annotations

import functools
import re
from typing import Any

import pytest

from infra.local.engine.intrinsics import Pseudo, Resolver, resolve_parameters
from infra.local.engine.template import translate


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


# ------------------------------------------------------------------ rule 10: staff sign in with TOTP
def chosen(resolver: Resolver, value: Any) -> Any:
    """A top-level Fn::If, decided by the stack's parameters (None for AWS::NoValue)."""
    if isinstance(value, dict) and "Fn::If" in value:
        condition, yes, no = value["Fn::If"]
        value = yes if resolver.condition(condition) else no
    return None if value == {"Ref": "AWS::NoValue"} else value


def test_the_deployed_user_pool_offers_totp_and_a_trigger_withholds_staff_groups_without_it():
    pool = resources_of("AWS::Cognito::UserPool")["UserPool"]["Properties"]
    deployed = resolver()  # the template's defaults: what `make deploy` gives a city
    assert pool["MfaConfiguration"] == "OPTIONAL"  # residents are not made to enrol an authenticator
    assert pool["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]
    trigger = deployed.resolve(chosen(deployed, pool["LambdaConfig"])["PreTokenGeneration"])
    function = cfn()["Resources"]["StaffMfaFunction"]
    assert trigger.endswith(":function:" + deployed.resolve(function["Properties"]["FunctionName"]))
    assert deployed.included(function)
    assert function["Properties"]["Handler"] == "vigia.handlers.staff_mfa.lambda_handler"
    permissions = [
        p["Properties"]
        for p in resources_of("AWS::Lambda::Permission").values()
        if "StaffMfaFunction" in refs(p["Properties"]["FunctionName"])
    ]
    assert [p["Principal"] for p in permissions] == ["cognito-idp.amazonaws.com"]
    assert refs(permissions[0]["SourceArn"]) == {"UserPool"}


@pytest.mark.parametrize("setting", ["Off"])
def test_only_a_stack_that_says_so_lets_staff_in_without_totp(setting):
    pool = resources_of("AWS::Cognito::UserPool")["UserPool"]["Properties"]
    local = resolver(StaffMfa=setting)
    assert not local.included(cfn()["Resources"]["StaffMfaFunction"])
    assert chosen(local, pool["LambdaConfig"]) is None
    assert cfn()["Parameters"]["StaffMfa"]["Default"] == "Required"


def test_the_local_stack_is_the_one_that_says_so():
    from infra.local.engine.template import load_template
    from infra.local.stack import local_parameters

    assert local_parameters(load_template()) == {"StaffMfa": "Off"}
    assert local_parameters({"Parameters": {}}) == {}  # another template is not given a parameter it lacks
