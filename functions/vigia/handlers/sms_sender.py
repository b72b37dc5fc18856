"""SmsSenderFunction: the SMS queue → SNS Publish to each phone, once per (alert, recipient)."""

from __future__ import annotations

from vigia.dispatch.protocol import Delivery
from vigia.handlers.senders import sender_handler


def send(delivery: Delivery) -> str:
    from vigia.adapters.sms import send_sms

    return send_sms(delivery.recipient, delivery.body, alert_id=delivery.alert_id, kind=delivery.kind)


lambda_handler = sender_handler("sms", send)
