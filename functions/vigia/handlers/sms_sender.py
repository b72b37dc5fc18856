"""SmsSenderFunction: the SMS queue → the city's SmsChannel (SNS or End User Messaging), once a recipient."""

from __future__ import annotations

from vigia import runtime, settings
from vigia.dispatch.protocol import Delivery
from vigia.handlers.senders import sender_handler

# What this function reads from its environment; template.yaml gives it each one, checked at a cold
# start (a missing one fails the function before any request) and by tests/unit/test_function_settings.py
REQUIRED_SETTINGS = (
    "DELIVERIES_TABLE",
    "SMS_QUEUE_URL",
)
settings.require_at_start(REQUIRED_SETTINGS)


def send(delivery: Delivery) -> str:
    return runtime.send_sms()(
        delivery.recipient, delivery.body, alert_id=delivery.alert_id, kind=delivery.kind
    )


lambda_handler = sender_handler("sms", send)
