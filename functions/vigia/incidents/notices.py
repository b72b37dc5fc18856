"""The SMS the incident lifecycle sends: an assignment to a police unit, and a resident's standing changes;
and, for a visitor alert, the CAP Update each step sends back to the partner city.

Texts come from the city pack's `texts` catalogue, in the city's languages; each names where the alert
is (its block and a map of the reported point) and is kept to as few SMS parts as it can (sms_text).
Silent alerts never produce an assignment SMS: the response team handles them.
"""

from __future__ import annotations

from vigia import clock
from vigia.city import CityPack
from vigia.dispatch import roaming, sms_text
from vigia.dispatch.protocol import ALERT, PROVINCIAL_CAD, SMS, WEBHOOK, Delivery, place_values
from vigia.dispatch.sms_text import gsm7_length, is_gsm7
from vigia.incidents.lifecycle import Incident

ASSIGNED_UNIT = "assigned_unit"  # the delivery's target (a protocol target name would clash)
NOTICE = "notice"  # the delivery kind of a resident's standing notice: never part of an alert's cancellation
# A resident's new status → the pack text that tells them (city pack `texts`).
STANDING_TEXTS = {
    "suspended": "resident_suspended",
    "approved": "resident_approved",
    "rejected": "resident_rejected",
}


def _place_values(incident: Incident, pack: CityPack) -> dict[str, str]:
    """What the texts say of an incident: its type, time (city time), block, zone and a map of the point."""
    alert_type = pack.alert_types.get(incident.type)
    values = place_values(
        pack,
        pack.locale,
        block_id=incident.block_id,
        quadrant_id=incident.quadrant_id,
        lat=incident.lat,
        lon=incident.lon,
    )
    values.update(
        alert_id=incident.alert_id,
        type_label=alert_type.label(pack.locale) if alert_type else incident.type,
        time=clock.parse_iso(incident.created_at).astimezone(pack.zone_info).strftime("%H:%M"),
    )
    return values


def unit_assignment(incident: Incident, unit_id: str, pack: CityPack) -> Delivery | None:
    """The SMS telling `unit_id` it has the alert: type, time, place and where to go; None for silent alerts
    or a unit the city pack has no phone for."""
    unit = pack.units.get(unit_id)
    alert_type = pack.alert_types.get(incident.type)
    if incident.silent or (alert_type is not None and alert_type.silent) or unit is None or not unit.phone:
        return None
    values = {**_place_values(incident, pack), "unit_id": unit_id}
    text = sms_text.fit(pack.message("unit_assignment", pack.locale, values))
    return Delivery(incident.alert_id, ALERT, SMS, ASSIGNED_UNIT, unit.phone, text, pack.locale)


def partner_update(incident: Incident, status: str, at: str, pack: CityPack) -> Delivery | None:
    """A visitor alert reached `status`: the signed CAP Update to the partner city whose resident raised it
    (docs/roaming.md); None for a resident's own alert or a status the federation does not carry."""
    if not incident.visitor:
        return None
    return roaming.plan_update(incident.alert_id, incident.visitor, status, pack, at=clock.parse_iso(at))


def standing_notice(
    *,
    about: str,
    user_id: str,
    phone: str | None,
    locale: str | None,
    status: str,
    reason: str | None,
    pack: CityPack,
) -> Delivery | None:
    """The SMS telling a resident they were suspended, reinstated or not approved, and whom to call.

    `about` is the delivery's alert_id: the false alarm that suspended them, or "resident-<user_id>".
    """
    key = STANDING_TEXTS.get(status)
    if key is None or not phone:
        return None
    values = {"reason": "", "helpline": pack.settings.helpline}
    room = sms_text.GSM7_SINGLE - gsm7_length(pack.message(key, locale, values))
    values["reason"] = _fitted_reason(reason, room)
    text = sms_text.fit(pack.message(key, locale, values))
    return Delivery(about, NOTICE, SMS, f"resident_{status}", phone, text, locale or pack.locale)


def _fitted_reason(reason: str | None, room: int) -> str:
    """The operator's reason in GSM-7 (accents folded, anything else dropped), cut to the room one SMS has."""
    folded = sms_text.fold_to_gsm7(" ".join((reason or "").split()))
    kept = "".join(ch for ch in folded if is_gsm7(ch)).strip()
    if not kept:
        return "-"
    if gsm7_length(kept) <= room:
        return kept
    while kept and gsm7_length(kept) > room - 3:
        kept = kept[:-1]
    return kept.rstrip() + "..."


def resident_subject(user_id: str) -> str:
    """The deliveries' alert_id for a notice that is about a resident, not an alert."""
    return f"resident-{user_id}"


def escalation_to_cad(incident: Incident, pack: CityPack) -> Delivery | None:
    """The CAP 1.2 Alert that hands an escalated incident to the provincial police CAD (Restricted scope).

    None when the city has no CAD, for a silent alert (the response team's), or when the alert type's
    protocol already sent the CAD this alert at dispatch.
    """
    from types import MappingProxyType

    from vigia.alerts.model import Alert
    from vigia.city import ProtocolStep
    from vigia.dispatch.protocol import cap_alert

    alert_type = pack.alert_types.get(incident.type)
    if (
        pack.dispatch.provincial_cad is None
        or incident.silent
        or alert_type is None
        or alert_type.silent
        or "provincial_police" in alert_type.targets
        or incident.lat is None
        or incident.lon is None
    ):
        return None
    alert = Alert(
        alert_id=incident.alert_id,
        type=incident.type,
        silent=False,
        priority=incident.priority,
        sender_id=incident.sender_id,
        lat=incident.lat,
        lon=incident.lon,
        accuracy_m=None,
        note=None,
        block_id=incident.block_id,
        quadrant_id=incident.quadrant_id,
        block_source=None,
        status=incident.status,
        created_at=incident.created_at,
        local_date=incident.created_at[:10],
    )
    step = ProtocolStep("provincial_police", WEBHOOK, MappingProxyType({}), False, 0, scope="Restricted")
    text = pack.message("escalation", pack.locale, _place_values(incident, pack))
    body = cap_alert(alert, alert_type, pack, step, sender=None, text=text)
    return Delivery(
        incident.alert_id, ALERT, WEBHOOK, "provincial_police", PROVINCIAL_CAD, body.decode(), pack.locale
    )
