"""What each reader sees of a silent alert: sealed for staff, unsealed for the response team."""

from __future__ import annotations

from typing import Any

from vigia.alerts.model import Alert
from vigia.city import CityPack, Referral
from vigia.silent.sealing import SealedIdentity

# The keys a sealed view may have: anything else (a name, a place, a sender) is a leak.
SEALED_VIEW_KEYS = frozenset(
    {"alert_id", "category", "type", "silent", "priority", "status", "created_at", "local_date", "zone"}
)
# The keys the unsealed view adds for the response team.
IDENTITY_KEYS = frozenset(
    {"sender", "sender_suspended", "location", "block", "note", "type_label", "referral_directory"}
)


def zone_name(pack: CityPack | None, quadrant_id: str | None) -> str | None:
    """The coarse zone's name: the quadrant's, never the block's."""
    quadrant = pack.quadrants.get(quadrant_id) if pack is not None and quadrant_id is not None else None
    return quadrant.name if quadrant else None


def sealed_view(alert: Alert, pack: CityPack | None = None) -> dict[str, Any]:
    """Operators, police and analysts: category `silent`, coarse zone, time, status. No one's identity."""
    return alert.sealed_view(zone_name(pack, alert.quadrant_id))


def referral_directory(pack: CityPack, locale: str) -> list[dict[str, Any]]:
    """The city's specialised services (hotlines, shelters, legal aid…), named and noted in the reader's
    language (else the city's)."""
    return [_referral(r, locale, pack.locale) for r in pack.referral_directory]


def _referral(referral: Referral, locale: str, default_locale: str) -> dict[str, Any]:
    notes = referral.notes.get(locale) or referral.notes.get(default_locale) or None
    item: dict[str, Any] = {
        "referral_id": referral.referral_id,
        "name": referral.name_in(locale),  # a pack locale always has one: its own or the default's
        "kind": referral.kind,
        "scope": referral.scope,
        "phone": referral.phone,
    }
    for key, value in (("hours", referral.hours), ("address", referral.address), ("notes", notes)):
        if value:
            item[key] = value
    return item


def unsealed_view(alert: Alert, identity: SealedIdentity, pack: CityPack) -> dict[str, Any]:
    """The response team: who she is, where she was, what she wrote, and where to refer her."""
    alert_type = pack.alert_types.get(identity.type)
    block = pack.blocks.get(identity.block_id) if identity.block_id else None
    location: dict[str, Any] = {"lat": identity.lat, "lon": identity.lon}
    if identity.accuracy_m is not None:
        location["accuracy_m"] = identity.accuracy_m
    return {
        **sealed_view(alert, pack),
        "type": identity.type,
        "type_label": alert_type.label(pack.locale) if alert_type else identity.type,
        "sender": {
            "resident_id": identity.resident_id,
            "full_name": identity.full_name,
            "phone": identity.phone,
            "national_id": identity.national_id,
            "email": identity.email,
            "address": identity.address,
            "locale": identity.locale,
        },
        # sent while her account was suspended (accepted all the same): the team's eyes only
        "sender_suspended": identity.sender_suspended,
        "location": location,
        "block": {
            "block_id": identity.block_id,
            "name": block.name if block else None,
            "source": identity.block_source,
        },
        "note": identity.note,
        "referral_directory": referral_directory(pack, pack.locale),
    }
