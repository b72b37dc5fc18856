"""A resident's alert raised in a partner city: one federation delivery to the partner, its Cancel, and the
home's own fallback when the partner cannot be reached in time (docs/roaming.md).

Pure: the dispatcher and the federation sender read the alert and its sender, then ask this module what to
send. The partner's police, neighbours and sirens are the partner's to run: the home plans none of them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from vigia import clock
from vigia.alerts.model import FORWARDING, Alert
from vigia.city import AlertType, CityPack
from vigia.dispatch import protocol, sms_text
from vigia.dispatch.protocol import ALERT, CANCEL, FEDERATION, SMS, Delivery, Plan, Sender
from vigia.federation import messages
from vigia.federation.messages import MAX_LIFETIME, MAX_NAME, Envelope

PARTNER_TARGET = "partner"  # the delivery's target: the partner city's monitoring centre
FALLBACK_TEXT = "roaming_fallback"  # the pack's text telling her the partner could not be reached
FALLBACK_SMS_TARGET = "sender_confirmation"  # as her own confirmation: a cancel never texts her about it
NEUTRAL_FALLBACK = (  # a pack that does not word roaming_fallback
    "Vigia: {partner} did not confirm your {type_label} alert ({time}). We told our own centre."
)
# roaming.status as the home records it (the host's Updates add acknowledged ... resolved, false_alarm)
DELIVERED, FALLBACK, CANCELLED = "delivered", "fallback", "cancelled"
BEFORE_DELIVERY = (FORWARDING, FALLBACK)
CANCELLABLE = (FORWARDING, FALLBACK, DELIVERED, "acknowledged", "assigned", "en_route")
# The host's incident as the home sees it move: an Update moves roaming.status only forward along this line;
# resolved and false_alarm (and cancelled) are ends it never leaves (an Update arriving late is ignored).
PROGRESS = ("acknowledged", "assigned", "en_route", "on_scene")
UPDATE_KIND = "update_"  # + the host's status: a visitor alert's Update, one delivery per status reached


def update_kind(status: str) -> str:
    return f"{UPDATE_KIND}{status}"


def is_update(kind: str) -> bool:
    return kind.startswith(UPDATE_KIND)


def moves_to(status: str) -> tuple[str, ...]:
    """The roaming statuses an Update with the host's `status` may move her alert from: only those before it
    (an Update implies the Report arrived, so `forwarding` and `fallback` too)."""
    before = PROGRESS.index(status) if status in PROGRESS else len(PROGRESS)
    return (FORWARDING, FALLBACK, DELIVERED, *PROGRESS[:before])


class RoamingMarks(Protocol):
    def status(self, alert_id: str) -> str | None: ...

    def mark(self, alert_id: str, status: str, *, at: str, allowed: tuple[str, ...]) -> bool:
        """roaming.status → `status` if it is one of `allowed`; False otherwise."""
        ...


class FallbackStore(Protocol):
    def sender(self, user_id: str) -> Sender | None: ...

    def record(self, deliveries: Sequence[Delivery], *, at: str) -> None: ...


class FallbackQueues(Protocol):
    def enqueue(self, deliveries: Sequence[Delivery]) -> None: ...


def fallback_due(alert: Alert, deadline_s: int, *, now: datetime, last_attempt: bool) -> float | None:
    """None when the fallback is due (the partner's deadline passed, or no retry is left); else how long
    until it is, so the next retry comes no later than the deadline."""
    left = (clock.parse_iso(alert.created_at) + timedelta(seconds=deadline_s) - now).total_seconds()
    return None if last_attempt or left <= 0 else left


def fall_back(
    alert: Alert,
    planned: Callable[[], Plan],
    *,
    store: FallbackStore,
    queues: FallbackQueues,
    marks: RoamingMarks,
    now: datetime,
) -> Plan | None:
    """Runs the fallback once: while the alert is still `forwarding`, the `planned` deliveries
    (`plan_fallback`, or a silent alarm's `vigia.silent.routing.plan_silent_fallback`) are recorded (a
    condition each) and queued, then it is marked `fallback`. A crash between them repeats the first two,
    which send nothing twice (the ledger); the mark last keeps a repeat possible. None: not forwarding."""
    if marks.status(alert.alert_id) != FORWARDING:
        return None
    plan = planned()
    at = clock.iso(now)
    store.record(plan.deliveries, at=at)
    queues.enqueue(plan.deliveries)
    marks.mark(alert.alert_id, FALLBACK, at=at, allowed=(FORWARDING,))
    return plan


def report_envelope(alert: Alert, pack: CityPack, partner_id: str) -> Envelope:
    """The Report's envelope, the same on every attempt (so a retry is the same distributionID, and the
    Cancel can name it): sent at the alert's creation, living the longest a partner accepts."""
    sent = clock.parse_iso(alert.created_at).replace(microsecond=0)
    return Envelope(
        distribution_id=report_distribution_id(pack, alert.alert_id),
        sender=pack.city_id,
        recipient=partner_id,
        sent=sent,
        expires=sent + MAX_LIFETIME,
    )


def report_distribution_id(pack: CityPack, alert_id: str) -> str:
    return f"{pack.city_id}-{alert_id}-report"


def first_name(full_name: str) -> str:
    """Her first name, nothing more: what the host's operator calls her by."""
    words = full_name.split()
    return (words[0] if words else "Vecina")[:MAX_NAME]


