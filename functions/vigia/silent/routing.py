"""Routing a silent alert: apart at the first hop, and then to the response team only.

The stream relay asks `is_silent` of every new alert and sends silent ones to the Silent queue as a
SilentAlertCreated event (no personal data), never to AlertEvents, so no public fan-out code ever
sees them. The SilentRouter then runs `route_silent_alert`: the response team's on-duty numbers get a
neutral SMS (no address, no name, no type), optionally a provincial gender-violence unit gets a CAP
message with scope Private; nobody else, whatever the city pack says.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from vigia import clock
from vigia.alerts.model import SILENT, Alert, Sealer
from vigia.city import AlertType, CityPack, ProtocolStep, render_template, template_placeholders
from vigia.dispatch import cap, roaming, sms_text
from vigia.dispatch.cad import cad_message, cap_info
from vigia.dispatch.protocol import ALERT, PROVINCIAL_CAD, SMS, WEBHOOK, Delivery, Plan
from vigia.silent.lifecycle import PoliceRequest
from vigia.silent.sealing import SealedIdentity, unseal

EVENT_TYPE = "SilentAlertCreated"
POLICE_EVENT_TYPE = "SilentPoliceRequested"  # request_police, from the response team's step (ApiFunction)
POLICE = "police"  # the delivery kind of what request_police sends (never part of a public cancellation)
REMINDER = "reminder"  # the delivery kind of the ack watch's second SMS to the team
POLICE_UNIT = "police_unit"  # the target of the car's SMS (never "assigned_unit": it is not an assignment)
RESPONSE_TEAM, PROVINCIAL_POLICE = "response_team", "provincial_police"
# The only targets a silent alert may reach (provincial_police only as a Private CAP with addresses).
SILENT_TARGETS = frozenset({RESPONSE_TEAM, PROVINCIAL_POLICE})
SILENT_CHANNELS = frozenset({SMS, WEBHOOK})
# A response-team SMS may name the alert, its quadrant and the time — nothing that places or names her.
SAFE_PLACEHOLDERS = frozenset({"alert_id", "zone", "time"})
NEUTRAL_TEXT: Mapping[str, str] = {
    "es": "VIGIA alerta silenciosa {alert_id}, zona {zone}, {time}. Datos en la consola.",
    "en": "VIGIA silent alert {alert_id}, zone {zone}, {time}. Details in the console.",
    "pt": "VIGIA alerta silencioso {alert_id}, zona {zone}, {time}. Dados no console.",
}
ROUTER_ACTOR = "SilentRouterFunction"


class NoResponseTeam(RuntimeError):
    """The city pack lists no response-team number: the alert would reach no one, so it is refused
    (SQS retries it, then the Silent DLQ alarm goes off) rather than marked dispatched."""


class NotASilentAlert(ValueError):
    """The Silent queue got an alert that is not silent (or not sealed): refused, to the DLQ."""


class AlertNotFound(LookupError):
    """The event names an alert the store does not have."""


# ------------------------------------------------------------------ the first hop
def is_silent(image: Mapping[str, Any], silent_types: Collection[str] = ()) -> bool:
    """Whether a stored alert goes the silent way. Any one sign suffices: the flag, the sealed category,
    an envelope, or a type the city pack calls silent (should intake ever have missed it)."""
    kind = str(image.get("type") or "")
    return image.get("silent") is True or kind == SILENT or kind in silent_types or bool(image.get("sealed"))


def silent_alert_created(image: Mapping[str, Any], *, city_id: str) -> dict[str, Any]:
    """The Silent queue's event (schemas/events/silent-alert-created.json): what others may see, no more."""
    return {
        "event_type": EVENT_TYPE,
        "event_version": 1,
        "event_id": f"{image['pk']}:silent",
        "city_id": city_id,
        "alert_id": str(image["pk"]),
        "priority": int(image["priority"]),
        "quadrant_id": image.get("quadrant_id"),
        "created_at": str(image["created_at"]),
        "local_date": str(image["local_date"]),
    }


