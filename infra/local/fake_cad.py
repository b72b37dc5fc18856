"""A small stand-in for the provincial police CAD: checks each POST's HMAC and CAP 1.2, records what came.

The local stack starts it and points the webhook sender at it (PROVINCIAL_CAD_URL). It answers 202
to a signed, schema-valid CAP document, 401 to a bad signature, 400 to invalid CAP. `GET /received`
lists what it got (tests and demos read it); `POST /faults {"fail_next": n, "status": 503}` makes it
refuse the next n requests, to watch retries, the DLQ and redrive at work.

It honours `Idempotency-Key` (the CAP identifier the webhook sender sends with every attempt): a message it
has accepted once is answered 202 again without being acted on twice; its record says `"replay": true`.
Under a chaos run (VIGIA_FAULTS, vigia.adapters.faults) it answers some requests 503 (`server_error`) and
some too slowly for the sender's timeout after accepting them (`slow`): the sender's retry is a replay.

Another CAD of the pack (`dispatch.other_cads`) is caught at /cap/v1/alerts/<cad id> and checked with that
CAD's own key (`signing.cad_key`); each record names its `cad` (null for the provincial one).
"""

from __future__ import annotations

import functools
import json
import logging
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from infra.local import stand_in
from vigia import clock, settings
from vigia.adapters import faults
from vigia.adapters.cad import IDEMPOTENCY_HEADER
from vigia.dispatch import cap, signing

log = logging.getLogger("vigia.local.fake_cad")
ROOT = Path(__file__).resolve().parents[2]
CAP_XSD = ROOT / "schemas" / "cap" / "CAP-v1.2.xsd"
ALERTS_PATH = "/cap/v1/alerts"


@functools.cache
def cap_schema() -> Any:
    import xmlschema

    return xmlschema.XMLSchema(str(CAP_XSD))


def check_cap(body: bytes) -> list[str]:
    """Every way `body` falls short of CAP 1.2 (the XML schema, then the rules of the spec's text)."""
    schema = cap_schema()
    try:
        root = cap.parse(body)
    except Exception as error:
        return [f"not XML: {error}"]
    problems = [str(getattr(e, "reason", None) or e) for e in schema.iter_errors(body.decode("utf-8"))]
    return problems + cap.rule_problems(root)


def cad_of_path(path: str) -> str | None:
    """The CAD a POST is for: None at ALERTS_PATH (the provincial CAD), the id at ALERTS_PATH/<id>."""
    path = path.split("?")[0]
    return path.removeprefix(ALERTS_PATH + "/") if path.startswith(ALERTS_PATH + "/") else None


@dataclass
class FakeCad:
    secret: str
    record_path: Path | None = None
    received: list[dict[str, Any]] = field(default_factory=list)
    fail_next: int = 0
    fail_status: int = 503
    acted: set[tuple[str | None, str]] = field(default_factory=set)  # (cad, Idempotency-Key) accepted
    server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return stand_in.base_url(self.server) + ALERTS_PATH

    def handle_post(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        if path == "/faults":
            order = json.loads(body or b"{}")
            with self._lock:
                self.fail_next = int(order.get("fail_next", 0))
                self.fail_status = int(order.get("status", 503))
            return 200, {"fail_next": self.fail_next, "status": self.fail_status}
        with self._lock:
            if self.fail_next > 0:
                self.fail_next -= 1
                return self.fail_status, {"error": "injected fault"}
        fault = faults.at("cad", path=path)  # a local chaos run only
        if fault == "server_error":
            return 503, {"error": "injected fault (chaos run)"}
        cad_id = cad_of_path(path)
        key = headers.get(IDEMPOTENCY_HEADER.lower(), "")
        signature_ok = signing.verify(
            signing.cad_key(self.secret, cad_id), body, headers.get(signing.TIMESTAMP_HEADER.lower(), ""),
            headers.get(signing.SIGNATURE_HEADER.lower(), ""),
        )  # fmt: skip
        problems = check_cap(body) if signature_ok else []
        entry = {
            "received_at": clock.iso(clock.now()),
            "path": path,
            "cad": cad_id,
            # as sent, so a test can check which key signed it (vigia.dispatch.signing.verify)
            "timestamp": headers.get(signing.TIMESTAMP_HEADER.lower(), ""),
            "signature": headers.get(signing.SIGNATURE_HEADER.lower(), ""),
            "signature_ok": signature_ok,
            "valid": signature_ok and not problems,
            "problems": problems,
            "body": body.decode("utf-8", "replace"),
            "idempotency_key": key or None,
            "replay": False,
        }
        valid = signature_ok and not problems
        with self._lock:
            if valid and key and (cad_id, key) in self.acted:
                entry["replay"] = True  # seen and acted on already: answered as before, not acted on again
            elif valid and key:
                self.acted.add((cad_id, key))
            self.received.append(entry)
            stand_in.append_record(self.record_path, entry)
        if not signature_ok:
            return 401, {"error": "bad or missing HMAC signature"}
        if problems:
            return 400, {"error": "invalid CAP 1.2", "problems": problems}
        if fault == "slow":  # accepted, but the answer comes after the sender stopped waiting
            threading.Event().wait(settings.get().cad_timeout_s + 0.5)
        return 202, {"accepted": True, "replay": entry["replay"]}

    def start(self, host: str = "127.0.0.1", port: int = 0) -> FakeCad:
        cad = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, answer = cad.handle_post(self.path, headers, body)
                self._reply(status, answer)

            def do_GET(self) -> None:
                if self.path.rstrip("/") == "/received":
                    with cad._lock:
                        self._reply(200, {"items": list(cad.received)})
                else:
                    self._reply(404, {"error": "not found"})

            def _reply(self, status: int, answer: dict[str, Any]) -> None:
                stand_in.answer(self, status, answer, "application/json")

            def log_message(self, format: str, *args: Any) -> None:
                log.debug("fake CAD: " + format, *args)

        self.server = stand_in.serve(Handler, host, port, "fake-cad")
        log.info("fake provincial CAD listening on %s", self.url)
        return self

    def stop(self) -> None:
        stand_in.close(self.server)
        self.server = None


def start_for_stack(secret_arn: str, client: Any, record_path: Path | None = None, port: int = 0) -> FakeCad:
    """Reads the CAD secret the template created (CadSecret) and starts the fake CAD with it."""
    secret = client("secretsmanager").get_secret_value(SecretId=secret_arn)["SecretString"]
    return FakeCad(secret=str(secret), record_path=record_path).start(port=port)
