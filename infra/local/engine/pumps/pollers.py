"""Lambda's pollers for event source mappings: an SQS queue or a DynamoDB stream, batched into a function.

- SQS: long-poll, batch, filter, delete what succeeded, partial batch failures, redrive by the queue.
- DynamoDB streams: shard iterators, filters, batching window, retries, the on-failure destination.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from infra.local.engine.filters import matches_any, parse_filters
from infra.local.engine.functions import FunctionFailed, LocalFunction
from infra.local.engine.pumps.base import Pump

log = logging.getLogger("local_stack.pumps")


@dataclass(frozen=True)
class MappingSpec:
    """An AWS::Lambda::EventSourceMapping, resolved."""

    logical_id: str
    function: str  # logical id
    source_arn: str
    batch_size: int
    batching_window_s: float
    starting_position: str | None = None
    report_item_failures: bool = False
    maximum_retry_attempts: int = -1  # -1: until the records expire (locally: forever)
    on_failure_arn: str | None = None
    filters: list[dict[str, Any]] = field(default_factory=list)
    enabled: bool = True
    bisect: bool = False  # BisectBatchOnFunctionError (streams): a failed batch is split in two and retried

    @classmethod
    def from_properties(cls, logical_id: str, function: str, p: Mapping[str, Any]) -> MappingSpec:
        source = str(p.get("EventSourceArn", ""))
        default_batch = 10 if ":sqs:" in source else 100
        on_failure = ((p.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
        return cls(
            logical_id=logical_id,
            function=function,
            source_arn=source,
            batch_size=int(p.get("BatchSize", default_batch)),
            batching_window_s=float(p.get("MaximumBatchingWindowInSeconds", 0)),
            starting_position=p.get("StartingPosition"),
            report_item_failures="ReportBatchItemFailures" in (p.get("FunctionResponseTypes") or []),
            maximum_retry_attempts=int(p.get("MaximumRetryAttempts", -1)),
            on_failure_arn=str(on_failure) if on_failure else None,
            filters=parse_filters(p.get("FilterCriteria")),
            enabled=str(p.get("Enabled", "true")).lower() != "false",
            bisect=str(p.get("BisectBatchOnFunctionError", "false")).lower() == "true",
        )


def failed_identifiers(result: Any, identifiers: Sequence[str]) -> set[str] | None:
    """The identifiers a ReportBatchItemFailures answer names; None means "the whole batch failed".

    As Lambda reads it: no answer, {} or an empty/null batchItemFailures is a success; an answer that is
    not an object, or an item without an identifier from this batch, fails the whole batch.
    """
    if result is None:
        return set()
    if not isinstance(result, dict):
        return None
    items = result.get("batchItemFailures")
    if not items:
        return set()
    if not isinstance(items, list):
        return None
    failed: set[str] = set()
    for item in items:
        identifier = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not identifier or identifier not in identifiers:
            return None
        failed.add(str(identifier))
    return failed


def _json_ready(value: Any) -> Any:
    """botocore's parsed records back to the JSON Lambda sends (bytes → base64, datetimes → epoch)."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_ready(v) for v in value]
    return value


# ==================================================================== SQS
def sqs_record(message: Mapping[str, Any], source_arn: str, region: str) -> dict[str, Any]:
    """One message as Lambda's SQS event record."""
    attributes = {k: str(v) for k, v in (message.get("Attributes") or {}).items()}
    message_attributes = {}
    for name, value in (message.get("MessageAttributes") or {}).items():
        entry: dict[str, Any] = {
            "stringListValues": value.get("StringListValues", []),
            "binaryListValues": [_json_ready(b) for b in value.get("BinaryListValues", [])],
            "dataType": value.get("DataType", "String"),
        }
        if "StringValue" in value:
            entry["stringValue"] = value["StringValue"]
        if "BinaryValue" in value:
            entry["binaryValue"] = _json_ready(value["BinaryValue"])
        message_attributes[name] = entry
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message.get("Body", ""),
        "attributes": attributes,
        "messageAttributes": message_attributes,
        "md5OfMessageAttributes": message.get("MD5OfMessageAttributes"),
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": source_arn,
        "awsRegion": region,
    }


