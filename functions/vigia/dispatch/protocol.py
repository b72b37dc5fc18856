"""An alert's protocol as data → the deliveries it calls for: one per (channel, recipient), nothing twice.

Pure: the dispatcher reads the alert, its sender and the block's neighbours, then asks this module
who gets what. Silent alerts never reach a public step here, whatever the city pack says.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from vigia import clock
from vigia.alerts.model import Alert
from vigia.city import AlertType, Block, CityPack, ProtocolStep
from vigia.city.geo import haversine_m
from vigia.dispatch import cap, sms_text
from vigia.dispatch.cad import PROVINCIAL_CAD as PROVINCIAL_CAD  # senders and the silent path name it here
from vigia.dispatch.cad import cad_for_recipient, cad_message, cad_recipient, cap_identifier, cap_info

SMS, SIREN, WEBHOOK = "sms", "siren", "webhook"
FEDERATION = "federation"  # a partner city's stack: a signed EDXL-DE/CAP message (vigia.dispatch.roaming)
ALERT, CANCEL = "alert", "cancel"
PUBLIC_TARGETS = frozenset(
    {
        "neighbours",
        "sirens",
        "sender_confirmation",
        "community_police",
        "medical",
        "fire",
        "provincial_police",
        "service",
    }
)
_DISPATCH_LIST_TARGETS = ("community_police", "medical", "fire", "response_team")

# An alert reported within this distance of the sender's registered home was raised at home: its messages
# add her address. Less than the shortest block side (~100 m), more than a phone's usual error indoors.
AT_HOME_M = 75.0


@dataclass(frozen=True)
class Neighbour:
    """An approved resident of the alert's block, as the by_block index projects it."""

    user_id: str
    phone: str
    locale: str | None


@dataclass(frozen=True)
class Sender:
    user_id: str
    full_name: str
    phone: str
    address: str
    locale: str | None
    home_lat: float | None = None  # where the sender lives: an alert raised there names her address
    home_lon: float | None = None


@dataclass(frozen=True)
class Delivery:
    """One message to one recipient over one channel; its `key` is unique within the alert."""

    alert_id: str
    kind: str  # ALERT or CANCEL
    channel: str  # SMS, SIREN, WEBHOOK or FEDERATION
    target: str  # the protocol step's target
    recipient: str  # E.164 phone, siren unit id, PROVINCIAL_CAD or another CAD's cad_recipient
    body: str  # SMS text, siren command (JSON) or CAP XML
    locale: str | None = None
    delay_s: int = 0

    @property
    def key(self) -> str:
        return delivery_key(self.kind, self.channel, self.recipient)


def delivery_key(kind: str, channel: str, recipient: str) -> str:
    return f"{kind}#{channel}#{recipient}"


@dataclass(frozen=True)
class Plan:
    deliveries: tuple[Delivery, ...]
    notes: tuple[str, ...] = field(default=())  # what was left out and why (no personal data)

    def by_channel(self) -> dict[str, list[Delivery]]:
        grouped: dict[str, list[Delivery]] = {}
        for delivery in self.deliveries:
            grouped.setdefault(delivery.channel, []).append(delivery)
        return grouped


def steps_to_run(alert: Alert, alert_type: AlertType) -> tuple[tuple[ProtocolStep, ...], tuple[str, ...]]:
    """The protocol steps this alert may run: a silent alert keeps its response-team steps only."""
    if not (alert.silent or alert_type.silent):
        return alert_type.protocol, ()
    kept = tuple(s for s in alert_type.protocol if s.target == "response_team")
    dropped = len(alert_type.protocol) - len(kept)
    return kept, (f"silent alert: {dropped} public step(s) refused",) if dropped else ()


def needs_sender(steps: Iterable[ProtocolStep]) -> bool:
    return any(s.disclose_sender or s.target == "sender_confirmation" for s in steps)


def needs_neighbours(steps: Iterable[ProtocolStep]) -> bool:
    return any(s.target == "neighbours" for s in steps)


def raised_at_home(alert: Alert, sender: Sender) -> bool:
    """The alert was raised at the sender's home: placed on her home block for want of a usable location,
    or reported within AT_HOME_M of the home she registered."""
    if alert.block_source == "home":
        return True
    if sender.home_lat is None or sender.home_lon is None:
        return False
    return haversine_m((alert.lat, alert.lon), (sender.home_lat, sender.home_lon)) <= AT_HOME_M