# ------------------------------------------------------------------ the silent protocol
def _values(alert: Alert, pack: CityPack) -> dict[str, str]:
    quadrant = pack.quadrants.get(alert.quadrant_id) if alert.quadrant_id else None
    created = clock.parse_iso(alert.created_at).astimezone(pack.zone_info)
    return {
        "alert_id": alert.alert_id,
        "zone": quadrant.name if quadrant else pack.name,
        "time": created.strftime("%H:%M"),
    }


def neutral_text(alert: Alert, pack: CityPack, *, zone: str | None = None) -> str:
    """Vigía's neutral words; `zone` in place of the alert's own (a partner city, for an alarm abroad)."""
    template = NEUTRAL_TEXT.get(pack.locale.split("-")[0], NEUTRAL_TEXT["es"])
    values = _values(alert, pack)
    if zone is not None:
        values["zone"] = zone
    return sms_text.fit(template.format_map(values))


def response_team_text(step: ProtocolStep | None, alert: Alert, pack: CityPack) -> str:
    """The pack's wording if it uses only safe placeholders, else Vigía's neutral one."""
    template = step.text(pack.locale) if step is not None else ""
    try:
        safe = bool(template) and set(template_placeholders(template)) <= SAFE_PLACEHOLDERS
    except ValueError:
        safe = False
    if not safe:
        return neutral_text(alert, pack)
    return sms_text.fit(render_template(template, _values(alert, pack)))


def _cap_private(alert: Alert, alert_type: AlertType, pack: CityPack, step: ProtocolStep, text: str) -> bytes:
    """CAP 1.2, scope Private to the step's addresses: the quadrant as the area, no point, no name."""
    quadrant = pack.quadrants.get(alert.quadrant_id) if alert.quadrant_id else None
    polygon: tuple[tuple[float, float], ...] = ()
    if quadrant is not None:
        polygon = cap.closed_ring([(lat, lon) for lon, lat in quadrant.polygon.rings[0]])
    description = ", ".join(x for x in (quadrant.name if quadrant else None, pack.name) if x)
    team = pack.dispatch.response_team
    info = cap_info(
        alert,
        alert_type,
        pack,
        text,
        area=cap.CapArea(description, polygon),
        parameters=(("vigia:priority", str(alert_type.priority)),),
        contact=team[0] if team else None,  # the response team, who hold her details; never her
    )
    return cad_message(alert, pack, info, scope="Private", addresses=step.addresses)