def _filterable_sqs(record: Mapping[str, Any]) -> dict[str, Any]:
    """What SQS filter patterns see: the record, with a JSON body parsed."""
    view = dict(record)
    with contextlib.suppress(TypeError, ValueError):
        view["body"] = json.loads(record["body"])
    return view


class SqsPump(Pump):
    def __init__(
        self,
        spec: MappingSpec,
        function: LocalFunction,
        sqs: Any,
        queue_url: str,
        *,
        region: str,
        retry_delay_s: float,
        stop: threading.Event,
        fault: Callable[[str], str | None] = lambda function: None,
    ) -> None:
        self.name = f"sqs:{spec.logical_id}"
        super().__init__(stop)
        self.spec = spec
        self.function = function
        self.sqs = sqs
        self.queue_url = queue_url
        self.region = region
        self.retry_delay_s = retry_delay_s
        self.fault = fault  # a chaos run's faults of the event source (TemplateStack.delivery_fault)

    def _receive(self, wait_s: int, count: int) -> list[dict[str, Any]]:
        answer = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=max(1, min(count, 10)),
            WaitTimeSeconds=wait_s,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        return list(answer.get("Messages") or [])

    def _batch(self) -> list[dict[str, Any]]:
        # A one-second long poll keeps shutdown prompt; Lambda's poller waits up to 20 s.
        messages = self._receive(0 if self._draining else 1, self.spec.batch_size)
        if not messages:
            return []
        deadline = time.monotonic() + (0 if self._draining else self.spec.batching_window_s)
        while (
            len(messages) < self.spec.batch_size and time.monotonic() < deadline and not self._stop.is_set()
        ):
            more = self._receive(0, self.spec.batch_size - len(messages))
            if more:
                messages.extend(more)
            else:
                self._stop.wait(min(0.1, max(deadline - time.monotonic(), 0)))
        return messages

    def _invoke(self, kept: list[dict[str, Any]]) -> set[str]:
        """The ids of the records that failed (every one when the function failed)."""
        failed: set[str] | None = set()
        try:
            result = self.function.invoke({"Records": kept})
            if self.spec.report_item_failures:
                failed = failed_identifiers(result, [r["messageId"] for r in kept])
        except FunctionFailed:
            failed = None
        return {r["messageId"] for r in kept} if failed is None else failed

    def poll_once(self) -> bool:
        fault = self.fault(self.spec.function)
        if fault == "error":  # the receive fails; the poller tries again
            log.info("%s: receive failed (fault injected)", self.name)
            self._stop.wait(0.2)
            return True
        messages = self._batch()
        if not messages:
            return False
        records = [sqs_record(m, self.spec.source_arn, self.region) for m in messages]
        kept = [r for r in records if matches_any(self.spec.filters, _filterable_sqs(r))]
        dropped = [r for r in records if r not in kept]
        failed: set[str] = set()
        if kept:
            failed = self._invoke(kept)
            if fault == "duplicate":  # SQS's at-least-once: the same messages handed over again
                failed &= self._invoke(kept)  # done when either delivery handled it
        if kept:
            self.delivered.add(len(kept), len(failed))
        if fault == "visibility":  # the visibility timeout ran out: handled messages come back
            failed = {r["messageId"] for r in kept}
        done = dropped + [r for r in kept if r["messageId"] not in failed]
        for start in range(0, len(done), 10):
            chunk = done[start : start + 10]
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": r["receiptHandle"]} for i, r in enumerate(chunk)],
            )
        for record in kept:
            if record["messageId"] in failed:
                # Lambda leaves a failed message invisible for the queue's whole visibility timeout;
                # locally it comes back after a short delay so retries and redrive are seen quickly.
                self.sqs.change_message_visibility(
                    QueueUrl=self.queue_url,
                    ReceiptHandle=record["receiptHandle"],
                    VisibilityTimeout=round(self.retry_delay_s),
                )
        if failed:
            log.info(
                "%s: %d of %d message(s) failed; they will be retried", self.name, len(failed), len(records)
            )
        return True