def place_values(
    pack: CityPack,
    locale: str,
    *,
    block_id: str | None,
    quadrant_id: str | None,
    lat: float | None,
    lon: float | None,
) -> dict[str, str]:
    """Where an alert is, in words and as a link: its block (named after a corner), its zone, a map of the
    reported point. Every message about an alert names these (docs/dispatch.md)."""
    block = pack.blocks.get(block_id) if block_id else None
    quadrant = pack.quadrants.get(quadrant_id) if quadrant_id else None
    zone = quadrant.name if quadrant else ""
    place = block.name if block else (zone or pack.name)
    link = ""
    if lat is not None and lon is not None:
        link = pack.message("map_link", locale, {"lat": f"{lat:.5f}", "lon": f"{lon:.5f}"})
    return {
        "place": place,
        "address": place,
        "block_name": block.name if block else place,
        "zone": zone,
        "map": link,
    }


def template_values(
    alert: Alert,
    alert_type: AlertType,
    pack: CityPack,
    *,
    locale: str,
    sender: Sender | None,
    disclose: bool,
    with_home: bool | None = None,
) -> dict[str, str]:
    """What a template's placeholders stand for in `locale`: the alert's place, always; the sender only where
    the step discloses them, and her home address (`with_home`, default `disclose`) only when she raised the
    alert there."""
    values = place_values(
        pack, locale, block_id=alert.block_id, quadrant_id=alert.quadrant_id, lat=alert.lat, lon=alert.lon
    )
    created = clock.parse_iso(alert.created_at).astimezone(pack.zone_info)
    values.update(
        type_label=alert_type.label(locale),
        time=created.strftime("%H:%M"),
        alert_id=alert.alert_id,
        sender_name="",
    )
    if disclose and sender is not None:
        values["sender_name"] = sender.full_name
        if (
            (disclose if with_home is None else with_home)
            and sender.address
            and raised_at_home(alert, sender)
        ):
            at_home = {"place": values["place"], "home_address": sender.address}
            values["place"] = values["address"] = pack.message("place_at_home", locale, at_home)
    return values


def plan_alert(
    alert: Alert,
    alert_type: AlertType,
    pack: CityPack,
    *,
    sender: Sender | None,
    neighbours: Sequence[Neighbour],
) -> Plan:
    """Every delivery the protocol calls for; the first step to reach a recipient on a channel wins."""
    steps, notes = steps_to_run(alert, alert_type)
    notes_list = list(notes)
    planned: dict[str, Delivery] = {}

    def add(delivery: Delivery) -> None:
        planned.setdefault(delivery.key, delivery)

    def text(step: ProtocolStep, locale: str) -> str:
        """The step's words as an SMS carries them (GSM-7 folded, within its parts)."""
        return sms_text.fit(words(step, locale))

    def words(step: ProtocolStep, locale: str) -> str:
        """The step's words as written: a CAP document is UTF-8 XML with no parts to fit."""
        values = template_values(
            alert,
            alert_type,
            pack,
            locale=locale,
            sender=sender,
            disclose=step.disclose_sender or step.target == "sender_confirmation",
            with_home=step.disclose_sender and step.target != "sender_confirmation",  # she knows her address
        )
        return step.render(locale, values)

    def sms(step: ProtocolStep, phone: str, body: str, locale: str) -> None:
        add(Delivery(alert.alert_id, ALERT, SMS, step.target, phone, body, locale, step.delay_s))

    for step in steps:
        if step.channel == "push":
            notes_list.append(f"{step.target}: push is not delivered by this stack; step skipped")
            continue
        if step.target == "neighbours":
            if not alert.block_id:
                notes_list.append("neighbours: the alert has no block, so no neighbours to tell")
                continue
            rendered: dict[str, str] = {}
            for neighbour in neighbours:
                if neighbour.user_id == alert.sender_id or not neighbour.phone:
                    continue
                locale = _locale(neighbour.locale, pack)
                if locale not in rendered:
                    rendered[locale] = text(step, locale)
                sms(step, neighbour.phone, rendered[locale], locale)
        elif step.target in _DISPATCH_LIST_TARGETS:
            for number in pack.dispatch.numbers_for(step.target):
                sms(step, number, text(step, pack.locale), pack.locale)
        elif step.target == "service":
            service = pack.dispatch.services.get(step.service or "")
            if service is None:  # pragma: no cover - the loader refuses a step naming no known service
                notes_list.append(f"service: the city pack names no service {step.service}")
                continue
            for number in service.numbers:
                sms(step, number, text(step, pack.locale), pack.locale)
        elif step.target == "sender_confirmation":
            if sender is None or not sender.phone:
                notes_list.append("sender_confirmation: the sender has no phone on file")
                continue
            locale = _locale(sender.locale, pack)
            sms(step, sender.phone, text(step, locale), locale)
        elif step.target == "sirens":
            block = pack.blocks.get(alert.block_id) if alert.block_id else None
            signal = alert_type.siren
            if block is None or signal is None or not block.sirens:
                notes_list.append("sirens: the alert's block has no siren units")
                continue
            for siren in block.sirens:
                command = siren_command(
                    "sound", alert.alert_id, pattern=signal.pattern, duration_s=signal.duration_s
                )
                add(
                    Delivery(
                        alert.alert_id, ALERT, SIREN, step.target, siren.siren_id, command, None, step.delay_s
                    )
                )
        elif step.target == "provincial_police":
            if pack.dispatch.cad(step.cad) is None:
                notes_list.append(f"provincial_police: the city pack names no CAD {step.cad or 'provincial'}")
                continue
            add(cad_delivery(alert, alert_type, pack, step, sender=sender, text=words(step, pack.locale)))
        else:  # pragma: no cover - the city pack loader admits no other target
            notes_list.append(f"{step.target}: no channel for this target")
    return Plan(tuple(planned.values()), tuple(notes_list))


