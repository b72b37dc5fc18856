"""The message a channel queue carries (schemas/events/delivery-task.json): one delivery to make."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vigia.dispatch.protocol import Delivery

TASK_TYPE = "DeliveryTask"


def to_message(delivery: Delivery, *, city_id: str) -> dict[str, Any]:
    return {
        "event_type": TASK_TYPE,
        "event_version": 1,
        "city_id": city_id,
        "alert_id": delivery.alert_id,
        "key": delivery.key,
        "kind": delivery.kind,
        "channel": delivery.channel,
        "target": delivery.target,
        "recipient": delivery.recipient,
        "locale": delivery.locale,
        "body": delivery.body,
    }


def from_message(message: Mapping[str, Any]) -> Delivery:
    if message.get("event_type") != TASK_TYPE:
        raise ValueError(f"not a delivery task: {message.get('event_type')!r}")
    delivery = Delivery(
        alert_id=str(message["alert_id"]),
        kind=str(message["kind"]),
        channel=str(message["channel"]),
        target=str(message["target"]),
        recipient=str(message["recipient"]),
        body=str(message["body"]),
        locale=message.get("locale"),
    )
    if delivery.key != message["key"]:
        raise ValueError("the task's key does not match its kind, channel and recipient")
    return delivery
