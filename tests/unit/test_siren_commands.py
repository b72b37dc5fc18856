"""A siren command names its delivery (`command_id`, the same on every attempt), so a unit acts on it once:
IoT QoS 1 may hand it over twice, and a sender that crashed after the publish publishes again once its lease
runs out (docs/dispatch.md, "Nothing lost, nothing sent twice")."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.stub import ANY, Stubber

from vigia import runtime, settings
from vigia.adapters import sirens
from vigia.dispatch.protocol import siren_command

ALERT_ID = "01JQ8Z6V4M3K2N1P0R9S8T7V6W"
UNIT = "S-0042"


@pytest.fixture
def outbox(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    box = tmp_path / "outbox.jsonl"
    monkeypatch.setenv("VIGIA_OUTBOX_PATH", str(box))
    runtime.reset()
    yield box
    monkeypatch.undo()
    runtime.reset()


def publish(command: str, kind: str) -> dict[str, Any]:
    """What reached IoT Core for one command_siren call: the payload, as the unit reads it."""
    client = sirens.client("iot-data")
    seen: dict[str, Any] = {}

    def capture(params: dict[str, Any], **_: Any) -> None:
        seen.update(params)

    client.meta.events.register("provide-client-params.iot-data.Publish", capture)
    try:
        with Stubber(client) as stub:
            stub.add_response("publish", {}, expected_params={"topic": ANY, "qos": 1, "payload": ANY})
            sirens.command_siren(UNIT, command, alert_id=ALERT_ID, kind=kind)
            stub.assert_no_pending_responses()
    finally:
        client.meta.events.unregister("provide-client-params.iot-data.Publish", capture)
    assert seen["topic"] == sirens.topic(settings.get().city_id, UNIT)
    return json.loads(seen["payload"])


def test_a_siren_command_carries_the_id_of_its_delivery_the_same_on_every_attempt(outbox: Path) -> None:
    sound = siren_command("sound", ALERT_ID, pattern="robbery", duration_s=90)
    first, again = publish(sound, "alert"), publish(sound, "alert")
    assert (
        first
        == again
        == {
            "command": "sound",
            "alert_id": ALERT_ID,
            "pattern": "robbery",
            "duration_s": 90,
            "command_id": f"{ALERT_ID}#alert#siren#{UNIT}",
        }
    )
    # the alert's stop is another delivery: a unit that dropped a repeated sound still stops
    stop = publish(siren_command("stop", ALERT_ID), "cancel")
    assert stop["command_id"] == f"{ALERT_ID}#cancel#siren#{UNIT}" != first["command_id"]
    # the local outbox keeps what was published
    published = [json.loads(json.loads(line)["body"]) for line in outbox.read_text().splitlines()]
    assert [p["command_id"] for p in published] == [first["command_id"]] * 2 + [stop["command_id"]]
