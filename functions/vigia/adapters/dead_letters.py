"""Putting a poison message in its queue's DLQ at once, with the reason as message attributes operators see
at GET /v1/admin/dlq (and that a redrive carries back, so the consumer knows it has been there)."""

from __future__ import annotations

from vigia import settings
from vigia.adapters.aws import client

REASON, CONSUMER = "PoisonReason", "PoisonConsumer"  # SQS message attribute names


def _queue_url(queue: str) -> str:
    from vigia.adapters.task_queues import queue_url

    if queue == "indicator_runs":
        url = settings.get().indicator_runs_queue_url
        if not url:
            raise LookupError("no queue configured for indicator_runs")
        return url
    return queue_url(queue)


def dlq_url(queue: str) -> str:
    """Each queue's DLQ is named after it with "-dlq" (template.yaml)."""
    return _queue_url(queue) + "-dlq"


def dead_letter(queue: str, body: str, *, reason: str, consumer: str) -> str:
    """Sends the message as it came to the queue's DLQ, its reason attached; returns the new message id."""
    answer = client("sqs").send_message(
        QueueUrl=dlq_url(queue),
        MessageBody=body,
        MessageAttributes={
            REASON: {"DataType": "String", "StringValue": reason},
            CONSUMER: {"DataType": "String", "StringValue": consumer},
        },
    )
    return str(answer["MessageId"])
