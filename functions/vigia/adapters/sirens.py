"""Siren units: a command published over AWS IoT Core's data plane, QoS 1, to the unit's own topic.

Every command carries a `command_id`, the same on every attempt of its delivery (the alert id and the
delivery's key): QoS 1 may hand a unit the same message twice, and a sender that crashed after the publish
publishes again once its lease runs out (docs/dispatch.md), so a unit acts on a command_id once.
"""

from __future__ import annotations

import json

from vigia import settings
from vigia.adapters import outbox
from vigia.adapters.aws import client
from vigia.dispatch.protocol import SIREN, delivery_key


def topic(city_id: str, unit_id: str) -> str:
    return f"vigia/{city_id}/sirens/{unit_id}/cmd"


def command_id(alert_id: str, kind: str, unit_id: str) -> str:
    """The delivery's identity: `<alert_id>#<kind>#siren#<unit_id>`, stable across attempts."""
    return f"{alert_id}#{delivery_key(kind, SIREN, unit_id)}"


def command_siren(unit_id: str, command: str, *, alert_id: str, kind: str) -> str:
    """Publishes `command` (JSON), with its command_id, to the unit; returns the topic it went to. Raises on
    failure."""
    name = topic(settings.get().city_id, unit_id)
    body = json.loads(command)
    payload = json.dumps({**body, "command_id": command_id(alert_id, kind, unit_id)}, separators=(",", ":"))
    client("iot-data").publish(topic=name, qos=1, payload=payload.encode("utf-8"))
    outbox.record("siren", unit_id, alert_id, payload, topic=name, kind=kind, command=body.get("command"))
    return name
