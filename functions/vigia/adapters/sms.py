"""SMS to a phone number, transactional (alerts are time-critical), through the city's channel: Amazon SNS
Publish, or AWS End User Messaging SMS SendTextMessage from the city's origination identity (SmsChannel)."""

from __future__ import annotations

import functools
import threading
import time
from typing import Any

from vigia import settings
from vigia.adapters import outbox
from vigia.adapters.aws import client, client_at
from vigia.dispatch.protocol import SMS, delivery_key

END_USER_MESSAGING = "end_user_messaging"
# Codes of SendTextMessage a retry can get past; any other refusal needs a person (a wrong or unregistered
# origination, an opted-out or invalid number, a missing permission, a spending limit reached).
RETRYABLE_CODES = frozenset({"ThrottlingException", "InternalServerException"})


class SmsRefused(Exception):
    """The provider refused the SMS. Retried like any failed send (the ledger still sends it once); a
    permanent refusal says so in the delivery's last_error, so an operator fixes it before a redrive."""

    def __init__(self, channel: str, code: str, message: str) -> None:
        self.channel = channel
        self.code = code
        self.retryable = code in RETRYABLE_CODES
        nature = "retryable" if self.retryable else "permanent: fix the origination or number, then redrive"
        super().__init__(f"{channel} refused the SMS: {code} ({nature}): {message}")


class Pacer:
    """Spaces sends to at most `per_s` a second in this execution environment (0 = no pacing).

    With the SMS sender's maximum concurrency this keeps the account under its SMS rate.
    """

    def __init__(self, per_s: float) -> None:
        self.interval = 1.0 / per_s if per_s > 0 else 0.0
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        if not self.interval:
            return
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            time.sleep(start - now)


_pacer: Pacer | None = None


def _pace() -> None:
    global _pacer
    if _pacer is None:
        _pacer = Pacer(settings.get().sms_sends_per_s)
    _pacer.wait()


def reset() -> None:
    """Forgets the pacer: the next send paces at the SMS_SENDS_PER_S of that moment's settings."""
    global _pacer
    _pacer = None
    sms_voice_client.cache_clear()


@functools.cache
def sms_voice_client() -> Any:
    """End User Messaging SMS (pinpoint-sms-voice-v2); locally the stack's fake (moto has none)."""
    override = settings.get().sms_voice_endpoint_url
    return client_at("pinpoint-sms-voice-v2", override) if override else client("pinpoint-sms-voice-v2")


def send_sms(phone: str, text: str, *, alert_id: str, kind: str) -> str:
    """Sends the SMS through the city's channel; returns the provider's message id. Raises on failure (the
    caller retries; SmsRefused names the provider's code and whether a retry can help)."""
    _pace()
    s = settings.get()
    if s.sms_channel == END_USER_MESSAGING:
        delivery = f"{alert_id}#{delivery_key(kind, SMS, phone)}"
        message_id = _send_text_message(
            phone, text, s.sms_origination_identity, s.sms_configuration_set, delivery=delivery
        )
        outbox.record(
            "sms",
            phone,
            alert_id,
            text,
            kind=kind,
            sms_channel=END_USER_MESSAGING,
            origination_identity=s.sms_origination_identity,
        )
        return message_id
    answer = client("sns").publish(
        PhoneNumber=phone,
        Message=text,
        MessageAttributes={
            "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
            "AWS.SNS.SMS.SenderID": {"DataType": "String", "StringValue": "VIGIA"},
        },
    )
    outbox.record("sms", phone, alert_id, text, kind=kind, sms_channel="sns")
    return str(answer["MessageId"])


def _send_text_message(
    phone: str, text: str, origination: str, configuration_set: str, *, delivery: str
) -> str:
    """`delivery` (`<alert_id>#<kind>#sms#<phone>`) goes in the request's Context, which the service copies
    into the message's delivery events: a message sent twice across a sender's crash (docs/dispatch.md)
    is then found by its delivery in the configuration set's event destination."""
    from botocore.exceptions import ClientError

    request: dict[str, Any] = {
        "DestinationPhoneNumber": phone,
        "MessageBody": text,
        "MessageType": "TRANSACTIONAL",
        "Context": {"vigia_delivery": delivery},
    }
    # Empty: the account picks (its default or a pool); Argentina needs the city's short code named here.
    if origination:
        request["OriginationIdentity"] = origination
    if configuration_set:
        request["ConfigurationSetName"] = configuration_set
    try:
        answer = sms_voice_client().send_text_message(**request)
    except ClientError as error:
        details = error.response.get("Error", {})
        code = str(details.get("Code") or "Unknown")
        raise SmsRefused(END_USER_MESSAGING, code, str(details.get("Message") or "")) from None
    return str(answer["MessageId"])
