"""The audit trail of what this stack sends its partner cities: one line per message sent (answered or not)
and one per partner's Ack it accepted, on the alert's trail (issue 15: both sides audit every message).

The receiving side audits in handlers/routes/federation.py (federation_message_received / _refused);
this is the sending side, wrapped around FederationSenderFunction's `send`, so it holds for every kind the
sender sends (a Report, a Cancel, the host's Update) without knowing how each is built. A line names the
partner, the message's kind and distributionID and the answer, never the message's content (her first
name, her callback phone, the place).
"""

from __future__ import annotations

from collections.abc import Callable

from vigia import runtime
from vigia.dispatch.protocol import Delivery
from vigia.federation import forwarding
from vigia.federation.messages import read_message

SENDER_ROLE, PARTNER_ROLE = "federation_sender", "federation_partner"
SENT, FAILED, ACK_RECEIVED = "federation_message_sent", "federation_message_failed", "federation_ack_received"
ACKED_KINDS = frozenset({"Report", "Update"})  # the kinds whose answer must be the partner's signed Ack


def _what(body: str) -> tuple[str, str]:
    """The kind and distributionID of our own message (as built by this stack; unreadable: "unknown")."""
    try:
        message = read_message(body.encode("utf-8"))
    except Exception:  # the sender reports a bad task; the audit line still goes
        return "unknown", "unknown"
    return message.kind, message.distribution_id


def audited(send: Callable[[Delivery], str]) -> Callable[[Delivery], str]:
    """`send`, auditing each attempt: sent (with the HTTP status) or failed (with why), and the Ack."""

    def audited_send(delivery: Delivery) -> str:
        city = runtime.city_pack().city_id
        record = runtime.audit_record()
        kind, distribution_id = _what(delivery.body)
        sent = f"{kind} {distribution_id} to {delivery.recipient}"
        try:
            status = send(delivery)
        except Exception as failed:
            # Our own refusals say why in words without content; anything else only by its class.
            known = isinstance(failed, forwarding.PartnerUnreachable | forwarding.AckRefused)
            why = f"{type(failed).__name__} {failed if known else ''}".strip()
            record(city, SENDER_ROLE, FAILED, "alert", delivery.alert_id, f"{sent}: {why}")
            raise
        record(city, SENDER_ROLE, SENT, "alert", delivery.alert_id, f"{sent}: HTTP {status}")
        if kind in ACKED_KINDS and status != str(forwarding.ALREADY_RECEIVED):
            # `send` returned: the answer was that partner's Ack, signed by its key, naming this message.
            record(
                delivery.recipient,
                PARTNER_ROLE,
                ACK_RECEIVED,
                "alert",
                delivery.alert_id,
                f"Ack of {kind} {distribution_id} from {delivery.recipient}",
            )
        return status

    return audited_send
