"""What the local engine does for a preload (docs/local-stack.md "The demo history"): stream pumps start
past the records the preload left, a stack stopped during its preload stops cleanly, and a transaction on a
big table backs up only what it touches while still rolling back fully (items and stream records)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.dynamodb.models import dynamodb_backends

from infra.local.engine.pumps.pollers import MappingSpec, StreamPump
from infra.local.engine.resources.dynamodb import _cheap_transaction_backups

STREAM = "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/1"


class FakeStreams:
    """A one-shard stream holding `records`, read from TRIM_HORIZON as DynamoDB Streams pages it."""

    def __init__(self, records: int) -> None:
        self.records = [
            {"eventName": "INSERT", "dynamodb": {"SequenceNumber": str(n)}} for n in range(records)
        ]

    def describe_stream(self, StreamArn: str) -> dict[str, Any]:
        return {"StreamDescription": {"Shards": [{"ShardId": "s-1"}]}}

    def get_shard_iterator(self, ShardIteratorType: str, **kwargs: Any) -> dict[str, Any]:
        return {"ShardIterator": str(len(self.records)) if ShardIteratorType == "LATEST" else "0"}

    def get_records(self, ShardIterator: str, Limit: int) -> dict[str, Any]:
        at = int(ShardIterator)
        page = self.records[at : at + Limit]
        return {"Records": page, "NextShardIterator": str(at + len(page))}


class Recorder:
    def __init__(self) -> None:
        self.events: list[Any] = []

    def invoke(self, event: Any) -> Any:
        self.events.append(event)
        return {}


def pump(streams: FakeStreams, function: Recorder) -> StreamPump:
    spec = MappingSpec("Relay", "RelayFunction", STREAM, 100, 0.0, starting_position="TRIM_HORIZON")
    return StreamPump(
        spec,
        function,  # type: ignore[arg-type]
        streams,
        region="us-east-1",
        retry_delay_s=0,
        send_on_failure=lambda arn, body: None,
        stop=threading.Event(),
    )


def test_a_stream_pump_starts_past_what_the_preload_wrote_and_delivers_what_comes_after() -> None:
    # Given a stream holding 2,500 records a preload wrote (more than one page of get_records)
    streams, relay = FakeStreams(2500), Recorder()
    stream_pump = pump(streams, relay)
    # When the pump skips them before it starts
    stream_pump.skip_existing()
    stream_pump.drain()
    # Then the function saw none of them
    assert relay.events == []
    # and a record written afterwards is delivered
    streams.records.append({"eventName": "INSERT", "dynamodb": {"SequenceNumber": "2500"}})
    stream_pump.drain()
    assert [r["dynamodb"]["SequenceNumber"] for e in relay.events for r in e["Records"]] == ["2500"]


def test_a_stack_stopped_during_its_preload_stops_its_unstarted_pumps_cleanly() -> None:
    stream_pump = pump(FakeStreams(0), Recorder())
    stream_pump.join(timeout=0.1)  # never started: nothing to wait for, no RuntimeError


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    _cheap_transaction_backups()
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name="us-east-1")
        ddb.create_table(
            TableName="t",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
        yield ddb


def _put(pk: str, n: str = "1") -> dict[str, Any]:
    return {"Put": {"TableName": "t", "Item": {"pk": {"S": pk}, "n": {"N": n}}}}


def test_a_failed_transaction_rolls_back_its_items_and_its_stream_records(dynamodb: Any) -> None:
    for i in range(10):
        dynamodb.put_item(TableName="t", Item={"pk": {"S": f"a{i}"}, "n": {"N": "1"}})
    shard = dynamodb_backends["123456789012"]["us-east-1"].tables["t"].stream_shard
    before = len(shard.items)
    update = {
        "Update": {
            "TableName": "t",
            "Key": {"pk": {"S": "a1"}},
            "UpdateExpression": "SET n = :v",
            "ExpressionAttributeValues": {":v": {"N": "9"}},
        }
    }
    refused = {**_put("a2"), "Put": {**_put("a2")["Put"], "ConditionExpression": "attribute_not_exists(pk)"}}
    with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
        dynamodb.transact_write_items(TransactItems=[update, _put("new"), refused])
    assert dynamodb.get_item(TableName="t", Key={"pk": {"S": "a1"}})["Item"]["n"] == {"N": "1"}
    assert "Item" not in dynamodb.get_item(TableName="t", Key={"pk": {"S": "new"}})
    # no record of what did not happen, and the same shard keeps receiving (open iterators read it)
    table = dynamodb_backends["123456789012"]["us-east-1"].tables["t"]
    assert table.stream_shard is shard
    assert len(shard.items) == before
    dynamodb.transact_write_items(TransactItems=[_put("later")])
    assert len(shard.items) == before + 1


def test_a_transaction_on_a_big_table_does_not_copy_the_table(dynamodb: Any) -> None:
    with_timeline = {"L": [{"M": {"action": {"S": "acknowledge"}, "at": {"S": "2026-11-30"}}}] * 6}
    for i in range(3000):
        dynamodb.put_item(TableName="t", Item={"pk": {"S": f"a{i}"}, "timeline": with_timeline})
    copied: list[int] = []
    import copy

    real = copy.deepcopy

    def counting(value: Any, memo: Any = None) -> Any:
        copied.append(1)
        return real(value, memo)

    copy.deepcopy = counting  # type: ignore[assignment]
    try:
        started = time.perf_counter()
        dynamodb.transact_write_items(TransactItems=[_put("z")])
        took = time.perf_counter() - started
    finally:
        copy.deepcopy = real  # type: ignore[assignment]
    assert len(copied) < 50, f"{len(copied)} deep copies for one transaction ({took:.2f} s)"
