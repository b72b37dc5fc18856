"""Publishing domain events to SNS topics (AlertEvents)."""

from __future__ import annotations

import json
from typing import Any

from vigia.adapters.aws import client


def publish(topic_arn: str, body: dict[str, Any], attributes: dict[str, str]) -> str:
    """Publishes one event; returns the SNS message id. Raises on failure so the caller can retry."""
    answer = client("sns").publish(
        TopicArn=topic_arn,
        Message=json.dumps(body, separators=(",", ":")),
        MessageAttributes={k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()},
    )
    return str(answer["MessageId"])