# ==================================================================== DynamoDB streams
@dataclass
class _Shard:
    shard_id: str
    iterator: str | None
    buffer: list[dict[str, Any]] = field(default_factory=list)  # matching records not yet checkpointed
    first_buffered_at: float = 0.0
    attempts: int = 0  # failed invocations of the batch starting at buffer[0]
    failing_sequence: str | None = None
    retry_at: float = 0.0
    checkpoint: str | None = None  # sequence number of the last record done with
    cap: int = 0  # after a bisect: the size of the next batch (0: the mapping's batch size)


class StreamPump(Pump):
    def __init__(
        self,
        spec: MappingSpec,
        function: LocalFunction,
        streams: Any,
        *,
        region: str,
        retry_delay_s: float,
        send_on_failure: Callable[[str, str], None],
        stop: threading.Event,
        clock: Callable[[], float] = time.monotonic,
        forget_iterator: Callable[[str], None] = lambda iterator: None,
    ) -> None:
        self.name = f"stream:{spec.logical_id}"
        super().__init__(stop)
        self.spec = spec
        self.function = function
        self.streams = streams
        self.region = region
        self.retry_delay_s = retry_delay_s
        self.send_on_failure = send_on_failure
        self.clock = clock
        self.forget_iterator = forget_iterator
        self.shards: list[_Shard] = []

    def open(self) -> None:
        """Positions the iterators now (so LATEST means "from the moment the stack started")."""
        description = self.streams.describe_stream(StreamArn=self.spec.source_arn)["StreamDescription"]
        position = self.spec.starting_position or "LATEST"
        for shard in description.get("Shards") or []:
            iterator = self.streams.get_shard_iterator(
                StreamArn=self.spec.source_arn, ShardId=shard["ShardId"], ShardIteratorType=position
            )["ShardIterator"]
            self.shards.append(_Shard(shard["ShardId"], iterator))

    def skip_existing(self) -> None:
        """Opens the iterators past every record the stream holds now (LATEST), invoking nothing for them:
        data loaded before the pumps run (an application's preload) arrives as a table imported from S3
        would, with no stream records. Reading them only to drop them cost moto ~10 ms a record."""
        description = self.streams.describe_stream(StreamArn=self.spec.source_arn)["StreamDescription"]
        self.shards = [
            _Shard(
                shard["ShardId"],
                self.streams.get_shard_iterator(
                    StreamArn=self.spec.source_arn, ShardId=shard["ShardId"], ShardIteratorType="LATEST"
                )["ShardIterator"],
            )
            for shard in description.get("Shards") or []
        ]

    def start(self) -> None:
        if not self.shards:
            self.open()
        super().start()

    def poll_once(self) -> bool:
        busy = False
        for shard in self.shards:
            busy = self._poll_shard(shard) or busy
        return busy

    def _poll_shard(self, shard: _Shard) -> bool:
        fetched = False
        if shard.iterator and len(shard.buffer) < self.spec.batch_size:
            answer = self.streams.get_records(ShardIterator=shard.iterator, Limit=1000)
            self.forget_iterator(shard.iterator)  # used once, never again
            shard.iterator = answer.get("NextShardIterator")
            for raw in answer.get("Records") or []:
                fetched = True
                record = _json_ready(raw)
                record["eventSourceARN"] = self.spec.source_arn
                if matches_any(self.spec.filters, record):
                    if not shard.buffer:
                        shard.first_buffered_at = self.clock()
                    shard.buffer.append(record)
                else:
                    shard.checkpoint = record["dynamodb"]["SequenceNumber"]
        if not shard.buffer:
            return fetched
        now = self.clock()
        if now < shard.retry_at:
            return fetched
        size = shard.cap or self.spec.batch_size
        full = len(shard.buffer) >= size
        waiting = now - shard.first_buffered_at < self.spec.batching_window_s
        if not full and waiting and not self._draining and not shard.cap:
            return fetched
        self._deliver(shard, shard.buffer[:size])
        return True

    def _deliver(self, shard: _Shard, batch: list[dict[str, Any]]) -> None:
        sequences = [r["dynamodb"]["SequenceNumber"] for r in batch]
        failed: set[str] | None
        try:
            result = self.function.invoke({"Records": batch})
            failed = failed_identifiers(result, sequences) if self.spec.report_item_failures else set()
            error = "batch item failures"
        except FunctionFailed as failure:
            failed, error = None, str(failure)
        self.delivered.add(len(batch), len(batch) if failed is None else len(failed))
        if failed == set():
            self._advance(shard, len(batch))
            shard.cap = 0
            return
        if failed is None and self.spec.bisect and len(batch) > 1:
            # Lambda splits the batch in two and retries the first half; a split is not a retry attempt
            shard.cap = (len(batch) + 1) // 2
            log.info("%s: a batch of %d failed; retrying it in halves", self.name, len(batch))
            return
        # Retry from the first failed record (the whole batch when the function raised).
        first = 0 if failed is None else min(sequences.index(s) for s in failed)
        self._advance(shard, first)
        retried = batch[first:]
        if shard.failing_sequence != sequences[first]:
            shard.failing_sequence, shard.attempts = sequences[first], 0
        shard.attempts += 1
        limit = self.spec.maximum_retry_attempts
        if limit >= 0 and shard.attempts > limit:
            self._give_up(shard, retried, error)
            return
        shard.retry_at = self.clock() + self.retry_delay_s
        log.info(
            "%s: %d record(s) from %s failed (attempt %d); retrying",
            self.name,
            len(retried),
            sequences[first],
            shard.attempts,
        )

    def _advance(self, shard: _Shard, count: int) -> None:
        if count:
            shard.checkpoint = shard.buffer[count - 1]["dynamodb"]["SequenceNumber"]
            del shard.buffer[:count]
            shard.first_buffered_at = self.clock()

    def _give_up(self, shard: _Shard, records: list[dict[str, Any]], error: str) -> None:
        document = on_failure_record(
            self.spec, self.function, shard.shard_id, records, shard.attempts, error, self.region
        )
        if self.spec.on_failure_arn:
            self.send_on_failure(self.spec.on_failure_arn, json.dumps(document))
        where = f"; on-failure record sent to {self.spec.on_failure_arn}" if self.spec.on_failure_arn else ""
        log.error(
            "%s: %d record(s) discarded after %d attempts%s", self.name, len(records), shard.attempts, where
        )
        self._advance(shard, len(records))
        shard.attempts, shard.failing_sequence, shard.retry_at = 0, None, 0.0


