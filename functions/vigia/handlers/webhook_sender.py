"""WebhookSenderFunction: the webhook queue → CAP 1.2 POSTed, HMAC-signed, to the provincial CAD."""

from __future__ import annotations

from vigia import runtime, settings
from vigia.dispatch.protocol import PROVINCIAL_CAD, Delivery
from vigia.handlers.senders import sender_handler

# What this function reads from its environment; template.yaml gives it each one, checked at a cold
# start (a missing one fails the function before any request) and by tests/unit/test_function_settings.py
REQUIRED_SETTINGS = (
    "DELIVERIES_TABLE",
    "WEBHOOK_QUEUE_URL",
    "CAD_SECRET_ARN",
)
settings.require_at_start(REQUIRED_SETTINGS)


def send(delivery: Delivery) -> str:
    cad = runtime.city_pack().dispatch.provincial_cad
    if delivery.recipient != PROVINCIAL_CAD or cad is None:
        raise LookupError(f"no webhook endpoint named {delivery.recipient}")
    return runtime.post_to_cad()(
        cad.url, delivery.body.encode("utf-8"), alert_id=delivery.alert_id, kind=delivery.kind
    )


lambda_handler = sender_handler("webhook", send)
