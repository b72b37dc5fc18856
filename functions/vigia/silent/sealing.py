"""Sealing a silent alert: what only the response team may read leaves the record, encrypted.

The stored alert keeps what others may see (category `silent`, quadrant, time, status, priority).
Her name, phone, national id, e-mail, address, the exact place and block, the note and even the
specific alert type go into one envelope (KMS data key + AES-GCM, adapters.sealing) bound to the
alert's id. Nothing left in the clear links the alert to her: the sender field holds a per-alert
placeholder, and every stored value derived from her (an Idempotency-Key claim, the silent limit's
window) is a keyed MAC (HMAC-SHA256 with SilentMacSecret), which no one without that secret can test
against a list of residents and likely keys.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any

from vigia.alerts.model import SILENT, Alert, IdempotencyClaim, Sealer, SenderMac
from vigia.errors import VigiaError
from vigia.residents.registration import Resident

SEALED_SENDER_PREFIX = "sealed#"
ENVELOPE_VERSION = 1


class SealingRequired(RuntimeError):
    """A silent alert reached the store without a sealer: refused rather than stored in the clear."""


class AlertNotSent(VigiaError):
    """Sealing failed (KMS unreachable): nothing was stored, and the app is told to try again, neutrally."""

    status, title, slug = 503, "Alert not sent", "alert-not-sent"


@dataclass(frozen=True)
class SealedIdentity:
    """Who sent a silent alert, from where, and what she wrote: the response team's eyes only."""

    type: str
    resident_id: str
    full_name: str
    phone: str
    national_id: str
    email: str
    address: str
    locale: str | None
    lat: float
    lon: float
    accuracy_m: float | None
    block_id: str | None
    block_source: str | None  # "location" (where she was) or "home" (her registered block)
    note: str | None
    sender_suspended: bool = False  # her account was suspended when she sent it (the team's eyes only)

    def to_bytes(self) -> bytes:
        return json.dumps({"v": ENVELOPE_VERSION, **asdict(self)}, ensure_ascii=False).encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes) -> SealedIdentity:
        raw: dict[str, Any] = json.loads(data.decode("utf-8"))
        if raw.pop("v", None) != ENVELOPE_VERSION:
            raise ValueError("unknown sealed identity version")
        return cls(**raw)

    def secrets(self) -> tuple[str, ...]:
        """Her details as text: never to appear outside a response-team answer (logs, SMS, other views)."""
        values = [self.full_name, self.phone, self.national_id, self.email, self.address, self.resident_id]
        if self.note:
            values.append(self.note)
        return tuple(v for v in values if v)

    def coordinates(self) -> tuple[str, ...]:
        """Her place as it would be printed: enough decimals to find the house (4 decimals, about 10 m)."""
        return (f"{self.lat:.4f}", f"{self.lon:.4f}")


def context(alert_id: str, city_id: str) -> dict[str, str]:
    """The encryption context: the envelope opens only for this alert of this city (and KMS logs it)."""
    return {"purpose": "silent-alert-identity", "city_id": city_id, "alert_id": alert_id}


def sealed_sender(alert_id: str) -> str:
    """The sender field of a sealed alert: unique per alert, so it links to no one and no other alert."""
    return SEALED_SENDER_PREFIX + alert_id


def is_sealed_sender(sender_id: str) -> bool:
    return sender_id.startswith(SEALED_SENDER_PREFIX)


def sealed_claim(sender_id: str, idempotency_key: str, fingerprint: str, macs: SenderMac) -> IdempotencyClaim:
    """An Idempotency-Key claim that names neither the sender nor the place.

    Its key and request hash are MACs over the sender, her key (and the request): without the stack's
    secret, nobody holding the table can try residents and likely keys (`k-1`, …) against them.
    """
    key = macs.mac("silent-claim", sender_id, idempotency_key)
    request_hash = macs.mac("silent-request", sender_id, idempotency_key, fingerprint)
    return IdempotencyClaim(f"alert#{SEALED_SENDER_PREFIX}{key}", request_hash)


def sealed_window_key(sender_id: str, macs: SenderMac) -> str:
    """The silent limit's per-sender window item: one per resident, named by a MAC of her id."""
    return f"window#{SILENT}#{macs.mac('silent-window', sender_id)}"


def identity_of(alert: Alert, resident: Resident, *, sender_suspended: bool = False) -> SealedIdentity:
    return SealedIdentity(
        type=alert.type,
        resident_id=resident.user_id,
        full_name=resident.full_name,
        phone=resident.phone,
        national_id=resident.national_id,
        email=resident.email,
        address=resident.address,
        locale=resident.locale or None,
        lat=alert.lat,
        lon=alert.lon,
        accuracy_m=alert.accuracy_m,
        block_id=alert.block_id,
        block_source=alert.block_source,
        note=alert.note,
        sender_suspended=sender_suspended,
    )


def seal_alert(
    alert: Alert,
    resident: Resident,
    *,
    sealer: Sealer | None,
    city_id: str,
    helpline: str,
    sender_suspended: bool = False,
) -> Alert:
    """The alert as it may be stored: identity, place, block, note and specific type sealed away.

    Never stored unsealed: if sealing fails, nothing is stored and the app gets a neutral 503.
    """
    return seal(
        alert,
        lambda: identity_of(alert, resident, sender_suspended=sender_suspended),
        sealer=sealer,
        city_id=city_id,
        helpline=helpline,
    )


def seal(
    alert: Alert,
    identity: Callable[[], SealedIdentity],
    *,
    sealer: Sealer | None,
    city_id: str,
    helpline: str,
) -> Alert:
    """The alert with `identity` (hers, or a partner city's visitor's) sealed away: what may be stored."""
    if sealer is None:
        raise SealingRequired("a silent alert cannot be stored without sealing its identity")
    try:
        token = sealer.seal(identity().to_bytes(), context(alert.alert_id, city_id))
    except Exception as error:
        raise AlertNotSent(
            f"The alert could not be sent just now. Try again, or call {helpline}.", retry=True
        ) from error
    return replace(
        alert,
        type=SILENT,
        sender_id=sealed_sender(alert.alert_id),
        lat=math.nan,  # not known outside the envelope: NaN, never a plausible place
        lon=math.nan,
        accuracy_m=None,
        note=None,
        block_id=None,
        block_source=None,
        sealed=token,
    )


def unseal(alert: Alert, sealer: Sealer, *, city_id: str) -> SealedIdentity:
    """Opens the envelope: response-team paths only, and only after the read is audited."""
    if not alert.sealed:
        raise ValueError("the alert carries no sealed identity")
    return SealedIdentity.from_bytes(sealer.unseal(alert.sealed, context(alert.alert_id, city_id)))


def visitor_identity(
    alert: Alert, *, sender_id: str, caller_name: str, callback_phone: str
) -> SealedIdentity:
    """A partner city's resident, as her home's Report names her: a first name and a phone to call back —
    the whole of what crosses (no national id, e-mail or address: the home never sends them)."""
    return SealedIdentity(
        type=alert.type,
        resident_id=sender_id,
        full_name=caller_name,
        phone=callback_phone,
        national_id="",
        email="",
        address="",
        locale=None,
        lat=alert.lat,
        lon=alert.lon,
        accuracy_m=alert.accuracy_m,
        block_id=alert.block_id,
        block_source=alert.block_source,
        note=None,
    )
