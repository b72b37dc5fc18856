"""The SMS the incident lifecycle sends: an assignment to a police unit, and a resident's standing changes.

Texts are Vigía's own, per language (the city pack has templates for the protocol, not for these); each is
kept to one SMS part where it can be (see dispatch.sms_text). Silent alerts never produce an assignment SMS:
the response team handles them.
"""

from __future__ import annotations

from collections.abc import Mapping

from vigia import clock
from vigia.city.pack import CityPack, gsm7_length, is_gsm7
from vigia.dispatch import sms_text
from vigia.dispatch.protocol import ALERT, PROVINCIAL_CAD, SMS, WEBHOOK, Delivery
from vigia.incidents.lifecycle import Incident

ASSIGNED_UNIT = "assigned_unit"  # the delivery's target (a protocol target name would clash)
NOTICE = "notice"  # the delivery kind of a resident's standing notice: never part of an alert's cancellation

ASSIGNMENT_TEXT: Mapping[str, str] = {
    "es": "VIGIA {alert_id} asignada a {unit_id}: {type_label} {time} en {place} ({zone}). Ir a {lat},{lon}",
    "en": "VIGIA {alert_id} for {unit_id}: {type_label} {time} at {place} ({zone}). Go to {lat},{lon}",
    "pt": "VIGIA {alert_id} atribuida a {unit_id}: {type_label} {time} em {place} ({zone}). Ir a {lat},{lon}",
}
STANDING_TEXT: Mapping[str, Mapping[str, str]] = {
    "suspended": {
        "es": "Vigia: tu cuenta fue suspendida ({reason}). No podes enviar alertas. Consultas: {helpline}",
        "en": "Vigia: your account is suspended ({reason}). You cannot send alerts. Questions: {helpline}",
        "pt": "Vigia: sua conta foi suspensa ({reason}). Nao pode enviar alertas. Duvidas: {helpline}",
    },
    "approved": {
        "es": "Vigia: tu cuenta esta activa otra vez. Usala con responsabilidad. Consultas: {helpline}",
        "en": "Vigia: your account is active again. Please use it responsibly. Questions: {helpline}",
        "pt": "Vigia: sua conta esta ativa de novo. Use com responsabilidade. Duvidas: {helpline}",
    },
    "rejected": {
        "es": "Vigia: tu registro no fue aprobado ({reason}). Consultas: {helpline}",
        "en": "Vigia: your registration was not approved ({reason}). Questions: {helpline}",
        "pt": "Vigia: seu cadastro nao foi aprovado ({reason}). Duvidas: {helpline}",
    },
}


ESCALATION_TEXT: Mapping[str, str] = {
    "es": "Derivada por el observatorio: {type_label} en {place} ({zone}), {time}. Alerta {alert_id}.",
    "en": "Handed over by the observatory: {type_label} at {place} ({zone}), {time}. Alert {alert_id}.",
    "pt": "Encaminhada pelo observatorio: {type_label} em {place} ({zone}), {time}. Alerta {alert_id}.",
}


def _language(locale: str | None, pack: CityPack) -> str:
    return (locale or pack.locale).split("-")[0].lower()


def _pick(texts: Mapping[str, str], language: str) -> str:
    return texts.get(language) or texts["es"]


def _place_values(incident: Incident, pack: CityPack) -> dict[str, str]:
    """What the texts say of an incident: its type, time (city time), block, zone and coordinates."""
    alert_type = pack.alert_types.get(incident.type)
    block = pack.blocks.get(incident.block_id) if incident.block_id else None
    quadrant = pack.quadrants.get(incident.quadrant_id) if incident.quadrant_id else None
    return {
        "alert_id": incident.alert_id,
        "type_label": alert_type.label(pack.locale) if alert_type else incident.type,
        "time": clock.parse_iso(incident.created_at).astimezone(pack.zone_info).strftime("%H:%M"),
        "place": block.name if block else (quadrant.name if quadrant else pack.name),
        "zone": quadrant.name if quadrant else "",
        "lat": f"{incident.lat:.5f}" if incident.lat is not None else "",
        "lon": f"{incident.lon:.5f}" if incident.lon is not None else "",
    }


def unit_assignment(incident: Incident, unit_id: str, pack: CityPack) -> Delivery | None:
    """The SMS telling `unit_id` it has the alert: type, time, place and where to go; None for silent alerts
    or a unit the city pack has no phone for."""
    unit = pack.units.get(unit_id)
    alert_type = pack.alert_types.get(incident.type)
    if incident.silent or (alert_type is not None and alert_type.silent) or unit is None or not unit.phone:
        return None
    language = _language(pack.locale, pack)
    values = {**_place_values(incident, pack), "unit_id": unit_id}
    text = sms_text.fit(_pick(ASSIGNMENT_TEXT, language).format_map(values))
    return Delivery(incident.alert_id, ALERT, SMS, ASSIGNED_UNIT, unit.phone, text, pack.locale)


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
    texts = STANDING_TEXT.get(status)
    if texts is None or not phone:
        return None
    template = _pick(texts, _language(locale, pack))
    values = {"reason": "", "helpline": pack.settings.helpline}
    room = sms_text.GSM7_SINGLE - gsm7_length(template.format_map(values))
    values["reason"] = _fitted_reason(reason, room)
    text = sms_text.fit(template.format_map(values))
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

    from vigia.alerts.submission import Alert
    from vigia.city.pack import ProtocolStep
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
    text = _pick(ESCALATION_TEXT, _language(pack.locale, pack)).format_map(_place_values(incident, pack))
    body = cap_alert(alert, alert_type, pack, step, sender=None, text=text)
    return Delivery(
        incident.alert_id, ALERT, WEBHOOK, "provincial_police", PROVINCIAL_CAD, body.decode(), pack.locale
    )
