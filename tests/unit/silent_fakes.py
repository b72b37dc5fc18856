"""In-memory fakes for the silent-alarm unit tests: a sealer (real AES-GCM, one fixed key, context checked
like KMS does), an alert store, residents, and the image the Alerts stream would carry for a stored alert."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import os
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tests.support import godoy_cruz_pack
from vigia.alerts.submission import Alert, IdempotencyClaim, PriorAnswer, SendingWindow, WindowMoved
from vigia.city import CityPack
from vigia.residents.registration import APPROVED, Resident


def demo_pack() -> CityPack:
    return godoy_cruz_pack()


class FakeSealer:
    """Seals with AES-GCM under one key; opens only with the same context (as KMS's encryption context)."""

    def __init__(self) -> None:
        self.key = AESGCM.generate_key(bit_length=256)
        self.sealed = 0
        self.opened = 0

    def seal(self, plaintext: bytes, context: dict[str, str]) -> str:
        self.sealed += 1
        nonce = os.urandom(12)
        aad = json.dumps(context, sort_keys=True).encode()
        blob = nonce + AESGCM(self.key).encrypt(nonce, plaintext, aad)
        return base64.b64encode(blob).decode()

    def unseal(self, token: str, context: dict[str, str]) -> bytes:
        self.opened += 1
        blob = base64.b64decode(token)
        aad = json.dumps(context, sort_keys=True).encode()
        return AESGCM(self.key).decrypt(blob[:12], blob[12:], aad)


class BrokenSealer(FakeSealer):
    def seal(self, plaintext: bytes, context: dict[str, str]) -> str:
        raise ConnectionError("KMS unreachable")


class FakeMac:
    """HMAC-SHA256 under a random key, as adapters.sender_mac does with SilentMacSecret."""

    def __init__(self) -> None:
        self.key = os.urandom(32)

    def mac(self, purpose: str, *parts: str) -> str:
        return hmac.new(self.key, "\x1f".join((purpose, *parts)).encode(), hashlib.sha256).hexdigest()


class FakeAlertStore:
    def __init__(self) -> None:
        self.alerts: dict[str, Alert] = {}
        self.claims: dict[str, PriorAnswer] = {}
        self.windows: dict[str, SendingWindow] = {}

    def window(self, key: str) -> SendingWindow:
        return self.windows.get(key, SendingWindow(key))

    def prior_answer(self, claim_key: str) -> PriorAnswer | None:
        return self.claims.get(claim_key)

    def create(
        self, alert: Alert, claim: IdempotencyClaim | None, window: SendingWindow
    ) -> PriorAnswer | None:
        if claim is not None and claim.key in self.claims:
            return self.claims[claim.key]
        if self.window(window.key).version != window.version:
            raise WindowMoved(window.key)
        if claim is not None:
            self.claims[claim.key] = PriorAnswer(claim.request_hash, alert.alert_id)
        self.windows[window.key] = dataclasses.replace(window, version=window.version + 1)
        self.alerts[alert.alert_id] = alert
        return None

    def get(self, alert_id: str) -> Alert | None:
        return self.alerts.get(alert_id)


def resident(n: int, block_id: str | None, *, lat: float = 0.0, lon: float = 0.0) -> Resident:
    return Resident(
        user_id=f"resident-{n:04d}",
        full_name=f"Ximena Urquiza {n:04d}",
        national_id=f"3{n:07d}",
        phone=f"+5492614{n:06d}",
        email=f"ximena{n}@example.ar",
        address=f"Callejón Pringles {1000 + n}",
        home_lat=lat,
        home_lon=lon,
        locale="es-AR",
        status=APPROVED,
        created_at="2026-01-01T00:00:00.000Z",
        block_id=block_id,
    )


def image_of(alert: Alert) -> dict[str, Any]:
    """What the Alerts stream's NEW_IMAGE holds for a stored alert (as adapters.dynamodb.alerts writes it)."""
    image: dict[str, Any] = {
        "pk": alert.alert_id,
        "sk": "ALERT",
        "type": alert.type,
        "silent": alert.silent,
        "priority": alert.priority,
        "sender_id": alert.sender_id,
        "quadrant_id": alert.quadrant_id,
        "block_id": alert.block_id,
        "created_at": alert.created_at,
        "local_date": alert.local_date,
        "status": alert.status,
    }
    if alert.sealed:
        image["sealed"] = alert.sealed
    else:
        image["location"] = {"lat": alert.lat, "lon": alert.lon}
    return image


def record_text(alert: Alert) -> str:
    """Every field of the stored alert but the envelope, as text: what anyone with table access reads."""
    fields = {k: v for k, v in dataclasses.asdict(alert).items() if k != "sealed"}
    return json.dumps(fields, ensure_ascii=False, default=str)