def cad_delivery(
    alert: Alert,
    alert_type: AlertType,
    pack: CityPack,
    step: ProtocolStep,
    *,
    sender: Sender | None,
    text: str,
    delay_s: int | None = None,
) -> Delivery:
    """The CAP 1.2 of `step` (a provincial_police step) to the CAD it names, worded `text`."""
    body = cap_alert(alert, alert_type, pack, step, sender=sender, text=text)
    return Delivery(
        alert.alert_id,
        ALERT,
        WEBHOOK,
        step.target,
        cad_recipient(step.cad),
        body.decode("utf-8"),
        pack.locale,
        step.delay_s if delay_s is None else delay_s,
    )


def _locale(locale: str | None, pack: CityPack) -> str:
    return locale if locale in pack.locales else pack.locale


def siren_command(
    command: str, alert_id: str, *, pattern: str | None = None, duration_s: int | None = None
) -> str:
    body: dict[str, object] = {"command": command, "alert_id": alert_id}
    if pattern is not None:
        body.update(pattern=pattern, duration_s=duration_s)
    return json.dumps(body, separators=(",", ":"))


# ------------------------------------------------------------------ CAP to the provincial CAD
def _cap_area(alert: Alert, pack: CityPack) -> cap.CapArea:
    block = pack.blocks.get(alert.block_id) if alert.block_id else None
    quadrant = pack.quadrants.get(alert.quadrant_id) if alert.quadrant_id else None
    description = ", ".join(
        x for x in (block.name if block else None, quadrant.name if quadrant else None, pack.name) if x
    )
    radius_km = max(cap.MIN_RADIUS_KM, (alert.accuracy_m or 0) / 1000)
    polygon: tuple[tuple[float, float], ...] = ()
    if block is not None:
        polygon = cap.closed_ring([(lat, lon) for lon, lat in block.polygon.rings[0]])
    return cap.CapArea(description, polygon, ((alert.lat, alert.lon, radius_km),))


def _cap_scope(step: ProtocolStep, pack: CityPack) -> tuple[str, str | None]:
    scope = step.scope or ("Restricted" if step.disclose_sender else "Public")
    restriction = pack.message("cap_restriction", pack.locale, {}) if scope == "Restricted" else None
    return scope, restriction


