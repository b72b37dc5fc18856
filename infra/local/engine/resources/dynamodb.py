"""DynamoDB tables in the emulator: indexes, streams, time to live, encryption when the emulator takes it."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from infra.local.engine.intrinsics import ResourceState
from infra.local.engine.resources.registry import Env, creator, integer, pick, tags

log = logging.getLogger("local_stack.resources")


def _index(spec: Mapping[str, Any], provisioned: bool) -> dict[str, Any]:
    index = pick(spec, "IndexName", "KeySchema", "Projection")
    if provisioned:
        throughput = spec.get("ProvisionedThroughput") or {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
        index["ProvisionedThroughput"] = {k: integer(v) for k, v in throughput.items()}
    return index


@creator("AWS::DynamoDB::Table")
def _dynamodb_table(env: Env, logical_id: str, p: dict[str, Any]) -> ResourceState:
    ddb = env.client("dynamodb")
    name = env.name(logical_id, p.get("TableName"), max_len=255)
    provisioned = p.get("BillingMode", "PROVISIONED") == "PROVISIONED"
    args: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": p["AttributeDefinitions"],
        "KeySchema": p["KeySchema"],
        "BillingMode": "PROVISIONED" if provisioned else "PAY_PER_REQUEST",
    }
    if provisioned:
        throughput = p.get("ProvisionedThroughput") or {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
        args["ProvisionedThroughput"] = {k: integer(v) for k, v in throughput.items()}
    if p.get("GlobalSecondaryIndexes"):
        args["GlobalSecondaryIndexes"] = [_index(i, provisioned) for i in p["GlobalSecondaryIndexes"]]
    if p.get("LocalSecondaryIndexes"):
        args["LocalSecondaryIndexes"] = [_index(i, False) for i in p["LocalSecondaryIndexes"]]
    stream = p.get("StreamSpecification")
    if stream:
        args["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]}
    if p.get("Tags"):
        args["Tags"] = tags(p)
    if "DeletionProtectionEnabled" in p:
        args["DeletionProtectionEnabled"] = str(p["DeletionProtectionEnabled"]).lower() == "true"
    sse = p.get("SSESpecification") or {}
    if str(sse.get("SSEEnabled", "false")).lower() == "true":
        args["SSESpecification"] = {"Enabled": True, "SSEType": sse.get("SSEType", "KMS")}
        if sse.get("KMSMasterKeyId"):
            args["SSESpecification"]["KMSMasterKeyId"] = sse["KMSMasterKeyId"]
    try:
        table = ddb.create_table(**args)["TableDescription"]
    except Exception as error:
        if "SSESpecification" not in args:
            raise
        log.debug("%s: the emulator refused SSESpecification (%s); created without it", logical_id, error)
        del args["SSESpecification"]
        table = ddb.create_table(**args)["TableDescription"]
    ttl = p.get("TimeToLiveSpecification") or {}
    if str(ttl.get("Enabled", "false")).lower() == "true":
        ddb.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]}
        )
    attrs = {"Arn": table["TableArn"]}
    if table.get("LatestStreamArn"):
        attrs["StreamArn"] = table["LatestStreamArn"]
    if table.get("TableId"):
        attrs["TableId"] = table["TableId"]
    return ResourceState("AWS::DynamoDB::Table", name, attrs)
