"""The local emulator stays flat as it fills: a receive from a long queue, a request among many.

moto checks each received message's retention by computing all its queue's attributes, the approximate counts
included (a pass over every message of the queue). With a backlog of a thousand dispatch messages under `make
chaos` that made every receive quadratic and the single emulator process stalled. `quicken_sqs()` reads the
retention from the queue; the rule itself (a message past retention is not delivered) is unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.sqs.models import Queue, SQSBackend, sqs_backends

from infra.local.engine.emulator import ACCOUNT_ID, REGION, quicken_routing, quicken_sqs


@pytest.fixture
def sqs(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    import moto.sqs.models as sqs_models

    # what quicken_sqs() replaces, put back after the test (other tests use moto in this process)
    for owner, name in ((SQSBackend, "is_message_valid_based_on_retention_period"),
                        (sqs_models, "unix_time"), (sqs_models, "unix_time_millis")):  # fmt: skip
        monkeypatch.setattr(owner, name, getattr(owner, name))
    with mock_aws():
        quicken_sqs()
        yield boto3.client("sqs", region_name=REGION)


def _queue_with(sqs: Any, name: str, count: int) -> str:
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    for start in range(0, count, 10):
        entries = [{"Id": str(i), "MessageBody": f"alerta {i}"} for i in range(start, min(start + 10, count))]
        sqs.send_message_batch(QueueUrl=url, Entries=entries)
    return url


def test_a_receive_does_not_compute_every_attribute_of_a_long_queue_per_message(
    sqs: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = _queue_with(sqs, "dispatch", 300)
    passes = {"n": 0}
    attributes = Queue.attributes.fget  # type: ignore[attr-defined]

    def counted(queue: Queue) -> Any:
        passes["n"] += 1
        return attributes(queue)

    monkeypatch.setattr(Queue, "attributes", property(counted))

    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]

    assert len(got) == 10
    assert passes["n"] == 0  # moto's own check: 30 passes over the queue for 10 messages


def test_a_message_past_its_retention_is_still_not_delivered(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="sms", Attributes={"MessageRetentionPeriod": "60"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="nueva")
    sqs.send_message(QueueUrl=url, MessageBody="vieja")
    queue = sqs_backends[ACCOUNT_ID][REGION].queues["sms"]
    old = next(m for m in queue._messages if m.body == "vieja")
    old.sent_timestamp = int(old.sent_timestamp or 0) - 61_000  # type: ignore[assignment]  # 61 s ago, kept 60 s

    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])

    assert [m["Body"] for m in got] == ["nueva"]


def test_a_received_message_stays_invisible_until_its_visibility_timeout_then_comes_back(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="siren", Attributes={"VisibilityTimeout": "30"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="sirena", DelaySeconds=0)
    sqs.send_message(QueueUrl=url, MessageBody="demorada", DelaySeconds=900)

    (first,) = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert first["Body"] == "sirena"  # the delayed one is not delivered yet
    assert sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []) == []

    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=first["ReceiptHandle"], VisibilityTimeout=0)
    (again,) = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert again["Body"] == "sirena"


def test_the_server_lists_its_services_once_not_on_every_request(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from moto import backends

    monkeypatch.setattr(backends, "list_of_moto_modules", backends.list_of_moto_modules)
    listings = {"n": 0}
    listdir = os.listdir

    def counted(path: Any) -> list[str]:
        listings["n"] += 1
        return listdir(path)

    monkeypatch.setattr(backends.os, "listdir", counted)
    quicken_routing()

    found = [("sqs" in backends.list_of_moto_modules()) for _ in range(50)]

    assert all(found)
    assert "dynamodb" in backends.list_of_moto_modules()
    assert listings["n"] == 1