def plan_silent(
    alert: Alert,
    alert_type: AlertType | None,
    pack: CityPack,
    *,
    identity: SealedIdentity | None = None,
) -> Plan:
    """The deliveries a silent alert calls for: response-team SMS, maybe a Private CAP; nothing else.

    With `identity` known, an SMS that would carry one of her details or her coordinates gets the neutral
    text instead, and a CAP message that would carry her details is dropped — a second lock behind the
    safe-placeholder rule. (The CAP area is the quadrant's polygon from the pack, never her point.)
    """
    team = pack.dispatch.response_team
    if not team:
        raise NoResponseTeam("the city pack lists no response_team numbers")
    # (Very short strings — a one-word note — would match by chance and say nothing about her.)
    secrets = tuple(x for x in identity.secrets() if len(x) >= 6) if identity is not None else ()
    places = identity.coordinates() if identity is not None else ()
    steps: Sequence[ProtocolStep] = alert_type.protocol if alert_type is not None else ()
    notes: list[str] = []
    planned: dict[str, Delivery] = {}

    def add(delivery: Delivery) -> None:
        planned.setdefault(delivery.key, delivery)

    def leaks(text: str, *, with_place: bool = True) -> bool:
        return any(s in text for s in secrets) or (with_place and any(p in text for p in places))

    sms_steps: list[ProtocolStep | None] = [
        s for s in steps if s.target == RESPONSE_TEAM and s.channel == SMS
    ]
    if any(s.target == RESPONSE_TEAM and s.channel != SMS for s in steps):
        notes.append("response_team: push is not delivered by this stack; SMS only")
    if not sms_steps:
        notes.append("response_team: no SMS step in the protocol; told with the neutral text anyway")
    for step in sms_steps or [None]:  # None: no SMS step in the protocol, the neutral text
        text = response_team_text(step, alert, pack)
        if leaks(text):
            notes.append("response_team: the template would disclose the sender; neutral text sent")
            text = neutral_text(alert, pack)
        for number in team:
            add(
                Delivery(
                    alert.alert_id,
                    ALERT,
                    SMS,
                    RESPONSE_TEAM,
                    number,
                    text,
                    pack.locale,
                    step.delay_s if step else 0,
                )
            )
    for step in steps:
        if step.target == RESPONSE_TEAM:
            continue
        if step.target != PROVINCIAL_POLICE or step.scope != "Private" or not step.addresses:
            notes.append(f"{step.target}: refused for a silent alert")
            continue
        if pack.dispatch.provincial_cad is None or alert_type is None:
            notes.append("provincial_police: the city pack names no provincial CAD")
            continue
        text = response_team_text(None, alert, pack)
        body = _cap_private(alert, alert_type, pack, step, text).decode("utf-8")
        if leaks(body, with_place=False):
            notes.append("provincial_police: the CAP message would disclose the sender; not sent")
            continue
        add(
            Delivery(
                alert.alert_id,
                ALERT,
                WEBHOOK,
                PROVINCIAL_POLICE,
                PROVINCIAL_CAD,
                body,
                pack.locale,
                step.delay_s,
            )
        )
    return Plan(tuple(planned.values()), tuple(notes))


# ------------------------------------------------------------------ abroad (docs/roaming.md)
def plan_silent_roaming(
    alert: Alert, alert_type: AlertType | None, pack: CityPack, *, identity: SealedIdentity | None
) -> Plan:
    """A silent alarm raised in a partner city whose agreement takes them: one signed Report to that city,
    whose stack seals it and tells its own response team only. It carries what the Report carries for any
    alert (the type, her place, her first name and a phone to call her back), read from the envelope;
    never her note, national id, e-mail or address. Nothing local: our response team hears of it only if
    the partner cannot be reached in time (`plan_silent_fallback`)."""
    if identity is None or alert_type is None or not identity.phone:
        # Without her envelope there is nothing to send: our own team is told, as if the partner were down.
        partner = alert.roaming["partner"] if alert.roaming else ""
        plan = plan_silent_fallback(alert, pack, partner_name=partner)
        return Plan(plan.deliveries, ("roaming: the silent alert's envelope gave no phone; our team told",))
    place = (identity.lat, identity.lon, identity.accuracy_m)
    return roaming.plan_report(
        alert, alert_type, pack, place=place, phone=identity.phone, full_name=identity.full_name
    )


def plan_silent_fallback(alert: Alert, pack: CityPack, *, partner_name: str) -> Plan:
    """The partner city did not confirm a silent alarm by its deadline: our own response team gets the
    neutral SMS, the partner city as its zone (her details are in the console, sealed). Never an SMS to her
    phone (whoever holds it may be the danger), never a CAD."""
    team = pack.dispatch.response_team
    if not team:
        raise NoResponseTeam("the city pack lists no response_team numbers")
    text = neutral_text(alert, pack, zone=partner_name)
    return Plan(
        tuple(Delivery(alert.alert_id, ALERT, SMS, RESPONSE_TEAM, n, text, pack.locale) for n in team)
    )


# ------------------------------------------------------------------ the router's run
class AlertReader(Protocol):
    def get(self, alert_id: str) -> Alert | None: ...


class DeliveryLedger(Protocol):
    def record(self, deliveries: Sequence[Delivery], *, at: str) -> None: ...

    def mark_dispatched(self, alert_id: str, *, at: str) -> str: ...


