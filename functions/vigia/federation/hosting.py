"""The host's part of roaming: a partner's verified Report becomes a visitor alert; its Cancel withdraws it.

A visitor alert is an ordinary alert of this city (its type, its block, its queue, its protocol, run by the
same store → stream → dispatch path as a resident's), marked `visitor: {partner, remote_id}`. Its sender is
no resident of ours: the protocol's texts name her with the Report's caller name and callback phone, and
never a home address (she has none here).
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Protocol

from vigia import clock
from vigia.alerts.model import (
    RECEIVED,
    Alert,
    AlertStore,
    IdempotencyClaim,
    PriorAnswer,
    Sealer,
    Visitor,
    WindowMoved,
)
from vigia.alerts.submission import admit
from vigia.city import CityPack
from vigia.dispatch import cancellation
from vigia.dispatch import roaming as home
from vigia.dispatch.roaming import RoamingMarks
from vigia.errors import Conflict, NotFound, TooManyAlerts, Unprocessable, VigiaError
from vigia.federation.agreement import Partner
from vigia.federation.messages import Message, RoamingAlert
from vigia.silent.sealing import seal, visitor_identity

# problem types of what the verifier let through but this city cannot take (422, no side effect)
OUTSIDE_SERVICE_AREA = "federation-outside-service-area"
UNKNOWN_TYPE = "federation-unknown-type"  # not a public type of this city's pack
KIND_NOT_TAKEN = "federation-kind-not-taken"  # an Ack: answers come back in the HTTP answer, never here
UNKNOWN_ALERT = "federation-unknown-alert"  # a Cancel (Update) of a Report this partner (we) never sent
CANCEL_REFUSED = "federation-cancel-refused"  # past the cancel window, or the incident has moved on
SILENT_NOT_AGREED = "federation-silent-not-agreed"  # a silent alarm from a partner not agreed to send them
_EXTRA_ATTEMPTS = 5  # tries beyond the limit when other Reports of the partner move its window meanwhile


# the replay guard's answers (adapters.dynamodb.federation): first delivery, a replay, or one being received
FIRST, DONE, IN_FLIGHT = "first", "done", "in_flight"


class InProgress(VigiaError):
    """The same message is being acted on by another attempt right now: come back, it is not received yet."""

    status, title, slug = 503, "Message being received", "federation-in-progress"


class VisitorRefused(Unprocessable):
    """A verified message this city will not act on; `slug` is its problem type."""

    title = "Not an alert this city can take"

    def __init__(self, slug: str, detail: str) -> None:
        super().__init__(detail)
        self.slug = slug


class ReportPointers(Protocol):
    """Which visitor alert a partner's Report made (FederationTable), so its Cancel finds it."""

    def remember(self, partner_id: str, distribution_id: str, alert_id: str) -> None: ...

    def alert_for(self, partner_id: str, distribution_id: str) -> str | None: ...


def sender_id(partner_id: str, remote_id: str) -> str:
    """A visitor alert's sender: the partner and the home's alert id, never a resident of ours."""
    return f"visitor#{partner_id}#{remote_id}"


def check_report(message: Message, pack: CityPack, partner: Partner | None = None) -> None:
    """What the host checks before it marks a message received: a Report it can run here, a Cancel, or an
    Update of a Report this city sent (which of its alerts: `receive_update`, after the mark).

    A silent alarm is taken only from a `partner` whose agreement with this city says `silent_alarms`
    (the home must say so too, or it never sends one): it is then sealed and goes to the response team."""
    if message.kind in ("Cancel", "Update"):
        return
    if message.kind != "Report" or message.alert is None:
        raise VisitorRefused(KIND_NOT_TAKEN, f"a {message.kind} answers a message this city did not send")
    roaming = message.alert
    alert_type = pack.alert_types.get(roaming.alert_type)
    if alert_type is None:
        raise VisitorRefused(UNKNOWN_TYPE, f"{roaming.alert_type!r} is not an alert type {pack.name} takes")
    if alert_type.silent and (partner is None or not partner.silent_alarms):
        raise VisitorRefused(
            SILENT_NOT_AGREED,
            f"{pack.name}'s agreement with this partner does not take silent alarms",
        )
    if not pack.in_service_area(roaming.lat, roaming.lon):
        raise VisitorRefused(
            OUTSIDE_SERVICE_AREA, f"the reported place is outside {pack.name}'s service area"
        )


