"""The SMS adapter's two channels: SNS Publish (as before) or AWS End User Messaging SMS SendTextMessage with
the city's origination identity and configuration set, chosen by SMS_CHANNEL (template parameter SmsChannel).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.stub import Stubber

from vigia import runtime, settings
from vigia.adapters import sms

PHONE = "+5492615550123"
SHORT_CODE = "28282"  # an Argentine short code: the only origination Argentina allows
CONFIGURATION_SET = "vigia-godoy-cruz"


@pytest.fixture
def channel(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Any]:
    """Sets the SMS settings of a deploy (no emulator, no network); yields a function reading the outbox."""
    for key in ("AWS_ENDPOINT_URL", "SMS_CHANNEL", "SMS_ORIGINATION_IDENTITY", "SMS_CONFIGURATION_SET"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("SMS_SENDS_PER_S", "0")
    box = tmp_path / "outbox.jsonl"
    monkeypatch.setenv("VIGIA_OUTBOX_PATH", str(box))

    def use(**env: str) -> Any:
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        runtime.reset()
        return lambda: [json.loads(line) for line in box.read_text().splitlines()] if box.exists() else []

    yield use
    monkeypatch.undo()
    runtime.reset()


def end_user_messaging(channel: Any) -> Any:
    return channel(
        SMS_CHANNEL="end_user_messaging",
        SMS_ORIGINATION_IDENTITY=SHORT_CODE,
        SMS_CONFIGURATION_SET=CONFIGURATION_SET,
    )


# --- settings ---------------------------------------------------------------------------------------


def test_sms_goes_through_sns_unless_the_city_chose_end_user_messaging(channel: Any) -> None:
    channel()
    s = settings.get()
    assert (s.sms_channel, s.sms_origination_identity, s.sms_configuration_set) == ("sns", "", "")


def test_the_settings_carry_the_end_user_messaging_channel_and_its_sender(channel: Any) -> None:
    end_user_messaging(channel)
    s = settings.get()
    assert s.sms_channel == "end_user_messaging"
    assert s.sms_origination_identity == SHORT_CODE
    assert s.sms_configuration_set == CONFIGURATION_SET


def test_an_unknown_sms_channel_is_refused_by_name(channel: Any) -> None:
    channel(SMS_CHANNEL="pigeon")
    with pytest.raises(ValueError, match=r"SMS_CHANNEL.*pigeon"):
        settings.get()


# --- End User Messaging SMS -------------------------------------------------------------------------


def test_an_sms_through_end_user_messaging_is_one_transactional_text_from_the_citys_origination(
    channel: Any,
) -> None:
    sent = end_user_messaging(channel)
    client = sms.sms_voice_client()
    with Stubber(client) as stub:
        stub.add_response(
            "send_text_message",
            {"MessageId": "m-1"},
            expected_params={
                "DestinationPhoneNumber": PHONE,
                "MessageBody": "Robo en Belgrano y Uruguay",
                "MessageType": "TRANSACTIONAL",
                "OriginationIdentity": SHORT_CODE,
                "ConfigurationSetName": CONFIGURATION_SET,
                # the provider's delivery events name the delivery (docs/dispatch.md, the provider gap)
                "Context": {"vigia_delivery": f"A1#alert#sms#{PHONE}"},
            },
        )
        provider_id = sms.send_sms(PHONE, "Robo en Belgrano y Uruguay", alert_id="A1", kind="alert")
        stub.assert_no_pending_responses()
    assert provider_id == "m-1"
    [record] = sent()
    assert record["channel"] == "sms"
    assert record["sms_channel"] == "end_user_messaging"
    assert record["origination_identity"] == SHORT_CODE
    assert (record["recipient"], record["alert_id"], record["kind"]) == (PHONE, "A1", "alert")


def test_without_an_origination_identity_the_request_leaves_it_to_the_account(channel: Any) -> None:
    channel(SMS_CHANNEL="end_user_messaging")
    client = sms.sms_voice_client()
    with Stubber(client) as stub:
        stub.add_response(
            "send_text_message",
            {"MessageId": "m-2"},
            expected_params={
                "DestinationPhoneNumber": PHONE,
                "MessageBody": "x",
                "MessageType": "TRANSACTIONAL",
                "Context": {"vigia_delivery": f"A1#cancel#sms#{PHONE}"},
            },
        )
        assert sms.send_sms(PHONE, "x", alert_id="A1", kind="cancel") == "m-2"


@pytest.mark.parametrize(
    ("code", "retryable"),
    [
        ("ThrottlingException", True),
        ("InternalServerException", True),
        ("ValidationException", False),
        ("AccessDeniedException", False),
        ("ResourceNotFoundException", False),
        ("ConflictException", False),
    ],
)
def test_a_refusal_says_whether_a_retry_can_help_and_nothing_reaches_the_outbox(
    channel: Any, code: str, retryable: bool
) -> None:
    sent = end_user_messaging(channel)
    client = sms.sms_voice_client()
    with Stubber(client) as stub:
        stub.add_client_error(
            "send_text_message", service_error_code=code, service_message="no", http_status_code=400
        )
        with pytest.raises(sms.SmsRefused) as refused:
            sms.send_sms(PHONE, "x", alert_id="A1", kind="alert")
    assert refused.value.code == code
    assert refused.value.retryable is retryable
    # the delivery ledger keeps this text as last_error: an operator sees whether a redrive alone can help
    assert ("permanent" in str(refused.value)) is (not retryable)
    assert "end_user_messaging" in str(refused.value)
    assert sent() == []


def test_the_sns_channel_still_publishes_a_transactional_sms(channel: Any) -> None:
    sent = channel()
    client = sms.client("sns")
    with Stubber(client) as stub:
        stub.add_response("publish", {"MessageId": "s-1"})
        assert sms.send_sms(PHONE, "x", alert_id="A1", kind="alert") == "s-1"
    [record] = sent()
    assert record["sms_channel"] == "sns"
    assert "origination_identity" not in record