def cap_alert(
    alert: Alert,
    alert_type: AlertType,
    pack: CityPack,
    step: ProtocolStep,
    *,
    sender: Sender | None,
    text: str,
) -> bytes:
    """The CAP 1.2 Alert the provincial CAD receives for `alert`."""
    scope, restriction = _cap_scope(step, pack)
    parameters = [("vigia:priority", str(alert_type.priority))]
    if alert.block_id:
        parameters.append(("vigia:block_id", alert.block_id))
    contact = None
    if step.disclose_sender and sender is not None:
        contact = f"{sender.full_name}, {sender.phone}"
    info = cap_info(
        alert, alert_type, pack, text, area=_cap_area(alert, pack), parameters=parameters, contact=contact
    )
    return cad_message(
        alert, pack, info, scope=scope, restriction=restriction, addresses=step.addresses, cad_id=step.cad
    )


def cap_cancel(
    alert: Alert,
    alert_type: AlertType,
    pack: CityPack,
    *,
    cancelled_at: datetime,
    scope: str,
    restriction: str | None,
    addresses: tuple[str, ...],
    cad_id: str | None = None,
) -> bytes:
    """msgType Cancel referencing the Alert above (same sender, identifier and sent), to the same CAD."""
    cad = pack.dispatch.cad(cad_id)
    assert cad is not None
    original_sent = cap.cap_time(clock.parse_iso(alert.created_at), pack.time_zone)
    text = cancel_text(alert, alert_type, pack, pack.locale)
    info = cap_info(
        alert,
        alert_type,
        pack,
        text,
        area=_cap_area(alert, pack),
        iccs=False,
        urgency="Past",
        certainty="Unlikely",
    )
    original = cap.reference(cad.sender, cap_identifier(pack, alert.alert_id), original_sent)
    return cad_message(
        alert,
        pack,
        info,
        kind=CANCEL,
        msg_type="Cancel",
        sent=cancelled_at,
        scope=scope,
        restriction=restriction,
        addresses=addresses,
        note=pack.message("cap_cancel_note", pack.locale, {}),
        references=(original,),
        cad_id=cad_id,
    )


# ------------------------------------------------------------------ cancellation
@dataclass(frozen=True)
class Told:
    """A delivery of the original alert that went out (or may have): its recipient gets a cancellation."""

    channel: str
    target: str
    recipient: str
    locale: str | None


def cancel_text(alert: Alert, alert_type: AlertType, pack: CityPack, locale: str) -> str:
    values = template_values(alert, alert_type, pack, locale=locale, sender=None, disclose=False)
    return sms_text.fit(pack.message("cancellation", locale, values))


def plan_cancel(
    alert: Alert, alert_type: AlertType, pack: CityPack, told: Sequence[Told], *, cancelled_at: datetime
) -> Plan:
    """Who hears that the alert was cancelled: everyone who was told, except the sender; sirens stop."""
    planned: dict[str, Delivery] = {}
    for t in told:
        if t.target == "sender_confirmation":
            continue
        if t.channel == SMS:
            locale = _locale(t.locale, pack)
            body = cancel_text(alert, alert_type, pack, locale)
        elif t.channel == SIREN:
            locale, body = None, siren_command("stop", alert.alert_id)
        elif t.channel == WEBHOOK:
            try:
                cad_id, _cad = cad_for_recipient(pack, t.recipient)
            except LookupError:
                continue  # a CAD the pack no longer names: nobody to tell
            # the step that reached this CAD gives the cancellation its scope and addresses
            step = next(
                (s for s in alert_type.protocol if s.target == "provincial_police" and s.cad == cad_id), None
            )
            scope, restriction = _cap_scope(step, pack) if step else ("Public", None)
            locale = pack.locale
            body = cap_cancel(
                alert,
                alert_type,
                pack,
                cancelled_at=cancelled_at,
                scope=scope,
                restriction=restriction,
                addresses=step.addresses if step else (),
                cad_id=cad_id,
            ).decode("utf-8")
        else:
            continue
        delivery = Delivery(alert.alert_id, CANCEL, t.channel, t.target, t.recipient, body, locale)
        planned.setdefault(delivery.key, delivery)
    return Plan(tuple(planned.values()))


def block_of(alert: Alert, pack: CityPack) -> Block | None:
    return pack.blocks.get(alert.block_id) if alert.block_id else None
