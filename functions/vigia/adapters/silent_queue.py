"""The Silent queue (own KMS key and DLQ): where the stream relay puts silent alerts, not AlertEvents."""

from __future__ import annotations

import json
from typing import Any

from vigia import settings
from vigia.adapters.aws import client


def announce(event: dict[str, Any]) -> str:
    """Sends one SilentAlertCreated event; returns the SQS message id. Raises so the relay retries."""
    url = settings.get().silent_queue_url
    if not url:
        raise RuntimeError("SILENT_QUEUE_URL is not set: a silent alert must never go the public way")
    answer = client("sqs").send_message(QueueUrl=url, MessageBody=json.dumps(event, separators=(",", ":")))
    return str(answer["MessageId"])
