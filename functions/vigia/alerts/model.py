"""An alert as stored, and the ports its use cases need (the store, the sealer, the sender MAC).

Shared by intake, silent alarms, dispatch, incidents and the indicators; imports no use case, so any of
them may import it without a circle.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

RECEIVED = "received"
FORWARDING = "forwarding"  # roaming.status until the partner's signed Ack comes back (docs/roaming.md)
SILENT = "silent"  # the type category a sealed alert shows to everyone but the response team


@dataclass(frozen=True)
class Visitor:
    """A visitor alert's origin: a partner city's resident, raised here (vigia.federation.hosting).

    No resident record here: the protocol names her with what the partner's Report carried."""

    partner: str  # the partner's city id
    remote_id: str  # the home's alert id
    caller_name: str  # her first name or an alias
    callback_phone: str  # E.164
    report: str = ""  # the Report's CAP reference (sender,identifier,sent): what the host's Updates answer

    def view(self, *, partner_name: str | None = None, contact: bool = False) -> dict[str, str]:
        """Where she comes from (the partner's name as our agreement spells it, when it still lists it) and,
        with `contact`, whom the monitoring centre calls back (vigia.alerts.reading decides who may)."""
        view = {"partner": self.partner, "remote_id": self.remote_id}
        if partner_name:
            view["partner_name"] = partner_name
        if contact:
            view |= {"caller_name": self.caller_name, "callback_phone": self.callback_phone}
        return view


@dataclass(frozen=True)
class Alert:
    alert_id: str
    type: str
    silent: bool
    priority: int
    sender_id: str
    lat: float
    lon: float
    accuracy_m: float | None
    note: str | None
    block_id: str | None
    quadrant_id: str | None
    block_source: str | None
    status: str
    created_at: str
    local_date: str
    sealed: str | None = None  # a silent alert's identity and place, sealed (vigia.silent); never shown
    visitor: Visitor | None = None  # raised here by a partner city's resident (docs/roaming.md)
    # raised in a partner city's jurisdiction and forwarded there (docs/roaming.md): {partner, status}
    roaming: Mapping[str, str] | None = None

    def receipt(self) -> dict[str, Any]:
        """The 202 answer: enough for the app to show "received" and poll."""
        # A silent alert's is neutral: whoever holds the phone learns nothing (docs/silent-alarms.md).
        if self.silent:
            return {"alert_id": self.alert_id, "status": RECEIVED, "created_at": self.created_at}
        receipt: dict[str, Any] = {
            "alert_id": self.alert_id,
            "status": self.status,
            "type": self.type,
            "created_at": self.created_at,
        }
        if self.roaming:
            receipt["roaming"] = {"partner": self.roaming["partner"], "status": self.roaming["status"]}
        return receipt

    def view(self, *, partner_name: str | None = None, contact: bool = False) -> dict[str, Any]:
        """What staff read of it: a visitor alert's partner named and, with `contact`, its caller."""
        if self.silent:  # only what others may see: category, coarse zone, time, status
            return self.sealed_view()
        location: dict[str, Any] = {"lat": self.lat, "lon": self.lon}
        if self.accuracy_m is not None:
            location["accuracy_m"] = self.accuracy_m
        return {
            **self.receipt(),
            "priority": self.priority,
            "silent": self.silent,
            "sender_id": self.sender_id,
            "location": location,
            "note": self.note,
            "block_id": self.block_id,
            "quadrant_id": self.quadrant_id,
            "local_date": self.local_date,
            **(
                {"visitor": self.visitor.view(partner_name=partner_name, contact=contact)}
                if self.visitor
                else {}
            ),
        }

    def sealed_view(self, zone_name: str | None = None) -> dict[str, Any]:
        """A silent alert as operators, police and analysts see it (vigia.silent.views): no one's identity.

        The zone is the quadrant (one of the city's ~10 patrol areas), never the block."""
        zone = None if self.quadrant_id is None else {"quadrant_id": self.quadrant_id, "name": zone_name}
        return {
            "alert_id": self.alert_id,
            "category": SILENT,
            "type": SILENT,
            "silent": True,
            "priority": self.priority,
            "status": self.status,
            "created_at": self.created_at,
            "local_date": self.local_date,
            "zone": zone,
        }


@dataclass(frozen=True)
class IdempotencyClaim:
    key: str  # namespaced by sender: nobody else's key can collide
    request_hash: str


@dataclass(frozen=True)
class PriorAnswer:
    request_hash: str
    alert_id: str


@dataclass(frozen=True)
class SendingWindow:
    """When a sender's latest alerts were accepted, for one limit: the item every accepted alert moves.

    `version` is the one read; the alert's transaction stores the next on the condition it is unchanged,
    so of two submissions that read the same window only one is written (the other reads it again).
    """

    key: str
    sent: tuple[str, ...] = ()  # UTC ISO times, oldest first; at most the limit's max_alerts of them
    version: int = 0  # 0: no item yet
    span_s: int = 0  # how long a time counts: the item may go (TTL) once its newest is that old


class WindowMoved(Exception):
    """The sender's window changed between its read and the alert's write: read it again and decide again."""


class Sealer(Protocol):
    """Envelope encryption of a silent alert's identity (adapters.sealing on KMS; a fake in unit tests)."""

    def seal(self, plaintext: bytes, context: dict[str, str]) -> str: ...

    def unseal(self, token: str, context: dict[str, str]) -> bytes: ...


class SenderMac(Protocol):
    """A keyed MAC (HMAC-SHA256 with a secret the stack keeps): sender-derived values of a silent alert."""

    def mac(self, purpose: str, *parts: str) -> str: ...


class AlertStore(Protocol):
    def window(self, key: str) -> SendingWindow:
        """The sender's window as stored (a consistent read); an empty one if there is none."""
        ...

    def prior_answer(self, claim_key: str) -> PriorAnswer | None: ...

    def create(
        self, alert: Alert, claim: IdempotencyClaim | None, window: SendingWindow
    ) -> PriorAnswer | None:
        """Stores the alert, its idempotency claim and the window atomically; the existing answer if the key
        was taken. Raises WindowMoved if the window is no longer at `window.version`."""
        ...

    def get(self, alert_id: str) -> Alert | None: ...
