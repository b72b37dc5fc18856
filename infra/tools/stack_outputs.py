"""Where a `make` tool finds a stack: the running local stack's outputs.json, or a deployed city's outputs.

The local stack is found as `make redrive` finds it (its AWS endpoint and region go into this process's
environment, so boto3 talks to the emulator); a deployed stack is `vigia-<city>` in the caller's AWS account
and region, read with CloudFormation's DescribeStacks.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3

from infra.tools.redrive import _point_at_local_stack


def stack_name(city: str) -> str:
    return f"vigia-{city}"  # as `make deploy` names it


def local(local_dir: Path) -> dict[str, Any]:
    """The running local stack's outputs; AWS_ENDPOINT_URL and the region now point at its emulator."""
    _point_at_local_stack(local_dir)
    return dict(json.loads((local_dir / "outputs.json").read_text()))


def cloud(city: str, *, region: str | None = None, session: Any = None) -> dict[str, Any]:
    """A deployed city's stack outputs by key, plus its Region and City (CloudFormation names neither)."""
    session = session or boto3.session.Session(region_name=region)
    stacks = session.client("cloudformation").describe_stacks(StackName=stack_name(city))["Stacks"]
    outputs: dict[str, Any] = {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs") or []}
    outputs.setdefault("Region", session.region_name)
    outputs.setdefault("City", city)
    return outputs
