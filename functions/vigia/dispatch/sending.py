"""Sending one delivery exactly once per (alert, channel, recipient), however often SQS hands it over.

The ledger (DeliveriesTable) is the judge: a sender first claims the delivery with a conditional
update (queued/failed → sending, or a `sending` whose lease ran out), sends, then marks it `sent`
with another condition. A redelivered message finds it `sent` and stops there. The one window left
is a crash between the provider's accept and the `sent` mark: the lease then expires and the
message goes out again — at-least-once, as SNS SMS and End User Messaging offer no idempotency key and
no way to ask whether a message went. That take-over is told apart (RECLAIMED, not CLAIMED): the ledger
counts it in the record's `uncertain` and the sender says, before it sends, that the message may go
out twice — so a duplicate the gap explains can be told from any other. Siren units can drop the repeat
themselves (the command's `command_id`), as IoT QoS 1 already asks of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from vigia.dispatch.masking import scrub
from vigia.dispatch.protocol import Delivery

QUEUED, SENDING, SENT, FAILED, DEAD_LETTER, CANCELLED = (
    "queued",
    "sending",
    "sent",
    "failed",
    "dead_letter",
    "cancelled",
)
CLAIMED, RECLAIMED, ALREADY_SENT, WITHDRAWN, IN_FLIGHT, UNKNOWN = (
    "claimed",
    "reclaimed",  # a `sending` whose lease ran out: the attempt before died, its outcome unknown
    "already_sent",
    "withdrawn",
    "in_flight",
    "unknown",
)


class DeliveryInFlight(Exception):
    """Another worker holds the delivery's lease; SQS will hand the message back later."""


class UnknownDelivery(Exception):
    """A task for a delivery the ledger never recorded: refused, so it lands in the DLQ to be looked at."""


class Ledger(Protocol):
    def claim(self, delivery: Delivery, *, now_s: float, lease_s: int, at: str) -> str:
        """CLAIMED; RECLAIMED when it took over a `sending` whose lease ran out (counted as uncertain: the
        provider may have accepted that attempt's message); or why not: ALREADY_SENT, WITHDRAWN (cancelled),
        IN_FLIGHT, UNKNOWN."""
        ...

    def mark_sent(self, delivery: Delivery, *, at: str, provider_id: str) -> None: ...

    def mark_failed(self, delivery: Delivery, *, at: str, error: str, dead: bool) -> None: ...


@dataclass(frozen=True)
class Attempt:
    receive_count: int  # SQS ApproximateReceiveCount of this message
    max_receives: int  # the queue's maxReceiveCount: past it the message goes to the DLQ


def deliver(
    delivery: Delivery,
    *,
    ledger: Ledger,
    send: Callable[[Delivery], str],
    attempt: Attempt,
    now_s: float,
    at: str,
    lease_s: int,
    on_uncertain: Callable[[Delivery], None] | None = None,
) -> str:
    """SENT, ALREADY_SENT or WITHDRAWN; raises (so SQS retries) when the send failed or is in flight.

    `on_uncertain` hears, before the send, of a claim that took over an expired lease: the message may
    be going out a second time."""
    claim = ledger.claim(delivery, now_s=now_s, lease_s=lease_s, at=at)
    if claim == RECLAIMED and on_uncertain is not None:
        on_uncertain(delivery)
    if claim in (ALREADY_SENT, WITHDRAWN):
        return claim
    if claim == IN_FLIGHT:
        raise DeliveryInFlight(delivery.key)
    if claim == UNKNOWN:
        raise UnknownDelivery(delivery.key)
    try:
        provider_id = send(delivery)
    except Exception as error:
        dead = attempt.receive_count >= attempt.max_receives
        ledger.mark_failed(delivery, at=at, error=scrub(f"{type(error).__name__}: {error}"), dead=dead)
        raise
    ledger.mark_sent(delivery, at=at, provider_id=provider_id)
    return SENT
