"""WebhookSenderFunction: the webhook queue → CAP 1.2 POSTed, signed, to the provincial CAD or another CAD."""

from __future__ import annotations

from vigia import runtime, settings
from vigia.dispatch.cad import cad_for_recipient
from vigia.dispatch.protocol import Delivery
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
    cad_id, cad = cad_for_recipient(runtime.city_pack(), delivery.recipient)
    return runtime.post_to_cad()(
        cad.url, delivery.body.encode("utf-8"), alert_id=delivery.alert_id, kind=delivery.kind, cad_id=cad_id
    )


lambda_handler = sender_handler("webhook", send)
