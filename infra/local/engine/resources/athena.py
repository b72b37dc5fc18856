"""Athena workgroups in the emulator (moto records them with their configuration; it runs no query: locally
the lake is queried with DuckDB, `make sql`)."""

from __future__ import annotations

from typing import Any

from infra.local.engine.intrinsics import ResourceState
from infra.local.engine.resources.registry import Env, creator


@creator("AWS::Athena::WorkGroup")
def _workgroup(env: Env, logical_id: str, p: dict[str, Any]) -> ResourceState:
    name = env.name(logical_id, p.get("Name"), max_len=128)
    config = dict(p.get("WorkGroupConfiguration") or {})
    limit = config.get("BytesScannedCutoffPerQuery")
    if limit is not None:
        config["BytesScannedCutoffPerQuery"] = int(limit)  # a template Number arrives as text
    env.client("athena").create_work_group(
        Name=name, Description=str(p.get("Description") or ""), Configuration=config
    )
    return ResourceState("AWS::Athena::WorkGroup", name, {})
