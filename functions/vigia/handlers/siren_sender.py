"""SirenSenderFunction: the siren queue → IoT Core publish to vigia/{city}/sirens/{unit_id}/cmd (QoS 1)."""

from __future__ import annotations

from vigia.dispatch.protocol import Delivery
from vigia.handlers.senders import sender_handler


def send(delivery: Delivery) -> str:
    from vigia.adapters.sirens import command_siren

    return command_siren(delivery.recipient, delivery.body, alert_id=delivery.alert_id, kind=delivery.kind)


lambda_handler = sender_handler("siren", send)
