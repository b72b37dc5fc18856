"""The local stack fakes AWS End User Messaging SMS at the adapter's boundary, as it fakes the CAD: a city
run with SmsChannel=end_user_messaging sends its SMS through boto3 to a local stand-in of SendTextMessage."""

from __future__ import annotations

import json
import os
import urllib.request
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from infra.local.stack import LocalStack, StackConfig
from vigia import runtime
from vigia.adapters import sms


def companions(tmp_path: Path, channel: str) -> LocalStack:
    local = LocalStack(StackConfig(local_dir=tmp_path))
    local.parameters = {"SmsChannel": channel}
    local.stack = SimpleNamespace(resources={})  # type: ignore[assignment]  # no CAD secret: no fake CAD
    return local


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.delenv("SMS_VOICE_ENDPOINT_URL", raising=False)
    yield monkeypatch
    runtime.reset()


def test_a_stack_on_end_user_messaging_starts_the_stand_in_and_its_sms_reach_it(
    tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    # Given `make run` with SmsChannel=end_user_messaging
    local = companions(tmp_path, "end_user_messaging")
    local.start_companions()
    try:
        # When the SMS sender sends through End User Messaging from the city's short code
        for key, value in {
            "SMS_CHANNEL": "end_user_messaging",
            "SMS_ORIGINATION_IDENTITY": "28282",
            "SMS_SENDS_PER_S": "0",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "VIGIA_OUTBOX_PATH": str(tmp_path / "outbox.jsonl"),
        }.items():
            clean_env.setenv(key, value)
        runtime.reset()
        message_id = sms.send_sms("+5492615550123", "Robo en Belgrano y Uruguay", alert_id="A1", kind="alert")
        # Then the stand-in got it (its /received and .local/sms-voice.jsonl say so)
        url = os.environ["SMS_VOICE_ENDPOINT_URL"]
        with urllib.request.urlopen(f"{url}/received", timeout=5) as answer:  # noqa: S310 - local
            [got] = json.load(answer)["received"]
        assert got["MessageId"] == message_id
        assert (got["DestinationPhoneNumber"], got["OriginationIdentity"]) == ("+5492615550123", "28282")
        recorded = [json.loads(line) for line in (tmp_path / "sms-voice.jsonl").read_text().splitlines()]
        assert [r["MessageId"] for r in recorded] == [message_id]
    finally:
        local.stop_companions()
    assert "SMS_VOICE_ENDPOINT_URL" not in os.environ


def test_a_stack_on_sns_starts_no_stand_in(tmp_path: Path, clean_env: pytest.MonkeyPatch) -> None:
    local = companions(tmp_path, "sns")
    local.start_companions()
    assert "SMS_VOICE_ENDPOINT_URL" not in os.environ
    local.stop_companions()
