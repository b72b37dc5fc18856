"""The channel queues (SMS, sirens, webhook, federation) and their DLQs: enqueue in batches of ten, peek and
redrive; the lifecycle's notifier on them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from vigia import settings
from vigia.adapters.aws import client
from vigia.dispatch import tasks
from vigia.dispatch.protocol import Delivery

if TYPE_CHECKING:
    from vigia.silent.lifecycle import PoliceRequest

BATCH = 10  # SQS SendMessageBatch limit
MAX_DELAY_S = 900  # SQS DelaySeconds limit


def queue_url(channel: str) -> str:
    s = settings.get()
    url = {
        "sms": s.sms_queue_url,
        "siren": s.siren_queue_url,
        "webhook": s.webhook_queue_url,
        "federation": s.federation_queue_url,
        "dispatch": s.dispatch_queue_url,
        "silent": s.silent_queue_url,
    }.get(channel, "")
    if not url:
        raise LookupError(f"no queue configured for {channel}")
    return url


def dlq_url(queue: str) -> str:
    """Each queue's DLQ is named after it with "-dlq" (template.yaml)."""
    return queue_url(queue) + "-dlq"


class EnqueueFailed(Exception):
    """SQS refused some entries of a batch even after one more try."""


class SqsTaskQueues:
    """fanout.TaskQueues on SQS."""

    def enqueue(self, deliveries: Sequence[Delivery]) -> None:
        city_id = settings.get().city_id
        by_channel: dict[str, list[Delivery]] = {}
        for delivery in deliveries:
            by_channel.setdefault(delivery.channel, []).append(delivery)
        for channel, items in by_channel.items():
            url = queue_url(channel)
            for start in range(0, len(items), BATCH):
                entries = [
                    {
                        "Id": str(i),
                        "MessageBody": json.dumps(tasks.to_message(d, city_id=city_id), ensure_ascii=False),
                        **({"DelaySeconds": min(d.delay_s, MAX_DELAY_S)} if d.delay_s else {}),
                    }
                    for i, d in enumerate(items[start : start + BATCH])
                ]
                send_batch(url, entries)


def send_batch(url: str, entries: list[dict[str, Any]]) -> None:
    sqs = client("sqs")
    answer = sqs.send_message_batch(QueueUrl=url, Entries=entries)
    failed = {f["Id"] for f in answer.get("Failed", [])}
    if failed:
        retry = [e for e in entries if e["Id"] in failed]
        again = sqs.send_message_batch(QueueUrl=url, Entries=retry)
        if again.get("Failed"):
            raise EnqueueFailed(f"{len(again['Failed'])} task(s) refused by {url.rsplit('/', 1)[-1]}")


def announce_cancellation(alert_id: str, cancelled_at: str) -> None:
    """The AlertCancelled event (schemas/events/alert-cancelled.json), straight to the Dispatch queue."""
    s = settings.get()
    body = {
        "event_type": "AlertCancelled",
        "event_version": 1,
        "event_id": f"{alert_id}:cancelled",
        "city_id": s.city_id,
        "alert_id": alert_id,
        "cancelled_at": cancelled_at,
    }
    client("sqs").send_message(QueueUrl=queue_url("dispatch"), MessageBody=json.dumps(body))


def retry_later(channel: str, receipt_handle: str, delay_s: float) -> None:
    """Hides a failed message for `delay_s` (backoff with jitter) instead of the queue's whole timeout."""
    client("sqs").change_message_visibility(
        QueueUrl=queue_url(channel), ReceiptHandle=receipt_handle, VisibilityTimeout=int(min(delay_s, 43_199))
    )


# ------------------------------------------------------------------ DLQs for operators
QUEUES = ("dispatch", "sms", "siren", "webhook", "silent", "federation")


def dlq_summary(peek: int = 10) -> list[dict[str, Any]]:
    """Each DLQ's depth and a peek at its messages (alert, channel; no bodies: they hold personal data)."""
    sqs = client("sqs")
    out = []
    for queue in QUEUES:
        try:
            url = dlq_url(queue)
        except LookupError:
            continue
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
        depth = int(attrs["Attributes"].get("ApproximateNumberOfMessages", 0))
        messages = []
        if depth and peek:
            answer = sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=min(peek, 10),
                VisibilityTimeout=0,  # a peek: they stay where they are
                AttributeNames=["ApproximateReceiveCount", "SentTimestamp"],
                MessageAttributeNames=["All"],  # a poison message's reason (adapters.dead_letters)
            )
            for m in answer.get("Messages", []):
                messages.append(_describe(m))
        out.append({"queue": queue, "depth": depth, "messages": messages})
    return out


def _describe(message: dict[str, Any]) -> dict[str, Any]:
    try:
        body = json.loads(message["Body"])
    except ValueError:
        body = {}
    from vigia.dispatch.masking import mask_recipient

    if not isinstance(body, dict):
        body = {}
    channel = body.get("channel")
    attributes = message.get("MessageAttributes") or {}
    return {
        "message_id": message["MessageId"],
        "event_type": body.get("event_type"),
        "alert_id": body.get("alert_id"),
        "channel": channel,
        "recipient": mask_recipient(channel, body["recipient"]) if channel and "recipient" in body else None,
        # why it is here when its consumer put it here at once (a poison message); None: retries ran out
        "reason": (attributes.get("PoisonReason") or {}).get("StringValue"),
    }


def _attributes(message: dict[str, Any]) -> dict[str, Any]:
    kept = {
        name: {k: v for k, v in value.items() if k in ("DataType", "StringValue", "BinaryValue")}
        for name, value in (message.get("MessageAttributes") or {}).items()
    }
    return {"MessageAttributes": kept} if kept else {}


def redrive(queue: str, limit: int = 1000) -> int:
    """Moves up to `limit` messages from the queue's DLQ back to it; returns how many moved."""
    sqs = client("sqs")
    source, dlq = queue_url(queue), dlq_url(queue)
    moved = 0
    while moved < limit:
        answer = sqs.receive_message(
            QueueUrl=dlq,
            MaxNumberOfMessages=10,
            VisibilityTimeout=30,
            WaitTimeSeconds=0,
            MessageAttributeNames=["All"],
        )
        messages = answer.get("Messages", [])
        if not messages:
            break
        # Attributes travel back: a poison message's reason tells its consumer to drop it, not dead-letter
        # it again (vigia.handlers.poison), so a redrive never loops.
        entries = [{"Id": str(i), "MessageBody": m["Body"], **_attributes(m)} for i, m in enumerate(messages)]
        send_batch(source, entries)
        sqs.delete_message_batch(
            QueueUrl=dlq,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
        )
        moved += len(messages)
    return moved


class SqsNotifier:
    """service.Notifier on the dispatch engineer's queues: deliveries to their channel queue (the SMS sender
    sends them once), a cancellation to the Dispatch queue (the dispatcher tells everyone who was told)."""

    def enqueue(self, deliveries: Sequence[Delivery]) -> None:
        SqsTaskQueues().enqueue(deliveries)

    def announce_cancellation(self, alert_id: str, cancelled_at: str) -> None:
        announce_cancellation(alert_id, cancelled_at)

    def request_police(self, alert_id: str, request: PoliceRequest, *, at: str) -> None:
        """A silent alert's police request goes to the Silent queue (never the Dispatch queue): the Silent
        router opens the envelope and sends the place (docs/silent-alarms.md)."""
        from vigia.adapters import silent_queue  # the silent paths' own imports: not on every sender's start
        from vigia.silent.routing import police_requested

        silent_queue.announce(police_requested(alert_id, request, at=at, city_id=settings.get().city_id))
