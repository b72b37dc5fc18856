"""CloudWatch Logs log groups (with their retention) in the emulator."""

from __future__ import annotations

from typing import Any

from infra.local.engine.intrinsics import ResourceState
from infra.local.engine.resources.registry import Env, creator, integer


@creator("AWS::Logs::LogGroup", best_effort=True)
def _log_group(env: Env, logical_id: str, p: dict[str, Any]) -> ResourceState:
    logs = env.client("logs")
    name = env.name(logical_id, p.get("LogGroupName"), max_len=512)
    logs.create_log_group(logGroupName=name, **({"kmsKeyId": p["KmsKeyId"]} if "KmsKeyId" in p else {}))
    if "RetentionInDays" in p:
        logs.put_retention_policy(logGroupName=name, retentionInDays=integer(p["RetentionInDays"]))
    return ResourceState("AWS::Logs::LogGroup", name, {"Arn": env.arn("logs", f"log-group:{name}:*")})
