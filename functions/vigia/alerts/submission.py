"""Submitting an alert: who may, how often, where it happened, and one alert per Idempotency-Key.

How often is a per-sender window item written in the same transaction as the alert, on the condition that
nobody moved it since it was read: however many execution environments take a resident's taps at once,
no more than the limit are accepted (docs/api.md). Silent alerts have their own window, keyed by a MAC.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from vigia import clock
from vigia.alerts.model import (
    FORWARDING,
    RECEIVED,
    Alert,
    AlertStore,
    IdempotencyClaim,
    PriorAnswer,
    Sealer,
    SenderMac,
    SendingWindow,
    WindowMoved,
)
from vigia.city import CityPack, RateLimit
from vigia.errors import (
    FieldError,
    Forbidden,
    IdempotencyKeyReused,
    InvalidRequest,
    OutsideServiceArea,
    TooManyAlerts,
)
from vigia.federation.agreement import Agreement
from vigia.residents.registration import APPROVED, SUSPENDED, Resident
from vigia.silent.sealing import AlertNotSent, SealingRequired, seal_alert, sealed_claim, sealed_window_key


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


# A write that lost its window to a concurrent one reads it again; each loss means another alert of hers
# was accepted, so after max_alerts losses the window is full and the answer is a 429.
_EXTRA_ATTEMPTS = 3


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
    sender_mac: SenderMac | None = None,
    agreement: Agreement | None = None,
) -> tuple[Alert, bool]:
    """The stored alert and whether it is new (False: a retry answered with the first alert).

    A silent type's alert is stored sealed (vigia.silent): `sealer` encrypts its identity and place, and
    `sender_mac` keys every value stored with it that derives from the sender (claim, window).
    Outside the service area, an alert in a partner city's jurisdiction (`agreement`) is accepted and
    marked `roaming: {partner, status: forwarding}`; anywhere else it is refused (docs/roaming.md).
    """
    alert_type = pack.alert_types.get(request.type)
    silent = alert_type is not None and alert_type.silent
    status = resident.status if resident else "unregistered"
    # A victim is never blocked because someone misused her phone: silent alerts pass a suspension.
    if resident is None or not (status == APPROVED or (silent and status == SUSPENDED)):
        raise Forbidden(
            f"Your registration is {status}: only approved residents can send alerts. "
            f"Call {pack.settings.helpline} if you need help now.",
            resident_status=status,
            helpline=pack.settings.helpline,
        )
    if alert_type is None:
        raise InvalidRequest(
            f"Unknown alert type {request.type!r}; known types: {', '.join(sorted(pack.alert_types))}.",
            errors=[FieldError("/type", "unknown alert type")],
        )
    roaming = None
    if not pack.in_service_area(request.lat, request.lon):
        # A silent alarm roams only where the agreement says `silent_alarms` (sealed here as at home; the
        # partner's response team only, there): else it stays a 422, as outside every jurisdiction.
        partner = (
            agreement.partner_for(request.lat, request.lon, alert_type.code, silent=silent)
            if agreement is not None
            else None
        )
        if partner is None:
            raise OutsideServiceArea(
                f"The alert's location is outside {pack.name}'s service area.",
                errors=[FieldError("/location", "outside the service area")],
            )
        roaming = {"partner": partner.partner_id, "status": FORWARDING}

    claim = None
    if silent:  # no sender or place readable in a silent alert's claim or window either
        if sender_mac is None:
            raise SealingRequired("a silent alert's claim and window need the sender MAC")
        limit = pack.settings.silent_alert_rate_limit
        window_key = sealed_window_key(sender_id, sender_mac)
        if idempotency_key:
            claim = sealed_claim(sender_id, idempotency_key, request.fingerprint(), sender_mac)
    else:
        limit = pack.settings.alert_rate_limit
        window_key = f"window#alert#{sender_id}"
        if idempotency_key:
            claim = IdempotencyClaim(f"alert#{sender_id}#{idempotency_key}", request.fingerprint())

    alert: Alert | None = None
    for attempt in range(limit.max_alerts + _EXTRA_ATTEMPTS):
        if claim is not None:  # a retry (even one racing its first try) gets the first answer, never a 429
            prior = alerts.prior_answer(claim.key)
            if prior is not None:
                return _replay(prior, claim, alerts), False
        try:
            window = admit(alerts.window(window_key), now=now, limit=limit, helpline=pack.settings.helpline)
        except TooManyAlerts:
            # The window may be full because this very tap's first try landed between the claim read and
            # the window read: its claim, read after the window, is then there (one transaction wrote both).
            if claim is None or (prior := alerts.prior_answer(claim.key)) is None:
                raise
            return _replay(prior, claim, alerts), False
        if alert is None:  # sealed once, after the limit let it through
            alert = _new_alert(request, alert_type.code, resident, sender_id, pack, now, roaming)
            if alert.silent:
                alert = seal_alert(
                    alert,
                    resident,
                    sealer=sealer,
                    city_id=pack.city_id,
                    helpline=pack.settings.helpline,
                    sender_suspended=status == SUSPENDED,
                )
        try:
            prior = alerts.create(alert, claim, window)
        except WindowMoved:
            time.sleep(random.uniform(0, 0.01 * (attempt + 1)))
            continue
        if prior is not None and claim is not None:  # a concurrent retry won the race
            return _replay(prior, claim, alerts), False
        return alert, True
    raise AlertNotSent(
        f"The alert could not be sent just now. Try again, or call {pack.settings.helpline}.", retry=True
    )


def admit(window: SendingWindow, *, now: datetime, limit: RateLimit, helpline: str) -> SendingWindow:
    """The window with an alert sent `now` in it, or TooManyAlerts (with Retry-After) if it is full."""
    span = timedelta(seconds=limit.window_s)
    since = clock.iso(now - span)
    recent = sorted(at for at in window.sent if at > since)  # an alert window_s old has left it
    if len(recent) >= limit.max_alerts:
        # the alert whose leaving the window makes room for one more
        frees = clock.parse_iso(recent[len(recent) - limit.max_alerts])
        retry_after = max(1, math.ceil((frees + span - now).total_seconds()))
        raise TooManyAlerts(
            f"At most {limit.max_alerts} alerts in {_span(limit.window_s)}; "
            f"try again in {retry_after} s or call {helpline}.",
            retry_after_s=retry_after,
        )
    sent = (*recent, clock.iso(now))[-limit.max_alerts :]
    return SendingWindow(window.key, sent, window.version, limit.window_s)


def _span(seconds: int) -> str:
    if seconds % 3600 == 0:
        return f"{seconds // 3600} hour{'s' if seconds > 3600 else ''}"
    return f"{seconds // 60} minutes" if seconds % 60 == 0 else f"{seconds} seconds"


def _new_alert(
    request: AlertRequest,
    type_code: str,
    resident: Resident,
    sender_id: str,
    pack: CityPack,
    now: datetime,
    roaming: dict[str, str] | None = None,
) -> Alert:
    alert_type = pack.alert_types[type_code]
    block = pack.block_at(request.lat, request.lon)
    quadrant = pack.quadrant_at(request.lat, request.lon)
    block_source = "location"
    if block is None and resident.block_id and roaming is None:  # abroad, her home block is not the place
        block = pack.blocks.get(resident.block_id)
        block_source = "home"
    return Alert(
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
        roaming=roaming,
    )


def _replay(prior: PriorAnswer, claim: IdempotencyClaim, alerts: AlertStore) -> Alert:
    if prior.request_hash != claim.request_hash:
        raise IdempotencyKeyReused(
            "This Idempotency-Key was already used for a different alert; use a new key for a new alert.",
            errors=[FieldError("/Idempotency-Key", "reused with a different body")],
        )
    alert = alerts.get(prior.alert_id)
    assert alert is not None, "an idempotency claim always points at a stored alert"
    return alert
