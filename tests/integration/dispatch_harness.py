"""Helpers for the dispatch tests: the local stack's pumps draining the dispatch queues in-process,
neighbours seeded on a block, the outbox read back, and faults injected at each hop."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from infra.local.engine.pumps import Delivered, drain_all
from tests.integration.conftest import Stack, emulator_client
from tests.support.people import national_id, seeded_mobile
from tests.support.template_pumps import queue_pump
from vigia import clock, runtime
from vigia.alerts.events import alert_created
from vigia.residents.registration import Resident

QUEUES = ("DispatchQueue", "SmsQueue", "SirenQueue", "WebhookQueue")  # each drained by its template mapping


def sqs() -> Any:
    return emulator_client("sqs")


def pump(stack: Stack, *, twice: bool = False, rounds: int = 500, only: tuple[str, ...] = ()) -> Delivered:
    """Drains the dispatch queues through the local stack's own pumps until nothing more can be delivered:
    the template's batch sizes, failed items shown again at once (until the queue's redrive ends them in
    the DLQ), the rest deleted. With `twice`, each batch is handed over a second time (an SQS redelivery)."""
    pumps = [queue_pump(stack, queue, twice=twice) for queue in QUEUES if not only or queue in only]
    try:
        drained = drain_all(pumps, rounds=rounds)
    except RuntimeError:
        raise AssertionError("the queues never went idle") from None
    total = Delivered()
    for delivered in drained.values():
        total.invocations += delivered.invocations
        total.records += delivered.records
        total.failed += delivered.failed
    return total


def announce(stack: Stack, alert_id: str) -> None:
    """What the stream relay and AlertEvents do for a stored alert: its AlertCreated on the Dispatch queue."""
    item = stack.alert_item(alert_id)
    event = alert_created(item, city_id=stack.pack.city_id)
    sqs().send_message(QueueUrl=stack.resources["DispatchQueue"], MessageBody=json.dumps(event, default=str))


_GROUPS: dict[tuple[str, str], int] = {}


def seed(
    block_id: str, count: int, *, status: str = "approved", prefix: str = "n", locale: str | None = None
) -> list[Resident]:
    """`count` residents on the block, of the running stack's pack's country, in its locale unless told."""
    pack = runtime.city_pack()
    # Each (prefix, block) its own hundred of numbers: a hash could give two the same (str hashes change per
    # process), and a pending neighbour would then share an approved one's phone and "hear" the alert
    group = _GROUPS.setdefault((prefix, block_id), len(_GROUPS) % 100)
    people = [
        Resident(
            user_id=f"{prefix}-{block_id}-{i:04d}",
            full_name=f"Vecino {i}",
            national_id=national_id(pack.country_code, 20_000_000 + i),
            phone=seeded_mobile(pack.country_code, group, i),
            email=f"{prefix}{i}@x.ar",
            address=f"Calle {i}",
            home_lat=0.0,
            home_lon=0.0,
            locale=locale or pack.locale,
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

    table = stack.table("DeliveriesTable")
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
