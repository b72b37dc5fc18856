"""DynamoDB tables in the emulator: indexes, streams, time to live, encryption when the emulator takes it."""

from __future__ import annotations

import copy
import logging
import threading
from collections import defaultdict
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


_TRANSACTION = threading.local()  # the keys the running TransactWriteItems touches, per table name


def _snapshot(table: Any, memo: dict[int, Any]) -> Any:
    """A table as TransactWriteItems backs it up for its rollback. moto deep-copies every table the
    transaction names (each item, and every stream record the run has kept), so one transaction cost a
    second once a table held a few thousand items. Only the items a transaction touches can change, so
    only those are copied; the others are shared. The stream shard is shared too (moto's copy left open
    shard iterators on the discarded one, so a stream went quiet after any failed transaction); a rollback
    drops the records the failed transaction appended to it (transact_write_items below)."""
    touched = getattr(_TRANSACTION, "keys", None)
    if touched is None:  # any other deep copy (a backup): the whole table, as moto does
        cls = table.__class__
        whole = cls.__new__(cls)
        memo[id(table)] = whole
        for name, value in table.__dict__.items():
            setattr(whole, name, copy.deepcopy(value, memo))
        return whole
    snap = copy.copy(table)
    items = type(table.items)(dict) if isinstance(table.items, defaultdict) else {}
    for hash_value, value in table.items.items():
        items[hash_value] = dict(value) if table.range_key_attr else value
    for key in touched.get(table.name, ()):
        hash_value, range_value = _key_values(table, key)
        if hash_value not in items:
            continue
        if table.range_key_attr:
            if range_value in items[hash_value]:
                items[hash_value][range_value] = copy.deepcopy(items[hash_value][range_value])
        else:
            items[hash_value] = copy.deepcopy(items[hash_value])
    snap.items = items  # the stream shard stays the same object: open shard iterators keep reading it
    return snap


def _key_values(table: Any, key: Mapping[str, Any]) -> tuple[Any, Any]:
    from moto.dynamodb.models.dynamo_type import DynamoType

    hash_value = DynamoType(key[table.hash_key_attr]) if table.hash_key_attr in key else None
    range_attr = table.range_key_attr
    range_value = DynamoType(key[range_attr]) if range_attr and range_attr in key else None
    return hash_value, range_value


def _cheap_transaction_backups() -> None:
    """Patches moto (once) so TransactWriteItems backs up only what it touches (see _snapshot)."""
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    whole = DynamoDBBackend.transact_write_items
    if getattr(whole, "local_cheap_backups", False):
        return

    def transact_write_items(backend: Any, transact_items: list[dict[str, Any]]) -> None:
        keys: dict[str, list[Mapping[str, Any]]] = {}
        for item in transact_items:
            for op in item.values():
                if isinstance(op, Mapping) and op.get("TableName"):
                    keys.setdefault(op["TableName"], []).append(op.get("Key") or op.get("Item") or {})
        shards = {
            name: (table.stream_shard, len(table.stream_shard.items))
            for name in keys
            if (table := backend.tables.get(name)) is not None and table.stream_shard is not None
        }
        _TRANSACTION.keys = keys
        try:
            whole(backend, transact_items)
        except Exception:
            for name, (shard, length) in shards.items():  # rolled back: no record of what did not happen
                del shard.items[length:]
                shard.table = backend.tables[name]
            raise
        finally:
            _TRANSACTION.keys = None

    transact_write_items.local_cheap_backups = True  # type: ignore[attr-defined]
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign,assignment]
    Table.__deepcopy__ = _snapshot  # type: ignore[attr-defined]


@creator("AWS::DynamoDB::Table")
def _dynamodb_table(env: Env, logical_id: str, p: dict[str, Any]) -> ResourceState:
    _cheap_transaction_backups()
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