class TaskQueues(Protocol):
    def enqueue(self, deliveries: Sequence[Delivery]) -> None: ...


Audit = Callable[..., object]  # adapters.audit.record


@dataclass(frozen=True)
class Routed:
    alert_id: str
    counts: dict[str, int]
    notes: tuple[str, ...]

    @classmethod
    def of(cls, alert_id: str, plan: Plan) -> Routed:
        """What a run sent, by channel, and what it left out."""
        counts: dict[str, int] = {}
        for delivery in plan.deliveries:
            counts[delivery.channel] = counts.get(delivery.channel, 0) + 1
        return cls(alert_id, counts, plan.notes)


def route_silent_alert(
    alert_id: str,
    *,
    pack: CityPack,
    alerts: AlertReader,
    sealer: Sealer,
    ledger: DeliveryLedger,
    queues: TaskQueues,
    audit: Audit,
    now: datetime,
) -> Routed:
    """Reads the sealed alert, opens it for its type only (an audited system read), plans, records, enqueues.

    Safe to repeat: deliveries are recorded with a condition and senders send each once.
    """
    alert = alerts.get(alert_id)
    if alert is None:
        raise AlertNotFound(alert_id)
    if not alert.silent:
        raise NotASilentAlert(alert_id)
    at = clock.iso(now)
    identity = None
    if alert.sealed:
        audit(ROUTER_ACTOR, "system", "unseal", "alert", alert_id, reason="route to the response team", at=at)
        identity = unseal(alert, sealer, city_id=pack.city_id)
    alert_type = pack.alert_types.get(identity.type) if identity is not None else None
    if alert.roaming:  # raised in a partner city that takes silent alarms: its response team, not ours
        plan = plan_silent_roaming(alert, alert_type, pack, identity=identity)
    else:
        plan = plan_silent(alert, alert_type, pack, identity=identity)
    ledger.record(plan.deliveries, at=at)
    queues.enqueue(plan.deliveries)
    ledger.mark_dispatched(alert_id, at=at)
    return Routed.of(alert_id, plan)


# ------------------------------------------------------------------ request_police: the deliberate unsealing
POLICE_TEXT: Mapping[str, str] = {
    "es": "VIGIA {alert_id} pedido del equipo de respuesta: ir a {place} ({lat},{lon}) {map}. "
    "Llamar al equipo {team} antes de llegar.",
    "en": "VIGIA {alert_id} request from the response team: go to {place} ({lat},{lon}) {map}. "
    "Call the team {team} before arriving.",
    "pt": "VIGIA {alert_id} pedido da equipe de resposta: ir a {place} ({lat},{lon}) {map}. "
    "Ligar para a equipe {team} antes de chegar.",
}
CONTACT_TEXT: Mapping[str, str] = {
    "es": " Contacto: {name} {phone}",
    "en": " Contact: {name} {phone}",
    "pt": " Contato: {name} {phone}",
}


def police_requested(alert_id: str, request: PoliceRequest, *, at: str, city_id: str) -> dict[str, Any]:
    """The Silent queue's request_police event (schemas/events/silent-police-requested.json), no personal
    data."""
    return {
        "event_type": POLICE_EVENT_TYPE,
        "event_version": 1,
        "event_id": f"{alert_id}:police:{at}",
        "city_id": city_id,
        "alert_id": alert_id,
        "requested_at": at,
        "share_contact": request.share_contact,
        "unit_id": request.unit_id,
    }


def _place(identity: SealedIdentity, pack: CityPack) -> dict[str, str]:
    block = pack.blocks.get(identity.block_id) if identity.block_id else None
    return {
        "place": block.name if block else pack.name,
        "lat": f"{identity.lat:.5f}",
        "lon": f"{identity.lon:.5f}",
        "map": f"https://www.openstreetmap.org/?mlat={identity.lat:.5f}&mlon={identity.lon:.5f}#map=18",
    }