def plan_roaming(alert: Alert, alert_type: AlertType, pack: CityPack, *, sender: Sender | None) -> Plan:
    """One delivery: the signed-at-send Report to the partner. Nothing local: the place is the partner's."""
    assert alert.roaming is not None
    if sender is None or not sender.phone:
        partner_id = alert.roaming["partner"]
        return Plan((), (f"roaming: the sender has no phone to call back; nothing sent to {partner_id}",))
    place = (alert.lat, alert.lon, alert.accuracy_m)
    return plan_report(alert, alert_type, pack, place=place, phone=sender.phone, full_name=sender.full_name)


def plan_report(
    alert: Alert,
    alert_type: AlertType,
    pack: CityPack,
    *,
    place: tuple[float, float, float | None],
    phone: str,
    full_name: str,
) -> Plan:
    """The Report delivery itself, from her place, phone and name as the caller knows them (a silent
    alarm's from its opened envelope: vigia.silent.routing)."""
    assert alert.roaming is not None
    partner_id = alert.roaming["partner"]
    lat, lon, accuracy_m = place
    body = messages.roaming_alert(
        report_envelope(alert, pack, partner_id),
        alert_id=alert.alert_id,
        alert_type=alert_type.code,
        type_label=alert_type.label(pack.locale),
        lat=lat,
        lon=lon,
        accuracy_m=float(accuracy_m or 0.0),
        raised_at=clock.parse_iso(alert.created_at),
        callback_phone=phone,
        caller_name=first_name(full_name),
    )
    delivery = Delivery(alert.alert_id, ALERT, FEDERATION, PARTNER_TARGET, partner_id, body.decode("utf-8"))
    return Plan((delivery,))


def plan_cancel(alert: Alert, pack: CityPack, partner_id: str, *, cancelled_at: datetime) -> Plan:
    """The CAP Cancel of the Report, to the same partner through the same channel."""
    sent = cancelled_at.replace(microsecond=0)
    envelope = Envelope(
        distribution_id=f"{pack.city_id}-{alert.alert_id}-cancel",
        sender=pack.city_id,
        recipient=partner_id,
        sent=sent,
        expires=sent + MAX_LIFETIME,
    )
    body = messages.cancel(envelope, references=report_envelope(alert, pack, partner_id).reference)
    delivery = Delivery(alert.alert_id, CANCEL, FEDERATION, PARTNER_TARGET, partner_id, body.decode("utf-8"))
    return Plan((delivery,))


def plan_update(
    alert_id: str, visitor: Mapping[str, str], status: str, pack: CityPack, *, at: datetime
) -> Delivery | None:
    """The host's side: a visitor alert reached `status`: one signed-at-send CAP Update to the partner whose
    Report made it, referencing that Report. None for a status the federation does not carry, or a visitor
    alert stored before its Report's reference was kept."""
    report = visitor.get("report")
    if status not in messages.UPDATE_STATUSES or not report:
        return None
    partner_id = visitor["partner"]
    sent = at.replace(microsecond=0)
    envelope = Envelope(
        # one per home alert and status: a step taken again (a reassignment) is the same message, which the
        # home answers 409 (already received) and never counts twice
        distribution_id=f"{pack.city_id}-{visitor['remote_id']}-{status}",
        sender=pack.city_id,
        recipient=partner_id,
        sent=sent,
        expires=sent + MAX_LIFETIME,
    )
    body = messages.update(envelope, references=report, status=status)
    return Delivery(
        alert_id, update_kind(status), FEDERATION, PARTNER_TARGET, partner_id, body.decode("utf-8")
    )


def plan_fallback(
    alert: Alert, alert_type: AlertType, pack: CityPack, *, sender: Sender | None, partner_name: str
) -> Plan:
    """The partner could not be reached in time: she is told (in her locale), and the home's own CAD gets
    the place in CAP, as the type's provincial_police step words it (if the type has one)."""
    deliveries: list[Delivery] = []
    notes: list[str] = []
    values = protocol.template_values(
        alert, alert_type, pack, locale=pack.locale, sender=None, disclose=False
    )
    if sender is not None and sender.phone:
        locale = sender.locale if sender.locale in pack.locales else pack.locale
        told = {"partner": partner_name, "type_label": alert_type.label(locale), "time": values["time"]}
        if pack.has_message(FALLBACK_TEXT):
            text = pack.message(FALLBACK_TEXT, locale, told)
        else:
            text = NEUTRAL_FALLBACK.format(**told)
        deliveries.append(
            Delivery(
                alert.alert_id, ALERT, SMS, FALLBACK_SMS_TARGET, sender.phone, sms_text.fit(text), locale
            )
        )
    else:
        notes.append("roaming fallback: the sender has no phone on file")
    step = next(iter(alert_type.steps_for("provincial_police")), None)
    if step is None or pack.dispatch.cad(step.cad) is None:
        notes.append("roaming fallback: the type has no provincial_police step with a CAD")
    else:
        # the place is in the partner city, not on one of our blocks: say so, and give the map
        abroad = {"place": partner_name, "address": partner_name, "block_name": partner_name, "zone": ""}
        words = step.render(
            pack.locale, {**values, **abroad, "sender_name": sender.full_name if sender else ""}
        )
        # at once: the deadline that brought the fallback has passed
        deliveries.append(
            protocol.cad_delivery(alert, alert_type, pack, step, sender=sender, text=words, delay_s=0)
        )
    return Plan(tuple(deliveries), tuple(notes))
