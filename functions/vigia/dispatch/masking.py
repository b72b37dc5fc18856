"""What an operator may see of a recipient: phone numbers masked, siren units and agencies as they are."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DeliveryLog:
    """One delivery of an alert as its ledger keeps it: where it went, and how it fared."""

    kind: str
    channel: str
    target: str
    recipient: str
    status: str
    attempts: int
    last_error: str | None
    created_at: str
    updated_at: str
    sent_at: str | None


def operator_view(delivery: DeliveryLog) -> dict[str, Any]:
    """What an operator sees of a delivery (GET /v1/alerts/{alert_id}/deliveries): the recipient masked."""
    return {
        "kind": delivery.kind,
        "channel": delivery.channel,
        "target": delivery.target,
        "recipient": mask_recipient(delivery.channel, delivery.recipient),
        "status": delivery.status,
        "attempts": delivery.attempts,
        "last_error": delivery.last_error,
        "created_at": delivery.created_at,
        "updated_at": delivery.updated_at,
        "sent_at": delivery.sent_at,
    }


def mask_recipient(channel: str, recipient: str) -> str:
    """'+5492615550123' → '+54•••••••••23'; non-phone recipients (siren units, the CAD) are not personal."""
    if channel != "sms":
        return recipient
    digits = recipient.lstrip("+")
    if len(digits) <= 4:
        return "•" * len(recipient)
    head = recipient[:3] if recipient.startswith("+") else ""  # "+54": the country is not personal
    tail = recipient[-2:]
    return head + "•" * (len(recipient) - len(head) - len(tail)) + tail


def scrub(text: str, limit: int = 300) -> str:
    """An error message safe to store and show: long digit runs (phones, ids) masked, length capped."""
    out, run = [], []
    for ch in text:
        if ch.isdigit():
            run.append(ch)
            continue
        out.append("•" * len(run) if len(run) >= 6 else "".join(run))
        run = []
        out.append(ch)
    out.append("•" * len(run) if len(run) >= 6 else "".join(run))
    cleaned = "".join(out)
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"
