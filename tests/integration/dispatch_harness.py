"""Helpers for the dispatch tests: SQS pumps that play Lambda's event source mappings in-process,
neighbours seeded on a block, the outbox read back, and faults injected at each hop."""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from tests.integration.conftest import FakeContext, Stack
from vigia import clock, runtime
from vigia.alerts.events import alert_created
from vigia.residents.registration import Resident

QUEUES = {
    "DispatchQueue": "vigia.handlers.dispatch",
    "SmsQueue": "vigia.handlers.sms_sender",
    "SirenQueue": "vigia.handlers.siren_sender",
    "WebhookQueue": "vigia.handlers.webhook_sender",
}


def sqs() -> Any:
    return boto3.client("sqs", region_name="us-east-1")


def _record(message: dict[str, Any], arn: str) -> dict[str, Any]:
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": {},
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": arn,
        "awsRegion": "us-east-1",
    }


@dataclass
class PumpStats:
    invocations: int = 0
    failures: int = 0


def _invoke(handler: Any, event: dict[str, Any], all_ids: list[str]) -> set[str]:
    """The ids Lambda would put back on the queue: the reported failures, or all when the function raised
    (Powertools raises when every record of the batch failed)."""
    try:
        answer = handler(event, FakeContext())
    except Exception:
        return set(all_ids)
    return {f["itemIdentifier"] for f in (answer or {}).get("batchItemFailures", [])}


def pump(stack: Stack, *, twice: bool = False, rounds: int = 500, only: tuple[str, ...] = ()) -> PumpStats:
    """Delivers every queued message to its function until all queues are idle, as Lambda's pollers would:
    batches of ten, failed items left for a retry (which the DLQ ends), the rest deleted.
    With `twice`, each batch is handed over a second time before it is deleted (an SQS redelivery)."""
    client, stats = sqs(), PumpStats()
    for _ in range(rounds):
        busy = False
        for logical_id, module in QUEUES.items():
            if only and logical_id not in only:
                continue
            url = stack.resources[logical_id]
            arn = client.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
                "QueueArn"
            ]
            messages = client.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"], VisibilityTimeout=30
            ).get("Messages", [])
            if not messages:
                continue
            busy = True
            handler = importlib.import_module(module).lambda_handler
            event = {"Records": [_record(m, arn) for m in messages]}
            failed = _invoke(handler, event, [m["MessageId"] for m in messages])
            stats.invocations += 1
            if twice:
                _invoke(handler, event, [])
                stats.invocations += 1
            stats.failures += len(failed)
            for m in messages:
                if m["MessageId"] in failed:
                    client.change_message_visibility(
                        QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0
                    )
                else:
                    client.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        if not busy:
            return stats
    raise AssertionError("the queues never went idle")


def announce(stack: Stack, alert_id: str) -> None:
    """What the stream relay and AlertEvents do for a stored alert: its AlertCreated on the Dispatch queue."""
    item = stack.alert_item(alert_id)
    event = alert_created(item, city_id=stack.pack.city_id)
    sqs().send_message(QueueUrl=stack.resources["DispatchQueue"], MessageBody=json.dumps(event, default=str))


def seed(
    block_id: str, count: int, *, status: str = "approved", prefix: str = "n", locale: str = "es-AR"
) -> list[Resident]:
    people = [
        Resident(
            user_id=f"{prefix}-{block_id}-{i:04d}",
            full_name=f"Vecino {i}",
            national_id=f"2{i:07d}",
            phone=f"+54926156{abs(hash((prefix, block_id))) % 100:02d}{i:04d}",
            email=f"{prefix}{i}@x.ar",
            address=f"Calle {i}",
            home_lat=0.0,
            home_lon=0.0,
            locale=locale,
            status=status,
            created_at=clock.iso(clock.now()),
            block_id=block_id,
        )
        for i in range(count)
    ]
    runtime.residents().put_seeded(people)
    return people


def outbox(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def deliveries(stack: Stack, alert_id: str) -> list[dict[str, Any]]:
    from boto3.dynamodb.conditions import Key

    table = boto3.resource("dynamodb", region_name="us-east-1").Table(stack.resources["DeliveriesTable"])
    return table.query(KeyConditionExpression=Key("pk").eq(alert_id), ConsistentRead=True)["Items"]


def dlq_depth(stack: Stack, logical_id: str) -> int:
    url = stack.resources[logical_id]
    attrs = sqs().get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    return int(attrs["Attributes"]["ApproximateNumberOfMessages"])


@contextmanager
def failing_calls(service: str, operation: str, *, times: int | None = None) -> Iterator[list[int]]:
    """Makes `service`.`operation` fail through the adapters' boto3 client (always, or `times` times)."""
    from botocore.exceptions import EndpointConnectionError

    from vigia.adapters.aws import client

    count = [0]

    def fail(**_: Any) -> None:
        if times is None or count[0] < times:
            count[0] += 1
            raise EndpointConnectionError(endpoint_url=f"https://{service}.injected-fault")

    boto_client = client(service)
    name = f"before-call.{boto_client.meta.service_model.service_id.hyphenize()}.{operation}"
    boto_client.meta.events.register(name, fail, unique_id="fault")
    try:
        yield count
    finally:
        boto_client.meta.events.unregister(name, unique_id="fault")
