"""WebhookSenderFunction: the webhook queue → CAP 1.2 POSTed, HMAC-signed, to the provincial CAD."""

from __future__ import annotations

from vigia import runtime
from vigia.dispatch.protocol import PROVINCIAL_CAD, Delivery
from vigia.handlers.senders import sender_handler


def send(delivery: Delivery) -> str:
    from vigia.adapters.cad import post_cap, resolve_url

    cad = runtime.city_pack().dispatch.provincial_cad
    if delivery.recipient != PROVINCIAL_CAD or cad is None:
        raise LookupError(f"no webhook endpoint named {delivery.recipient}")
    return post_cap(
        resolve_url(cad.url), delivery.body.encode("utf-8"), alert_id=delivery.alert_id, kind=delivery.kind
    )


lambda_handler = sender_handler("webhook", send)
