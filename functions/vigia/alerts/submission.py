"""Submitting an alert: who may, how often, where it happened, and one alert per Idempotency-Key."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from vigia import clock
from vigia.city import CityPack
from vigia.errors import (
    FieldError,
    Forbidden,
    IdempotencyKeyReused,
    InvalidRequest,
    OutsideServiceArea,
    TooManyAlerts,
)
from vigia.residents.registration import APPROVED, Resident

RECEIVED = "received"


@dataclass(frozen=True)
class AlertRequest:
    type: str
    lat: float
    lon: float
    accuracy_m: float | None
    note: str | None

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> AlertRequest:
        loc = body["location"]
        return cls(
            body["type"], float(loc["lat"]), float(loc["lon"]), loc.get("accuracy_m"), body.get("note")
        )

    def fingerprint(self) -> str:
        canonical = json.dumps(
            [self.type, self.lat, self.lon, self.accuracy_m, self.note],
            separators=(",", ":"),
            ensure_ascii=False,
        )
        return hashlib.sha256(canonical.encode()).hexdigest()


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

    def receipt(self) -> dict[str, Any]:
        """The 202 answer: enough for the app to show "received" and poll."""
        # A silent alert's is neutral: whoever holds the phone learns nothing (docs/silent-alarms.md).
        if self.silent:
            return {"alert_id": self.alert_id, "status": RECEIVED, "created_at": self.created_at}
        return {
            "alert_id": self.alert_id,
            "status": self.status,
            "type": self.type,
            "created_at": self.created_at,
        }

    def view(self) -> dict[str, Any]:
        if self.silent:  # only what others may see: category, coarse zone, time, status
            from vigia.silent.views import sealed_view

            return sealed_view(self)
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
        }


@dataclass(frozen=True)
class IdempotencyClaim:
    key: str  # namespaced by sender: nobody else's key can collide
    request_hash: str


@dataclass(frozen=True)
class PriorAnswer:
    request_hash: str
    alert_id: str


class Sealer(Protocol):
    """Envelope encryption of a silent alert's identity (adapters.sealing on KMS; a fake in unit tests)."""

    def seal(self, plaintext: bytes, context: dict[str, str]) -> str: ...

    def unseal(self, token: str, context: dict[str, str]) -> bytes: ...


class AlertStore(Protocol):
    def recent_sent_at(self, sender_id: str, since: str) -> list[str]:
        """created_at of the sender's alerts at or after `since` (an index Query, not a Scan)."""
        ...

    def prior_answer(self, claim_key: str) -> PriorAnswer | None: ...

    def create(self, alert: Alert, claim: IdempotencyClaim | None) -> PriorAnswer | None:
        """Stores the alert and its idempotency claim atomically; the existing answer if the key was taken."""
        ...

    def get(self, alert_id: str) -> Alert | None: ...


def submit(
    request: AlertRequest,
    *,
    resident: Resident | None,
    sender_id: str,
    idempotency_key: str | None,
    pack: CityPack,
    alerts: AlertStore,
    now: datetime,
    sealer: Sealer | None = None,
) -> tuple[Alert, bool]:
    """The stored alert and whether it is new (False: a retry answered with the first alert).

    A silent type's alert is stored sealed (vigia.silent): `sealer` encrypts its identity and place.
    """
    if resident is None or resident.status != APPROVED:
        status = resident.status if resident else "unregistered"
        raise Forbidden(
            f"Your registration is {status}: only approved residents can send alerts. "
            f"Call {pack.settings.helpline} if you need help now.",
            resident_status=status,
            helpline=pack.settings.helpline,
        )
    alert_type = pack.alert_types.get(request.type)
    if alert_type is None:
        raise InvalidRequest(
            f"Unknown alert type {request.type!r}; known types: {', '.join(sorted(pack.alert_types))}.",
            errors=[FieldError("/type", "unknown alert type")],
        )
    if not pack.in_service_area(request.lat, request.lon):
        raise OutsideServiceArea(
            f"The alert's location is outside {pack.name}'s service area.",
            errors=[FieldError("/location", "outside the service area")],
        )

    claim = None
    if idempotency_key:
        claim = IdempotencyClaim(f"alert#{sender_id}#{idempotency_key}", request.fingerprint())
        if alert_type.silent:  # no sender or place readable in a silent alert's claim either
            from vigia.silent.sealing import sealed_claim

            claim = sealed_claim(sender_id, idempotency_key, request.fingerprint())
        prior = alerts.prior_answer(claim.key)
        if prior is not None:
            return _replay(prior, claim, alerts), False

    limit = pack.settings.alert_rate_limit
    window = timedelta(seconds=limit.window_s)
    recent = alerts.recent_sent_at(sender_id, clock.iso(now - window))
    if len(recent) >= limit.max_alerts:
        oldest = clock.parse_iso(min(recent))
        retry_after = max(1, int((oldest + window - now).total_seconds()) + 1)
        raise TooManyAlerts(
            f"At most {limit.max_alerts} alerts in {limit.window_s // 60} minutes; "
            f"try again in {retry_after} s or call {pack.settings.helpline}.",
            retry_after_s=retry_after,
        )

    block = pack.block_at(request.lat, request.lon)
    quadrant = pack.quadrant_at(request.lat, request.lon)
    block_source = "location"
    if block is None and resident.block_id:
        block = pack.blocks.get(resident.block_id)
        block_source = "home"
    alert = Alert(
        alert_id=clock.new_id(now),
        type=alert_type.code,
        silent=alert_type.silent,
        priority=alert_type.priority,
        sender_id=sender_id,
        lat=request.lat,
        lon=request.lon,
        accuracy_m=request.accuracy_m,
        note=request.note,
        block_id=block.block_id if block else None,
        quadrant_id=block.quadrant_id if block else (quadrant.quadrant_id if quadrant else None),
        block_source=block_source if block else None,
        status=RECEIVED,
        created_at=clock.iso(now),
        local_date=clock.local_date(now, pack.time_zone),
    )
    if alert.silent:
        from vigia.silent.sealing import seal_alert

        alert = seal_alert(
            alert, resident, sealer=sealer, city_id=pack.city_id, helpline=pack.settings.helpline
        )
    prior = alerts.create(alert, claim)
    if prior is not None and claim is not None:  # a concurrent retry won the race
        return _replay(prior, claim, alerts), False
    return alert, True


def _replay(prior: PriorAnswer, claim: IdempotencyClaim, alerts: AlertStore) -> Alert:
    if prior.request_hash != claim.request_hash:
        raise IdempotencyKeyReused(
            "This Idempotency-Key was already used for a different alert; use a new key for a new alert.",
            errors=[FieldError("/Idempotency-Key", "reused with a different body")],
        )
    alert = alerts.get(prior.alert_id)
    assert alert is not None, "an idempotency claim always points at a stored alert"
    return alert
