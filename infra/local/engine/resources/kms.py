"""KMS keys in the emulator."""

from __future__ import annotations

from typing import Any

from infra.local.engine.intrinsics import ResourceState
from infra.local.engine.resources.registry import Env, creator, pick, tags, text


@creator("AWS::KMS::Key")
def _kms_key(env: Env, logical_id: str, p: dict[str, Any]) -> ResourceState:
    kms = env.client("kms")
    args: dict[str, Any] = pick(p, "Description", "KeyUsage", "KeySpec", "MultiRegion")
    if "KeyPolicy" in p:
        args["Policy"] = text(p["KeyPolicy"])
    if p.get("Tags"):
        args["Tags"] = [{"TagKey": t["Key"], "TagValue": t["Value"]} for t in tags(p)]
    key_id = kms.create_key(**args)["KeyMetadata"]["KeyId"]
    if str(p.get("EnableKeyRotation", "false")).lower() == "true":
        kms.enable_key_rotation(KeyId=key_id)
    if str(p.get("Enabled", "true")).lower() == "false":
        kms.disable_key(KeyId=key_id)
    return ResourceState("AWS::KMS::Key", key_id, {"Arn": env.arn("kms", f"key/{key_id}"), "KeyId": key_id})
