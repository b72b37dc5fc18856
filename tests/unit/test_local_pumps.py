"""Pumps against in-memory fakes: batches, partial failures, retries, give-up, SQS records, schedules."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from infra.local.engine.functions import FunctionFailed, FunctionSpec, LocalFunction
from infra.local.engine.pumps import (
    AsyncConfig,
    AsyncInvoker,
    MappingSpec,
    ScheduledTarget,
    SchedulePump,
    SqsPump,
    StreamPump,
    failed_identifiers,
    sqs_record,
)
from infra.local.engine.pumps.base import IDLE_POLL_MAX_S, IDLE_POLL_S, Pump
from infra.local.engine.schedules import parse

STREAM = "arn:aws:dynamodb:us-east-1:123456789012:table/alerts/stream/2026-01-01T00:00:00.000"
QUEUE = "arn:aws:sqs:us-east-1:123456789012:dispatch"


class FakeFunction(LocalFunction):
    """Records batches; answers with whatever `respond` decides (raising FunctionFailed to fail all)."""

    def __init__(self, respond: Any) -> None:
        super().__init__(
            FunctionSpec("Relay", "relay", "arn:aws:lambda:us-east-1:123456789012:function:relay", "x.y",
                         "python3.12", 10, 128, {})
        )  # fmt: skip
        self.batches: list[list[dict[str, Any]]] = []
        self.respond = respond

    def invoke(self, event: Any, request_id: str | None = None) -> Any:
        self.batches.append(event.get("Records", event) if isinstance(event, dict) else event)
        return self.respond(event)


class FakeStreams:
    def __init__(self, records: list[dict[str, Any]]) -> None:
        self.records = records
        self.served = False

    def describe_stream(self, StreamArn: str) -> dict[str, Any]:
        return {"StreamDescription": {"Shards": [{"ShardId": "shard-1"}]}}

    def get_shard_iterator(self, **kwargs: Any) -> dict[str, Any]:
        return {"ShardIterator": "it-0"}

    def get_records(self, ShardIterator: str, Limit: int) -> dict[str, Any]:
        batch, self.served = ([] if self.served else self.records), True
        return {"Records": batch, "NextShardIterator": "it-1"}


def stream_record(n: int, sk: str = "ALERT", event_name: str = "INSERT") -> dict[str, Any]:
    return {
        "eventID": f"e{n}",
        "eventName": event_name,
        "eventSource": "aws:dynamodb",
        "dynamodb": {
            "Keys": {"pk": {"S": f"ALERT#{n}"}, "sk": {"S": sk}},
            "NewImage": {"pk": {"S": f"ALERT#{n}"}, "sk": {"S": sk}, "blob": {"B": b"\x01"}},
            "SequenceNumber": str(100 + n),
            "ApproximateCreationDateTime": datetime(2026, 1, 1, tzinfo=UTC),
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
    }


def stream_pump(
    function: FakeFunction, records: list[dict[str, Any]], **spec: Any
) -> tuple[StreamPump, list]:
    sent: list[tuple[str, str]] = []
    properties = {
        "EventSourceArn": STREAM, "BatchSize": 3, "StartingPosition": "TRIM_HORIZON",
        "FunctionResponseTypes": ["ReportBatchItemFailures"], "MaximumRetryAttempts": 2,
        "DestinationConfig": {"OnFailure": {"Destination": "arn:aws:sqs:us-east-1:123456789012:relay-dlq"}},
        "FilterCriteria": {"Filters": [{"Pattern": '{"dynamodb": {"NewImage": {"sk": {"S": ["ALERT"]}}}}'}]},
        **spec,
    }  # fmt: skip
    pump = StreamPump(
        MappingSpec.from_properties("Mapping", "Relay", properties), function, FakeStreams(records),
        region="us-east-1", retry_delay_s=0.0, send_on_failure=lambda arn, body: sent.append((arn, body)),
        stop=threading.Event(),
    )  # fmt: skip
    pump.open()
    return pump, sent


def drain(pump: StreamPump, rounds: int = 20) -> None:
    for _ in range(rounds):
        pump.poll_once()


def sequences(batch: list[dict[str, Any]]) -> list[str]:
    return [r["dynamodb"]["SequenceNumber"] for r in batch]


def test_stream_records_are_filtered_batched_and_shaped_like_lambda_sends_them() -> None:
    function = FakeFunction(lambda event: None)
    records = [
        stream_record(1),
        stream_record(2, sk="NOTE"),
        stream_record(3),
        stream_record(4),
        stream_record(5),
    ]
    pump, sent = stream_pump(function, records)

    drain(pump)

    assert [sequences(b) for b in function.batches] == [["101", "103", "104"], ["105"]]
    first = function.batches[0][0]
    assert first["eventSourceARN"] == STREAM
    assert first["dynamodb"]["NewImage"]["blob"] == {"B": "AQ=="}
    assert first["dynamodb"]["ApproximateCreationDateTime"] == datetime(2026, 1, 1, tzinfo=UTC).timestamp()
    json.dumps(function.batches)  # what the function gets is JSON
    assert sent == []


def test_a_partial_failure_is_retried_from_the_first_failed_record_then_sent_on_failure() -> None:
    def fail_102(event: Any) -> Any:
        failed = [r for r in event["Records"] if r["dynamodb"]["SequenceNumber"] == "102"]
        return {"batchItemFailures": [{"itemIdentifier": r["dynamodb"]["SequenceNumber"]} for r in failed]}

    function = FakeFunction(fail_102)
    pump, sent = stream_pump(function, [stream_record(n) for n in (1, 2, 3, 4)])

    drain(pump)

    # the first try, then 2 retries from 102; then that batch goes on-failure and is skipped
    assert [sequences(b) for b in function.batches] == [
        ["101", "102", "103"], ["102", "103", "104"], ["102", "103", "104"],
    ]  # fmt: skip
    assert len(sent) == 1
    arn, body = sent[0]
    assert arn.endswith(":relay-dlq")
    failure = json.loads(body)
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert failure["requestContext"]["approximateInvokeCount"] == 3
    assert failure["DDBStreamBatchInfo"]["startSequenceNumber"] == "102"
    assert failure["DDBStreamBatchInfo"]["endSequenceNumber"] == "104"
    assert [r["Keys"]["pk"]["S"] for r in failure["failedRecords"]] == ["ALERT#2", "ALERT#3", "ALERT#4"]


def test_a_function_that_raises_fails_the_whole_batch() -> None:
    def boom(event: Any) -> Any:
        raise FunctionFailed("RuntimeError: down")

    function = FakeFunction(boom)
    pump, sent = stream_pump(function, [stream_record(1), stream_record(2)], MaximumRetryAttempts=1)

    drain(pump)

    assert [sequences(b) for b in function.batches] == [["101", "102"], ["101", "102"]]
    assert json.loads(sent[0][1])["responseContext"]["functionError"] == "RuntimeError: down"


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        (None, set()),
        ({}, set()),
        ({"batchItemFailures": []}, set()),
        ({"batchItemFailures": None}, set()),
        ({"batchItemFailures": [{"itemIdentifier": "b"}]}, {"b"}),
        ({"batchItemFailures": [{"itemIdentifier": ""}]}, None),
        ({"batchItemFailures": [{"itemIdentifier": "zzz"}]}, None),
        ({"batchItemFailures": [{"id": "b"}]}, None),
        ("ok", None),
    ],
)
def test_batch_item_failures_are_read_as_lambda_reads_them(result: Any, expected: set[str] | None) -> None:
    assert failed_identifiers(result, ["a", "b"]) == expected


class FakeSqs:
    def __init__(self, messages: list[dict[str, Any]]) -> None:
        self.messages = messages
        self.deleted: list[str] = []
        self.visibility: dict[str, int] = {}

    def receive_message(self, **kwargs: Any) -> dict[str, Any]:
        batch, self.messages = self.messages[: kwargs["MaxNumberOfMessages"]], self.messages[10:]
        return {"Messages": batch}

    def delete_message_batch(self, QueueUrl: str, Entries: list[dict[str, str]]) -> None:
        self.deleted.extend(e["ReceiptHandle"] for e in Entries)

    def change_message_visibility(self, QueueUrl: str, ReceiptHandle: str, VisibilityTimeout: int) -> None:
        self.visibility[ReceiptHandle] = VisibilityTimeout


def message(n: int, body: str) -> dict[str, Any]:
    return {
        "MessageId": f"m{n}", "ReceiptHandle": f"r{n}", "Body": body, "MD5OfBody": "x",
        "Attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1700000000000"},
        "MessageAttributes": {"type": {"DataType": "String", "StringValue": "panic"},
                              "raw": {"DataType": "Binary", "BinaryValue": b"\x01"}},
    }  # fmt: skip


def test_an_sqs_batch_deletes_what_succeeded_and_shows_the_failures_again_soon() -> None:
    sqs = FakeSqs([message(1, "ok"), message(2, "poison"), message(3, "ok")])

    def fail_poison(event: Any) -> Any:
        return {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in event["Records"]
                                      if r["body"] == "poison"]}  # fmt: skip

    function = FakeFunction(fail_poison)
    spec = MappingSpec.from_properties(
        "Mapping", "Dispatch", {"EventSourceArn": QUEUE, "FunctionResponseTypes": ["ReportBatchItemFailures"]}
    )
    pump = SqsPump(
        spec, function, sqs, "http://q", region="us-east-1", retry_delay_s=1.0, stop=threading.Event()
    )

    assert pump.poll_once() is True

    assert sorted(sqs.deleted) == ["r1", "r3"]
    assert sqs.visibility == {"r2": 1}
    assert spec.batch_size == 10  # Lambda's default for SQS


def test_an_sqs_record_is_shaped_like_lambda_sends_it() -> None:
    record = sqs_record(message(1, "hola"), QUEUE, "us-east-1")

    assert record["messageId"] == "m1"
    assert record["receiptHandle"] == "r1"
    assert record["body"] == "hola"
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert record["messageAttributes"]["type"] == {
        "stringValue": "panic", "stringListValues": [], "binaryListValues": [], "dataType": "String",
    }  # fmt: skip
    assert record["messageAttributes"]["raw"]["binaryValue"] == "AQ=="
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == QUEUE
    assert record["awsRegion"] == "us-east-1"


def test_a_schedule_invokes_its_function_when_due_with_its_input() -> None:
    function = FakeFunction(lambda event: None)
    clock = [datetime(2026, 3, 1, 12, 0, tzinfo=UTC)]
    target = ScheduledTarget(
        "Nightly", parse("rate(1 hour)"), "Relay", lambda fired: {"at": fired.isoformat()}
    )
    invoker = AsyncInvoker({}, lambda arn, body: None, retry_delay_s=0, stop=threading.Event())
    pump = SchedulePump(target, function, invoker=invoker, stop=threading.Event(), now=lambda: clock[0])

    pump.poll_once()  # plans 13:00
    clock[0] += timedelta(minutes=59)
    pump.poll_once()
    assert function.batches == []
    clock[0] += timedelta(minutes=1)
    pump.poll_once()

    assert function.batches == [{"at": "2026-03-01T13:00:00+00:00"}]
    assert pump.next_fire == datetime(2026, 3, 1, 14, 0, tzinfo=UTC)


def test_an_asynchronous_invocation_is_retried_then_recorded_on_failure_and_dead_lettered() -> None:
    def boom(event: Any) -> Any:
        try:
            raise ValueError("no patrol plan")
        except ValueError as error:
            raise FunctionFailed("ValueError: no patrol plan") from error

    function = FakeFunction(boom)
    sent: list[tuple[str, str]] = []
    config = AsyncConfig(
        maximum_retry_attempts=2, on_failure="arn:aws:sqs:::on-failure", dead_letter="arn:aws:sqs:::dlq"
    )
    invoker = AsyncInvoker(
        {"Relay": config}, lambda arn, body: sent.append((arn, body)), retry_delay_s=0, stop=threading.Event()
    )

    assert invoker.invoke(function, {"days": 7}) is False

    assert len(function.batches) == 3  # the first attempt and Lambda's 2 retries
    (failure_arn, failure_body), (dlq_arn, dlq_body) = sent
    record = json.loads(failure_body)
    assert failure_arn == "arn:aws:sqs:::on-failure"
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["requestPayload"] == {"days": 7}
    assert record["responseContext"]["functionError"] == "Unhandled"
    assert record["responsePayload"]["errorType"] == "ValueError"
    assert record["responsePayload"]["errorMessage"] == "no patrol plan"
    assert (dlq_arn, json.loads(dlq_body)) == ("arn:aws:sqs:::dlq", {"days": 7})


def test_an_asynchronous_invocation_that_succeeds_goes_to_on_success() -> None:
    function = FakeFunction(lambda event: {"ok": True})
    sent: list[tuple[str, str]] = []
    invoker = AsyncInvoker(
        {"Relay": AsyncConfig(on_success="arn:aws:sqs:::done")}, lambda arn, body: sent.append((arn, body)),
        retry_delay_s=0, stop=threading.Event(),
    )  # fmt: skip

    assert invoker.invoke(function, {}) is True

    assert json.loads(sent[0][1])["responsePayload"] == {"ok": True}


def test_draining_a_queue_delivers_everything_in_batches_and_redrives_what_keeps_failing() -> None:
    from moto import mock_aws

    with mock_aws():
        import boto3

        sqs = boto3.client("sqs", region_name="us-east-1")
        dlq = sqs.create_queue(QueueName="dispatch-dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 3})
        url = sqs.create_queue(QueueName="dispatch", Attributes={"RedrivePolicy": redrive})["QueueUrl"]
        for n in range(23):
            sqs.send_message(QueueUrl=url, MessageBody="poison" if n == 7 else f"ok-{n}")

        def fail_poison(event: Any) -> Any:
            return {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in event["Records"]
                                          if r["body"] == "poison"]}  # fmt: skip

        function = FakeFunction(fail_poison)
        spec = MappingSpec.from_properties(
            "Mapping", "Dispatch", {"EventSourceArn": QUEUE, "BatchSize": 10,
                                    "MaximumBatchingWindowInSeconds": 60,
                                    "FunctionResponseTypes": ["ReportBatchItemFailures"]}
        )  # fmt: skip
        pump = SqsPump(
            spec, function, sqs, url, region="us-east-1", retry_delay_s=0.0, stop=threading.Event()
        )

        drained = pump.drain()

        bodies = [r["body"] for batch in function.batches for r in batch]
        assert sorted(b for b in bodies if b != "poison") == sorted(f"ok-{n}" for n in range(23) if n != 7)
        assert bodies.count("poison") == 3  # tried maxReceiveCount times, then the queue redrives it
        assert all(len(batch) <= 10 for batch in function.batches)
        assert (drained.records, drained.failed) == (25, 3)
        assert drained.invocations == len(function.batches)
        assert sqs.receive_message(QueueUrl=url).get("Messages") is None
        [dead] = sqs.receive_message(QueueUrl=dlq)["Messages"]
        assert dead["Body"] == "poison"


def test_draining_a_stream_flushes_a_batching_window_and_retries_then_sends_on_failure() -> None:
    records = [stream_record(n) for n in range(1, 5)]

    def fail_second(event: Any) -> Any:
        ids = [r["dynamodb"]["SequenceNumber"] for r in event["Records"]]
        return {"batchItemFailures": [{"itemIdentifier": "102"}]} if "102" in ids else {}

    function = FakeFunction(fail_second)
    pump, sent = stream_pump(function, records, MaximumBatchingWindowInSeconds=60)

    drained = pump.drain()

    # Retried from the first failed record (the batch refills to its size), given up after two retries.
    assert [sequences(b) for b in function.batches] == [["101", "102", "103"]] + [["102", "103", "104"]] * 2
    assert [json.loads(body)["DDBStreamBatchInfo"]["startSequenceNumber"] for _, body in sent] == ["102"]
    assert (drained.invocations, drained.failed) == (3, 3)
    assert pump.drain().invocations == 0  # nothing more to deliver


def test_a_stream_batch_that_fails_whole_is_bisected_when_the_mapping_says_so() -> None:
    # The relay's mapping has BisectBatchOnFunctionError: a function that dies on any batch of more than one
    # record (a crash mid-batch, as make chaos injects) still gets every record through, one at a time, and a
    # split does not use up the retry attempts; without bisect the records are given up after the retries.
    records = [stream_record(n) for n in range(1, 5)]

    def die_unless_alone(event: Any) -> Any:
        if len(event["Records"]) > 1:
            raise FunctionFailed("crashed mid-batch")
        return {}

    bisected = FakeFunction(die_unless_alone)
    pump, sent = stream_pump(bisected, records, BisectBatchOnFunctionError=True, MaximumRetryAttempts=0)
    pump.drain()
    delivered = [sequences(b) for b in bisected.batches if len(b) == 1]
    assert sorted(seq for batch in delivered for seq in batch) == ["101", "102", "103", "104"]
    assert sent == []

    whole = FakeFunction(die_unless_alone)
    pump, sent = stream_pump(whole, records, MaximumRetryAttempts=0)
    pump.drain()
    assert len(sent) >= 1  # given up: the on-failure destination got them


def test_draining_several_pumps_follows_messages_from_one_queue_to_the_next() -> None:
    from infra.local.engine.pumps import drain_all

    first, second = FakeSqs([message(1, "a"), message(2, "b")]), FakeSqs([])

    def forward(event: Any) -> Any:
        second.messages.extend(message(10 + i, r["body"]) for i, r in enumerate(event["Records"]))
        return {}

    relay, sender = FakeFunction(forward), FakeFunction(lambda event: {})
    spec = MappingSpec.from_properties("Mapping", "Relay", {"EventSourceArn": QUEUE})
    pumps = [
        SqsPump(
            spec, sender, second, "http://2", region="us-east-1", retry_delay_s=0.0, stop=threading.Event()
        ),
        SqsPump(
            spec, relay, first, "http://1", region="us-east-1", retry_delay_s=0.0, stop=threading.Event()
        ),
    ]

    drained = drain_all(pumps)

    assert [r["body"] for batch in sender.batches for r in batch] == ["a", "b"]
    assert sum(d.records for d in drained.values()) == 4


class CountingStop(threading.Event):
    """A stop event that records every wait a pump asks for and stops it after `rounds` of them."""

    def __init__(self, rounds: int) -> None:
        super().__init__()
        self.rounds = rounds
        self.waits: list[float] = []

    def wait(self, timeout: float | None = None) -> bool:
        self.waits.append(float(timeout or 0))
        if len(self.waits) >= self.rounds:
            self.set()
        return self.is_set()


def test_an_idle_pump_polls_less_often_and_at_once_again_after_work() -> None:
    # found nothing for ten rounds, then work once, then nothing again
    answers = iter([False] * 10 + [True] + [False] * 30)

    class Quiet(Pump):
        name = "quiet"

        def poll_once(self) -> bool:
            return next(answers)

    stop = CountingStop(rounds=13)
    Quiet(stop)._run()
    assert stop.waits[0] == IDLE_POLL_S
    assert stop.waits[:10] == sorted(stop.waits[:10])
    assert stop.waits[9] == IDLE_POLL_MAX_S > IDLE_POLL_S
    assert max(stop.waits) == IDLE_POLL_MAX_S
    assert stop.waits[10] == IDLE_POLL_S  # the round after work waits the least again