def is_drill(message: Message) -> bool:
    """An `Exercise` or `Test` message: checked, marked and acknowledged like any, but acted on by nobody, so
    a city joining the federation can test against a live host without sending its police anywhere."""
    return message.status != "Actual"


def receive_report(
    message: Message,
    partner: Partner,
    *,
    pack: CityPack,
    alerts: AlertStore,
    now: datetime,
    sealer: Sealer | None = None,
) -> tuple[Alert, bool]:
    """The visitor alert for a checked Report and whether it is new: the same home alert (remote id), sent
    again under any distributionID, is one alert (an idempotency claim on the partner and remote id).

    A silent alarm's visitor alert is stored sealed by `sealer`, as this city's own are: her name, phone
    and place only inside the envelope, so it reaches the response team and no one else."""
    partner_id = partner.partner_id
    check_report(message, pack, partner)
    roaming = message.alert
    assert roaming is not None
    alert_type = pack.alert_types[roaming.alert_type]
    who = sender_id(partner_id, roaming.alert_id)
    claim = IdempotencyClaim(
        f"visitor#{partner_id}#{roaming.alert_id}", _fingerprint(message, place=not alert_type.silent)
    )
    prior = alerts.prior_answer(claim.key)
    if prior is None:
        block = pack.block_at(roaming.lat, roaming.lon)
        quadrant = pack.quadrant_at(roaming.lat, roaming.lon)
        alert = Alert(
            alert_id=clock.new_id(now),
            type=alert_type.code,
            silent=False,
            priority=alert_type.priority,
            sender_id=who,
            lat=roaming.lat,
            lon=roaming.lon,
            accuracy_m=roaming.accuracy_m,
            note=None,
            block_id=block.block_id if block else None,
            quadrant_id=block.quadrant_id if block else (quadrant.quadrant_id if quadrant else None),
            block_source="location" if block else None,
            status=RECEIVED,
            created_at=clock.iso(now),
            local_date=clock.local_date(now, pack.time_zone),
            visitor=Visitor(
                partner_id,
                roaming.alert_id,
                roaming.caller_name,
                roaming.callback_phone,
                report=message.reference,
            ),
        )
        if alert_type.silent:
            alert = _sealed(alert, roaming, sender_id=who, pack=pack, sealer=sealer)
        prior = _create_within_limit(alert, claim, partner, pack=pack, alerts=alerts, now=now)
        if prior is None:
            return alert, True
    existing = alerts.get(prior.alert_id)
    assert existing is not None, "a visitor claim always points at a stored alert"
    return existing, False


def partner_window_key(partner_id: str) -> str:
    """The host's one window item per partner: its visitor alerts of the last `visitor_limit.window_s`."""
    return f"window#visitor#{partner_id}"


def _create_within_limit(
    alert: Alert,
    claim: IdempotencyClaim,
    partner: Partner,
    *,
    pack: CityPack,
    alerts: AlertStore,
    now: datetime,
) -> PriorAnswer | None:
    """Stores the visitor alert with its claim, in the partner's window, in one transaction: None when it is
    new; the prior answer when a twin of it (same home alert) got there first. Past the partner's
    `visitor_limit`, TooManyAlerts (429, Retry-After): nothing stored, and the partner's own retries and
    fallback take over. The window moving under a concurrent Report is read again and retried."""
    limit = partner.visitor_limit
    for attempt in range(limit.max_alerts + _EXTRA_ATTEMPTS):
        try:
            window = admit(
                alerts.window(partner_window_key(partner.partner_id)),
                now=now,
                limit=limit,
                helpline=pack.settings.helpline,
            )
        except TooManyAlerts as full:
            raise TooManyAlerts(
                f"At most {limit.max_alerts} visitor alerts from {partner.name} in {limit.window_s} s; "
                f"send it again in {full.retry_after_s} s.",
                retry_after_s=full.retry_after_s,
            ) from None
        try:
            return alerts.create(alert, claim, window)
        except WindowMoved:
            prior = alerts.prior_answer(claim.key)  # a twin's transaction won: its alert
            if prior is not None:
                return prior
            time.sleep(random.uniform(0, 0.01 * (attempt + 1)))  # another Report of this partner's: again
    raise InProgress(
        "this partner's visitor alerts are arriving faster than they can be stored; send it again"
    )


