"""The console's live events on the local stack (docs/console.md "Live events"): 200 consoles connected to the
WebSocket as operators; for each of 50 public alerts, submit → the event on one operator's socket (p50/p95),
and submit → on all 200 sockets, the fan-out (first to last socket).

Real WebSocket clients (simple-websocket) against the template's WebSocket API served by the local engine;
the publisher posts through boto3's apigatewaymanagementapi client, one PostToConnection per socket. The
figures are the local stack's (one process, one event at a time per function): they show the shape, not
API Gateway's or Lambda's throughput.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import tempfile
import threading
import time
import uuid
from pathlib import Path

from bench.dispatch import BENCH_STACK, register
from infra.local.launch import launch, stop, wait_for_outputs

ROOT = Path(__file__).resolve().parents[1]
CONSOLES = int(os.environ.get("BENCH_LIVE_CONSOLES", "200"))
ALERTS = int(os.environ.get("BENCH_LIVE_ALERTS", "50"))


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


class Console:
    """One connected console: a socket and a thread noting when each alert's event arrived."""

    def __init__(self, url: str, heard: dict[str, list[float]], lock: threading.Lock) -> None:
        import simple_websocket

        self.socket = simple_websocket.Client.connect(url)
        self.heard, self.lock = heard, lock
        self.first: dict[str, float] = {}
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        import simple_websocket

        while True:
            try:
                data = self.socket.receive()
            except simple_websocket.ConnectionClosed:
                return
            if data is None:
                return
            at = time.time()
            alert_id = json.loads(data).get("alert_id")
            if alert_id and alert_id not in self.first:
                self.first[alert_id] = at
                with self.lock:
                    self.heard.setdefault(alert_id, []).append(at)

    def close(self) -> None:
        self.socket.close()


def run() -> None:
    import boto3
    import requests

    from tests.support import godoy_cruz_pack

    pack = godoy_cruz_pack()
    work = Path(tempfile.mkdtemp(prefix="vigia-bench-live-"))
    process = launch(work / "local", work / "stack.log", env=BENCH_STACK)
    consoles: list[Console] = []
    try:
        outputs = wait_for_outputs(process, work / "local", timeout_s=90)
        if outputs is None:
            raise RuntimeError(f"the local stack did not start; see {work / 'stack.log'}")
        api = outputs["ApiUrl"]
        idp = boto3.session.Session(
            aws_access_key_id="t", aws_secret_access_key="t", region_name="us-east-1"
        ).client("cognito-idp", endpoint_url=outputs["AwsEndpointUrl"])

        def token(username: str, password: str) -> str:
            answer = idp.initiate_auth(
                ClientId=outputs["UserPoolClientId"],
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": username, "PASSWORD": password},
            )
            return str(answer["AuthenticationResult"]["IdToken"])

        demo = outputs["DemoUsers"]["operator"]
        operator_token = token(demo["username"], demo["password"])
        operator = requests.Session()
        operator.headers["Authorization"] = "Bearer " + operator_token

        # Residents enough to send ALERTS alerts within the city's rate limit, each registered as one is
        rate = pack.settings.alert_rate_limit.max_alerts
        block = next(iter(pack.blocks.values()))
        lat, lon = block.centroid
        senders = []
        for i in range(math.ceil(ALERTS / rate)):
            suffix = f"{uuid.uuid4().int % 10**6:06d}"
            email = f"bench-live-{i}-{suffix}@example.ar"
            body = {
                "full_name": "Vecina Bench",
                "national_id": f"3{suffix}{i % 10}",
                "phone": f"+5492616{suffix}",
                "email": email,
                "password": "Segura-2026x",
                "address": "Calle 1",
                "home_location": {"lat": lat, "lon": lon},
            }
            user_id = register(api, body, Path(outputs["OutboxPath"]))
            operator.post(f"{api}/v1/registrations/{user_id}/approve", timeout=30).raise_for_status()
            s = requests.Session()
            s.headers["Authorization"] = "Bearer " + token(email, "Segura-2026x")
            senders.append(s)

        # CONSOLES operators' consoles on the socket ($connect checks each token)
        heard: dict[str, list[float]] = {}
        lock = threading.Lock()
        url = f"{outputs['WebSocketUrl']}?token={operator_token}"
        started = time.perf_counter()
        consoles = [Console(url, heard, lock) for _ in range(CONSOLES)]
        connect_s = time.perf_counter() - started

        one, everyone, spread = [], [], []
        for k in range(ALERTS):
            sent = time.time()
            answer = senders[k // rate].post(
                f"{api}/v1/alerts", json={"type": "robbery", "location": {"lat": lat, "lon": lon}}, timeout=30
            )
            answer.raise_for_status()
            alert_id = answer.json()["alert_id"]
            deadline = time.monotonic() + 60
            while True:
                with lock:
                    times = list(heard.get(alert_id, ()))
                if len(times) >= CONSOLES:
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"alert {alert_id}: {len(times)} of {CONSOLES} consoles after 60 s")
                time.sleep(0.005)
            one.append(consoles[0].first[alert_id] - sent)
            everyone.append(max(times) - sent)
            spread.append(max(times) - min(times))

        print(
            f"local stack: {CONSOLES} operator consoles on the WebSocket (connected in {connect_s:.1f} s), "
            f"{ALERTS} public alerts one at a time"
        )
        print(f"{'':<38} {'p50 s':>7} {'p95 s':>7} {'max s':>7}")
        rows = (
            ("submit -> event on an operator's socket", one),
            (f"submit -> event on all {CONSOLES} sockets", everyone),
            (f"fan-out to {CONSOLES} (first -> last)", spread),
        )
        for name, values in rows:
            p50, p95 = statistics.median(values), _percentile(values, 0.95)
            print(f"{name:<38} {p50:>7.3f} {p95:>7.3f} {max(values):>7.3f}")
    finally:
        for console in consoles:
            console.close()
        stop(process)
