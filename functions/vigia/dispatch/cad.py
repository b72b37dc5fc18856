"""CAP messages to a CAD (the provincial one, or another the pack names): what every one shares.

The public protocol (an alert, its cancellation, an escalation) and the silent path (a Private alert, a
police request) each say what goes in; what every message from this city to the CAD has in common is
written once, here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from vigia import clock
from vigia.alerts.model import Alert
from vigia.city import AlertType, CityPack, OtherCad, ProvincialCad
from vigia.dispatch import cap

# A delivery's recipient for the provincial CAD; another CAD's is OTHER_CAD_PREFIX + its id ("cad:pdi"), so
# the two are distinct deliveries of one alert.
PROVINCIAL_CAD = "provincial_cad"
OTHER_CAD_PREFIX = "cad:"


def cad_recipient(cad_id: str | None) -> str:
    """The delivery recipient of the CAD a provincial_police step names (None: the provincial CAD)."""
    return PROVINCIAL_CAD if cad_id is None else OTHER_CAD_PREFIX + cad_id


def cad_for_recipient(pack: CityPack, recipient: str) -> tuple[str | None, ProvincialCad | OtherCad]:
    """(cad id, CAD) of a webhook delivery's recipient; LookupError when the pack has no such CAD."""
    cad_id = None if recipient == PROVINCIAL_CAD else recipient.removeprefix(OTHER_CAD_PREFIX)
    if cad_id is not None and (cad_id == recipient or cad_id not in pack.dispatch.other_cads):
        raise LookupError(f"no webhook endpoint named {recipient}")
    cad = pack.dispatch.cad(cad_id)
    if cad is None:
        raise LookupError(f"no webhook endpoint named {recipient}")
    return cad_id, cad


def cap_identifier(pack: CityPack, alert_id: str, kind: str | None = None) -> str:
    """The message's identifier: the alert's own; a cancellation or a police request adds its kind."""
    base = f"vigia-{pack.city_id}-{alert_id}"
    return base if kind is None else f"{base}-{kind}"


def cap_info(
    alert: Alert,
    alert_type: AlertType,
    pack: CityPack,
    text: str,
    *,
    area: cap.CapArea,
    parameters: Sequence[tuple[str, str]] = (),
    contact: str | None = None,
    iccs: bool = True,
    urgency: str | None = None,
    certainty: str | None = None,
) -> cap.CapInfo:
    """The <info> of every CAP message about an alert, public or silent: the type's CAP codes and label in
    the city's language, `text` as headline and description, the alert's id first among the parameters.
    A cancellation and a police request leave the ICCS code out (`iccs`); a cancellation says urgency Past
    and certainty Unlikely."""
    codes = [("vigia:alert_type", alert_type.code)]
    if iccs and alert_type.iccs:
        codes.append(("ICCS", alert_type.iccs))
    return cap.CapInfo(
        language=pack.locale,
        category=alert_type.cap.category,
        event=alert_type.label(pack.locale),
        urgency=urgency or alert_type.cap.urgency,
        severity=alert_type.cap.severity,
        certainty=certainty or alert_type.cap.certainty,
        sender_name=f"Vigía {pack.name}",
        headline=text,
        description=text,
        event_codes=tuple(codes),
        parameters=(("vigia:alert_id", alert.alert_id), *parameters),
        contact=contact,
        areas=(area,),
    )


def cad_message(
    alert: Alert,
    pack: CityPack,
    info: cap.CapInfo,
    *,
    scope: str,
    addresses: tuple[str, ...],
    kind: str | None = None,
    msg_type: str = "Alert",
    restriction: str | None = None,
    sent: datetime | None = None,
    note: str | None = None,
    references: tuple[str, ...] = (),
    cad_id: str | None = None,
) -> bytes:
    """The UTF-8 CAP 1.2 document the provincial CAD receives about `alert`: under the city's CAD sender
    name, identified by the alert and `kind` (cap_identifier), sent when the alert was raised unless
    `sent` says otherwise. `cad_id` names another CAD than the provincial one (its own sender name)."""
    cad = pack.dispatch.cad(cad_id)
    assert cad is not None
    message = cap.CapMessage(
        identifier=cap_identifier(pack, alert.alert_id, kind),
        sender=cad.sender,
        sent=clock.parse_iso(alert.created_at) if sent is None else sent,
        msg_type=msg_type,
        scope=scope,
        restriction=restriction,
        addresses=addresses,
        note=note,
        references=references,
        info=(info,),
    )
    return cap.to_xml(message, pack.time_zone)