def cancel_visitor(
    message: Message,
    partner_id: str,
    *,
    pack: CityPack,
    alerts: AlertStore,
    pointers: ReportPointers,
    canceller: cancellation.Canceller,
    announce: Callable[[str, str], None],
    now: datetime,
) -> str:
    """Cancels the visitor alert the partner's Report made, as its sender's own cancel does at home: within
    the cancel window, before the incident moves on; what was not sent yet is withdrawn. Its alert id."""
    alert_id = pointers.alert_for(partner_id, message.in_reply_to or "")
    alert = alerts.get(alert_id) if alert_id else None
    if alert is None or alert.visitor is None or alert.visitor.partner != partner_id:
        raise VisitorRefused(UNKNOWN_ALERT, "the Cancel references no alert this partner sent us")

    class Notice:
        @staticmethod
        def announce(alert_id: str, cancelled_at: str) -> None:
            announce(alert_id, cancelled_at)

    try:
        cancellation.cancel(
            alert.alert_id,
            sender_id=alert.sender_id,
            window_s=pack.settings.cancel_window_s,
            helpline=pack.settings.helpline,
            alerts=alerts,
            canceller=canceller,
            notice=Notice(),
            now=now,
        )
    except (Conflict, NotFound) as refused:
        raise VisitorRefused(CANCEL_REFUSED, refused.detail) from None
    return alert.alert_id


def receive_update(
    message: Message,
    partner_id: str,
    *,
    pack: CityPack,
    alerts: AlertStore,
    marks: RoamingMarks,
    now: datetime,
) -> tuple[str, bool]:
    """The home's side of the host's Update: her alert whose Report this partner was sent takes the host's
    status, only forward (`dispatch.roaming.moves_to`): a late Update (on_scene after resolved) is received
    and moves nothing. Its alert id, and whether it moved; 422 for an Update of no alert forwarded to that
    partner."""
    reply = message.in_reply_to or ""
    prefix, suffix = f"{pack.city_id}-", "-report"
    alert_id = (
        reply[len(prefix) : -len(suffix)] if reply.startswith(prefix) and reply.endswith(suffix) else ""
    )
    alert = alerts.get(alert_id) if alert_id else None
    if (
        alert is None
        or not alert.roaming
        or alert.roaming.get("partner") != partner_id
        or home.report_distribution_id(pack, alert.alert_id) != reply
    ):
        raise VisitorRefused(UNKNOWN_ALERT, "the Update references no alert this city sent that partner")
    status = message.incident_status or ""
    moved = marks.mark(alert.alert_id, status, at=clock.iso(now), allowed=home.moves_to(status))
    return alert.alert_id, moved


def _sealed(
    alert: Alert, roaming: RoamingAlert, *, sender_id: str, pack: CityPack, sealer: Sealer | None
) -> Alert:
    """A silent visitor alert as it may be stored: sealed like this city's own, and her name and phone kept
    only in the envelope (the visitor mark keeps the partner and the home's alert id, nothing of her)."""
    sealed = seal(
        replace(alert, silent=True),
        lambda: visitor_identity(
            alert,
            sender_id=sender_id,
            caller_name=roaming.caller_name,
            callback_phone=roaming.callback_phone,
        ),
        sealer=sealer,
        city_id=pack.city_id,
        helpline=pack.settings.helpline,
    )
    visitor = alert.visitor
    assert visitor is not None
    return replace(sealed, visitor=replace(visitor, caller_name="", callback_phone=""))


def _fingerprint(message: Message, *, place: bool = True) -> str:
    """What tells two Reports under one remote id apart; a silent alarm's leaves the place out (a hash of a
    place can be found by trying places)."""
    roaming = message.alert
    assert roaming is not None
    where = f"{roaming.lat:.6f}|{roaming.lon:.6f}" if place else "sealed"
    text = f"{roaming.alert_type}|{where}|{roaming.raised_at.isoformat()}"
    return hashlib.sha256(text.encode()).hexdigest()
