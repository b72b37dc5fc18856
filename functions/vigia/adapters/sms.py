"""SMS through Amazon SNS Publish to a phone number (transactional: alerts are time-critical)."""

from __future__ import annotations

import threading
import time

from vigia import settings
from vigia.adapters import outbox
from vigia.adapters.aws import client


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


def send_sms(phone: str, text: str, *, alert_id: str, kind: str) -> str:
    """Publishes the SMS; returns SNS's message id. Raises on failure (the caller retries)."""
    _pace()
    answer = client("sns").publish(
        PhoneNumber=phone,
        Message=text,
        MessageAttributes={
            "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
            "AWS.SNS.SMS.SenderID": {"DataType": "String", "StringValue": "VIGIA"},
        },
    )
    outbox.record("sms", phone, alert_id, text, kind=kind)
    return str(answer["MessageId"])