def plan_police_request(
    alert: Alert, identity: SealedIdentity, pack: CityPack, *, share_contact: bool, unit_id: str | None
) -> Plan:
    """The exact place to police: a CAP 1.2 Private message to the gender-violence unit the pack names (over
    the provincial CAD) and, if the team picked one, an SMS to that community-police car. Her name and phone
    only with share_contact; her national id, e-mail, address and note never."""
    notes: list[str] = []
    deliveries: list[Delivery] = []
    language = pack.locale.split("-")[0]
    team = pack.dispatch.response_team
    values = {
        **_place(identity, pack),
        "alert_id": alert.alert_id,
        "team": team[0] if team else pack.settings.helpline,
    }
    text = POLICE_TEXT.get(language, POLICE_TEXT["es"]).format_map(values)
    if share_contact:
        text += CONTACT_TEXT.get(language, CONTACT_TEXT["es"]).format(
            name=identity.full_name, phone=identity.phone
        )
    cad = pack.dispatch.provincial_cad
    alert_type = pack.alert_types.get(identity.type)
    if cad is None or not cad.gender_violence_addresses or alert_type is None:
        notes.append("provincial_police: the city pack names no gender-violence unit; no CAP message")
    else:
        info = cap_info(
            alert,
            alert_type,
            pack,
            text,
            area=cap.CapArea(values["place"], circles=((identity.lat, identity.lon, 0.05),)),
            parameters=(("vigia:request", "police"),),
            contact=team[0] if team else None,
            iccs=False,
        )
        body = cad_message(
            alert, pack, info, kind=POLICE, scope="Private", addresses=cad.gender_violence_addresses
        ).decode("utf-8")
        deliveries.append(
            Delivery(alert.alert_id, POLICE, WEBHOOK, PROVINCIAL_POLICE, PROVINCIAL_CAD, body, pack.locale)
        )
    if unit_id:
        unit = pack.units.get(unit_id)
        if unit is None or not unit.phone:
            notes.append(f"police_unit: the city pack has no phone for {unit_id}")
        else:
            sms = sms_text.fit(text)
            deliveries.append(
                Delivery(alert.alert_id, POLICE, SMS, POLICE_UNIT, unit.phone, sms, pack.locale)
            )
    return Plan(tuple(deliveries), tuple(notes))


def route_police_request(
    event: Mapping[str, Any],
    *,
    pack: CityPack,
    alerts: AlertReader,
    sealer: Sealer,
    ledger: DeliveryLedger,
    queues: TaskQueues,
    audit: Audit,
    now: datetime,
) -> Routed:
    """Opens the envelope for the police request (an audited system read) and sends the place to police.
    Safe to repeat: deliveries are recorded with a condition and senders send each once."""
    alert_id = str(event["alert_id"])
    alert = alerts.get(alert_id)
    if alert is None:
        raise AlertNotFound(alert_id)
    if not alert.silent or not alert.sealed:
        raise NotASilentAlert(alert_id)
    at = clock.iso(now)
    audit(
        ROUTER_ACTOR,
        "system",
        "unseal",
        "alert",
        alert_id,
        reason="request_police by the response team",
        at=at,
    )
    identity = unseal(alert, sealer, city_id=pack.city_id)
    unit_id = event.get("unit_id")
    plan = plan_police_request(
        alert,
        identity,
        pack,
        share_contact=bool(event.get("share_contact")),
        unit_id=str(unit_id) if unit_id else None,
    )
    ledger.record(plan.deliveries, at=at)
    queues.enqueue(plan.deliveries)
    return Routed.of(alert_id, plan)


def ack_reminder(alert: Alert, pack: CityPack) -> tuple[Delivery, ...]:
    """The neutral SMS again, to every team number: sent once when nobody acknowledged in time."""
    text = neutral_text(alert, pack)
    return tuple(
        Delivery(alert.alert_id, REMINDER, SMS, RESPONSE_TEAM, n, text, pack.locale)
        for n in pack.dispatch.response_team
    )
