"""Siren units: a command published over AWS IoT Core's data plane, QoS 1, to the unit's own topic."""

from __future__ import annotations

import json

from vigia import settings
from vigia.adapters import outbox
from vigia.adapters.aws import client


def topic(city_id: str, unit_id: str) -> str:
    return f"vigia/{city_id}/sirens/{unit_id}/cmd"


def command_siren(unit_id: str, command: str, *, alert_id: str, kind: str) -> str:
    """Publishes `command` (JSON) to the unit; returns the topic it went to. Raises on failure."""
    name = topic(settings.get().city_id, unit_id)
    client("iot-data").publish(topic=name, qos=1, payload=command.encode("utf-8"))
    outbox.record(
        "siren", unit_id, alert_id, command, topic=name, kind=kind, command=json.loads(command).get("command")
    )
    return name
