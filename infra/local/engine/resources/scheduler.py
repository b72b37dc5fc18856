"""EventBridge Scheduler schedules in the emulator; the engine's schedule pump is what runs them."""

from __future__ import annotations

from typing import Any

from infra.local.engine.intrinsics import ResourceState
from infra.local.engine.resources.registry import Env, creator, pick


@creator("AWS::Scheduler::Schedule", best_effort=True)
def _schedule(env: Env, logical_id: str, p: dict[str, Any]) -> ResourceState:
    """Recorded in the emulator for tools that list schedules; the local scheduler pump runs it."""
    name = env.name(logical_id, p.get("Name"), max_len=64)
    args = pick(p, "GroupName", "ScheduleExpression", "ScheduleExpressionTimezone", "Description", "State")
    target = dict(p["Target"])
    args["Target"] = pick(target, "Arn", "RoleArn", "Input")
    args["FlexibleTimeWindow"] = p.get("FlexibleTimeWindow") or {"Mode": "OFF"}
    made = env.client("scheduler").create_schedule(Name=name, **args)
    return ResourceState("AWS::Scheduler::Schedule", name, {"Arn": made["ScheduleArn"]})