def on_failure_record(
    spec: MappingSpec,
    function: LocalFunction,
    shard_id: str,
    records: Sequence[Mapping[str, Any]],
    attempts: int,
    error: str,
    region: str,
) -> dict[str, Any]:
    """The invocation record Lambda sends to an OnFailure destination for a stream batch, plus (a local
    addition) the failed records' keys, so a tool can find them without reading the stream."""

    def arrival(record: Mapping[str, Any]) -> str:
        stamp = record["dynamodb"].get("ApproximateCreationDateTime") or time.time()
        return datetime.fromtimestamp(float(stamp), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    return {
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": function.spec.arn,
            "condition": "RetryAttemptsExhausted",
            "approximateInvokeCount": attempts,
        },
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": error},
        "version": "1.0",
        "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        "DDBStreamBatchInfo": {
            "shardId": shard_id,
            "startSequenceNumber": records[0]["dynamodb"]["SequenceNumber"],
            "endSequenceNumber": records[-1]["dynamodb"]["SequenceNumber"],
            "approximateArrivalOfFirstRecord": arrival(records[0]),
            "approximateArrivalOfLastRecord": arrival(records[-1]),
            "batchSize": len(records),
            "streamArn": spec.source_arn,
        },
        "failedRecords": [
            {
                "eventID": r.get("eventID"),
                "eventName": r.get("eventName"),
                "SequenceNumber": r["dynamodb"]["SequenceNumber"],
                "Keys": r["dynamodb"].get("Keys"),
            }
            for r in records
        ],
        "awsRegion": region,
    }
