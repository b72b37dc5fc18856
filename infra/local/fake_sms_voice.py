"""A small stand-in for AWS End User Messaging SMS (pinpoint-sms-voice-v2), which moto does not emulate.

It speaks the service's wire protocol (JSON 1.0, `X-Amz-Target: PinpointSMSVoiceV2.SendTextMessage`), so
the SMS adapter runs unchanged through boto3 against it (SMS_VOICE_ENDPOINT_URL). The local stack starts
it when SmsChannel is end_user_messaging, as it starts the fake CAD. It answers a MessageId to a
well-formed request and the service's own error shape (`__type`) otherwise. `GET /received` lists what
came; `POST /faults {"fail_next": n, "error": "ThrottlingException"}` refuses the next n requests, to
watch retries, the DLQ and redrive at work (`fail_next(n, code)` from a test).
"""

from __future__ import annotations

import json
import logging
import re
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from infra.local import stand_in

log = logging.getLogger("vigia.local.fake_sms_voice")

TARGET = "PinpointSMSVoiceV2.SendTextMessage"
E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")
MESSAGE_TYPES = ("TRANSACTIONAL", "PROMOTIONAL")
MAX_BODY = 1600  # the service's MessageBody limit
ERROR_STATUS = {"ThrottlingException": 400, "InternalServerException": 500}  # others: 400


def problems(request: dict[str, Any]) -> list[str]:
    """What the service's validation would refuse in a SendTextMessage request."""
    found = []
    if not E164.match(str(request.get("DestinationPhoneNumber", ""))):
        found.append("DestinationPhoneNumber must be E.164")
    body = request.get("MessageBody")
    if not isinstance(body, str) or not body or len(body) > MAX_BODY:
        found.append(f"MessageBody must be 1 to {MAX_BODY} characters")
    if request.get("MessageType", "TRANSACTIONAL") not in MESSAGE_TYPES:
        found.append("MessageType must be TRANSACTIONAL or PROMOTIONAL")
    return found


@dataclass
class FakeSmsVoice:
    record_path: Path | None = None
    received: list[dict[str, Any]] = field(default_factory=list)
    failed: int = 0
    _fail_next: int = 0
    _fail_code: str = "ThrottlingException"
    server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return stand_in.base_url(self.server)

    def fail_next(self, count: int, code: str = "ThrottlingException") -> None:
        with self._lock:
            self._fail_next, self._fail_code = count, code

    def start(self, host: str = "127.0.0.1", port: int = 0) -> FakeSmsVoice:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, fmt: str, *args: Any) -> None:
                log.debug(fmt, *args)

            def _answer(self, status: int, payload: dict[str, Any]) -> None:
                stand_in.answer(self, status, payload, "application/x-amz-json-1.0")

            def do_GET(self) -> None:
                if self.path.rstrip("/") == "/received":
                    with fake._lock:
                        self._answer(200, {"received": list(fake.received)})
                else:
                    self._answer(404, {"message": "not found"})

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path.rstrip("/") == "/faults":
                    ask = json.loads(raw or b"{}")
                    fake.fail_next(int(ask.get("fail_next", 1)), str(ask.get("error", "ThrottlingException")))
                    self._answer(200, {"fail_next": fake._fail_next, "error": fake._fail_code})
                    return
                if self.headers.get("X-Amz-Target") != TARGET:
                    self._answer(
                        400, {"__type": "UnknownOperationException", "message": "only SendTextMessage"}
                    )
                    return
                self._answer(*fake.handle(json.loads(raw or b"{}")))

        self.server = stand_in.serve(Handler, host, port, "fake-sms-voice")
        return self

    def handle(self, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            if self._fail_next > 0:
                self._fail_next -= 1
                self.failed += 1
                code = self._fail_code
                return ERROR_STATUS.get(code, 400), {"__type": code, "message": "injected fault"}
            found = problems(request)
            if found:
                return 400, {"__type": "ValidationException", "message": "; ".join(found)}
            message_id = str(uuid.uuid4())
            self.received.append({**request, "MessageId": message_id})
            stand_in.append_record(self.record_path, {**request, "MessageId": message_id})
            return 200, {"MessageId": message_id}

    def stop(self) -> None:
        stand_in.close(self.server)
        self.server = None
