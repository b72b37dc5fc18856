"""CloudWatch alarms in the emulator (recorded; the local stack does not evaluate them)."""

from __future__ import annotations

from typing import Any

from infra.local.engine.intrinsics import ResourceState
from infra.local.engine.resources.registry import Env, creator, integer, pick

_ALARM_KEYS = (
    "AlarmDescription", "ActionsEnabled", "OKActions", "AlarmActions", "InsufficientDataActions",
    "MetricName", "Namespace", "Statistic", "ExtendedStatistic", "Dimensions", "Unit", "TreatMissingData",
    "ComparisonOperator", "EvaluateLowSampleCountPercentile", "Metrics", "ThresholdMetricId",
)  # fmt: skip


@creator("AWS::CloudWatch::Alarm", best_effort=True)
def _alarm(env: Env, logical_id: str, p: dict[str, Any]) -> ResourceState:
    name = env.name(logical_id, p.get("AlarmName"), max_len=255)
    args = pick(p, *_ALARM_KEYS)
    for key in ("Period", "EvaluationPeriods", "DatapointsToAlarm"):
        if key in p:
            args[key] = integer(p[key])
    if "Threshold" in p:
        args["Threshold"] = float(p["Threshold"])
    if "ActionsEnabled" in args:
        args["ActionsEnabled"] = str(args["ActionsEnabled"]).lower() == "true"
    env.client("cloudwatch").put_metric_alarm(AlarmName=name, **args)
    return ResourceState("AWS::CloudWatch::Alarm", name, {"Arn": env.arn("cloudwatch", f"alarm:{name}")})
