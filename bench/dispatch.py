"""Protocol dispatch figures: AWS API calls per alert as a function of its neighbours N (counted with a
botocore hook), and, on the local stack, the time from the 202 to the last neighbour SMS in the outbox.

    python -m bench dispatch          # BENCH_DISPATCH_ALERTS=10 for a quicker, rougher run
"""

from __future__ import annotations

import json
import math
import os
import statistics
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from bench._emulator import CallCounter, EmulatorStack, provision, use_emulator_credentials
from infra.local.launch import launch, stop, wait_for_outputs

ROOT = Path(__file__).resolve().parents[1]
BENCH_STACK = {
    "VIGIA_LOCAL_LOG_LEVEL": "WARNING",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
    "VIGIA_PARAMETER_OVERRIDES": "SmsSendsPerSecond=0 LogLevel=WARNING RegistrationsPerSourcePerHour=100000",
}
CALL_SIZES = (0, 1, 10, 25, 100, 500)
LATENCY_SIZES = (25, 500)
POLLER = (
    "sqs.ReceiveMessage",
    "sqs.DeleteMessageBatch",
    "sqs.ChangeMessageVisibility",
)  # the Lambda poller's calls
ALERTS = int(os.environ.get("BENCH_DISPATCH_ALERTS", "50"))


def target(n: int) -> int:
    return math.ceil(n / 10) + math.ceil(n / 25) + 6


# ------------------------------------------------------------------ AWS calls, in-process on moto
def count_calls() -> None:
    use_emulator_credentials()
    os.environ.update({"SMS_SENDS_PER_S": "0", "POWERTOOLS_LOG_LEVEL": "WARNING", "LOG_LEVEL": "WARNING"})
    from moto import mock_aws

    counter = CallCounter()
    counter.install()
    with mock_aws():
        resources, _ = provision()
        os.environ["SMS_SENDS_PER_S"] = "0"
        import boto3

        from vigia import clock, runtime
        from vigia.alerts.events import alert_created
        from vigia.alerts.model import SendingWindow
        from vigia.alerts.submission import Alert
        from vigia.residents.registration import Resident

        runtime.reset()
        pack = runtime.city_pack()
        blocks = [b for b in pack.blocks.values() if b.sirens]
        from tests.support.template_pumps import queue_pump

        stack = EmulatorStack(resources)
        dispatcher = queue_pump(stack, "DispatchQueue")
        senders = [queue_pump(stack, queue) for queue in ("SmsQueue", "SirenQueue")]
        sqs = boto3.client("sqs", region_name="us-east-1")
        print(f"{'N':>5} {'dispatch':>9} {'target':>7}  {'SMS sent':>8} {'sender calls':>13}  dispatch calls")
        for n, block in zip(CALL_SIZES, blocks, strict=False):
            now = clock.now()
            people = [
                Resident(
                    f"b{n}-{i}",
                    "Vecino",
                    f"2{i:07d}",
                    f"+54926160{n:03d}{i:04d}",
                    "x@y.z",
                    "Calle 1",
                    0.0,
                    0.0,
                    "es-AR",
                    "approved",
                    clock.iso(now),
                    block.block_id,
                )
                for i in range(n + 1)
            ]
            runtime.residents().put_seeded(people)
            lat, lon = block.centroid
            alert = Alert(
                clock.new_id(now),
                "robbery",
                False,
                2,
                people[0].user_id,
                lat,
                lon,
                10.0,
                None,
                block.block_id,
                block.quadrant_id,
                "location",
                "received",
                clock.iso(now),
                clock.local_date(now, pack.time_zone),
            )
            # the sender's alert window, as intake moves it (not counted: the dispatch's calls start below)
            window = SendingWindow(f"window#alert#{alert.sender_id}", (alert.created_at,), 0, 3600)
            runtime.alerts().create(alert, None, window)
            image = {
                "pk": alert.alert_id,
                "type": alert.type,
                "priority": alert.priority,
                "block_id": alert.block_id,
                "quadrant_id": alert.quadrant_id,
                "created_at": alert.created_at,
                "local_date": alert.local_date,
            }
            body = json.dumps(alert_created(image, city_id=pack.city_id))  # what AlertEvents queues
            sqs.send_message(QueueUrl=resources["DispatchQueue"], MessageBody=body)
            counter.calls.clear()
            delivered = dispatcher.drain()  # DispatchFunction's template mapping
            assert delivered.records == 1, delivered
            assert not delivered.failed, delivered
            dispatch_calls = Counter(counter.calls)
            for name in POLLER:
                dispatch_calls.pop(name, None)  # the Lambda poller's, not the function's
            counter.calls.clear()
            for pump in senders:  # the template's SmsSender and SirenSender mappings, as Lambda polls them
                pump.drain()
            sender_calls = Counter(counter.calls)
            sent = sender_calls.pop("sns.Publish", 0)
            for name in POLLER:
                sender_calls.pop(name, None)
            total = sum(dispatch_calls.values())
            flag = "" if total <= target(n) else "  (over target)"
            detail = ", ".join(f"{k}×{v}" for k, v in sorted(dispatch_calls.items()))
            other = sum(sender_calls.values())
            print(f"{n:>5} {total:>9} {target(n):>7}  {sent:>8} {other:>13}  {detail}{flag}")
        print("target: N SMS publishes + at most ceil(N/10) + ceil(N/25) + 6 other calls for the dispatch;")
        print(
            "senders add a conditional claim and a conditional 'sent' per delivery (2 DynamoDB calls each)."
        )


# ------------------------------------------------------------------ latency on the local stack
class Outbox:
    """Reads the outbox as it grows, remembering where it stopped, and files each alert's SMS."""

    def __init__(self, path: Path) -> None:
        self.path, self.offset = path, 0
        self.sms: dict[str, list[dict[str, Any]]] = {}

    def alert_sms(self, alert_id: str) -> list[dict[str, Any]]:
        if self.path.exists():
            with self.path.open("rb") as handle:
                handle.seek(self.offset)
                chunk = handle.read()
            complete = chunk[: chunk.rfind(b"\n") + 1]
            self.offset += len(complete)
            for line in complete.decode("utf-8").splitlines():
                if line.strip():
                    m = json.loads(line)
                    if m["channel"] == "sms" and m.get("kind", "alert") == "alert":
                        self.sms.setdefault(m["alert_id"], []).append(m)
        return self.sms.get(alert_id, [])


def register(api: str, body: dict[str, Any], outbox: Path) -> str:
    """Registration as a resident does it: the 202, the code the SMS brought (outbox), the confirmation."""
    import re

    import requests

    started = requests.post(f"{api}/v1/registrations", json=body, timeout=30).json()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        lines = outbox.read_text(encoding="utf-8").splitlines() if outbox.exists() else []
        codes = [
            re.findall(r"\b\d{6}\b", m["body"])
            for m in map(json.loads, filter(None, lines))
            if m.get("recipient") == body["phone"] and str(m.get("alert_id", "")).startswith("registration-")
        ]
        if codes and codes[-1]:
            confirm = f"{api}/v1/registrations/{started['registration_id']}/confirm"
            return str(requests.post(confirm, json={"code": codes[-1][0]}, timeout=30).json()["user_id"])
        time.sleep(0.1)
    raise TimeoutError(f"no registration code reached {body['phone']}")


def latency() -> None:
    import boto3
    import requests

    from tests.support import godoy_cruz_pack
    from vigia import clock

    pack = godoy_cruz_pack()
    work = Path(tempfile.mkdtemp(prefix="vigia-bench-dispatch-"))
    # The emulator has no SMS rate to respect; pacing would measure the pacer, not the pipeline.
    # Every bench resident registers from 127.0.0.1: the per-source registration limit is lifted.
    process = launch(work / "local", work / "stack.log", env=BENCH_STACK)
    try:
        outputs = wait_for_outputs(process, work / "local", timeout_s=90)
        if outputs is None:
            raise RuntimeError(f"the local stack did not start; see {work / 'stack.log'}")
        api = outputs["ApiUrl"]
        session = boto3.session.Session(
            aws_access_key_id="t", aws_secret_access_key="t", region_name="us-east-1"
        )
        dynamodb = session.client("dynamodb", endpoint_url=outputs["AwsEndpointUrl"])
        idp = session.client("cognito-idp", endpoint_url=outputs["AwsEndpointUrl"])
        table = outputs["Resources"]["ResidentsTable"]

        def token(username: str, password: str) -> str:
            answer = idp.initiate_auth(
                ClientId=outputs["UserPoolClientId"],
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": username, "PASSWORD": password},
            )
            return str(answer["AuthenticationResult"]["IdToken"])

        demo = outputs["DemoUsers"]["operator"]
        operator = requests.Session()
        operator.headers["Authorization"] = "Bearer " + token(demo["username"], demo["password"])
        outbox = Outbox(Path(outputs["OutboxPath"]))
        rate = pack.settings.alert_rate_limit.max_alerts
        used = {b.block_id for b in pack.blocks.values() if b.population == 0}
        print(f"local stack: {ALERTS} robbery alerts per N, one at a time; SMS unpaced (docs/dispatch.md)")
        print(f"{'N':>5} {'alerts':>6} {'p50 s':>7} {'p95 s':>7} {'max s':>7}")
        for n in LATENCY_SIZES:
            block = next(b for b in pack.blocks.values() if b.block_id not in used and b.sirens)
            used.add(block.block_id)
            lat, lon = block.centroid
            senders: list[requests.Session] = []
            for i in range(math.ceil(ALERTS / rate)):
                suffix = f"{uuid.uuid4().int % 10**6:06d}"
                email = f"bench-{n}-{i}-{suffix}@example.ar"
                body = {
                    "full_name": "Vecina Bench",
                    "national_id": f"4{suffix}{i % 10}",
                    "phone": f"+5492617{suffix}",
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
            extra = n + 1 - len(senders)  # every alert has N neighbours: the other senders count among them
            items = [
                {
                    "PutRequest": {
                        "Item": {
                            "pk": {"S": f"bench-{n}-{i}"},
                            "kind": {"S": "resident"},
                            "status": {"S": "approved"},
                            "phone": {"S": f"+54926180{n:03d}{i:04d}"},
                            "locale": {"S": "es-AR"},
                            "block_id": {"S": block.block_id},
                            "created_at": {"S": clock.iso(clock.now())},
                        }
                    }
                }
                for i in range(extra)
            ]
            for start in range(0, len(items), 25):
                dynamodb.batch_write_item(RequestItems={table: items[start : start + 25]})
            seconds = []
            for k in range(ALERTS):
                sender = senders[k // rate]
                answer = sender.post(
                    f"{api}/v1/alerts",
                    json={"type": "robbery", "location": {"lat": lat, "lon": lon}},
                    timeout=30,
                )
                accepted = time.time()
                answer.raise_for_status()
                alert_id = answer.json()["alert_id"]
                deadline = time.monotonic() + 300
                while True:
                    sms = outbox.alert_sms(alert_id)
                    neighbours = [m for m in sms if m["recipient"] not in pack.dispatch.community_police]
                    if len(neighbours) >= n + 1:  # N neighbours and the sender's confirmation
                        break
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"alert {alert_id}: {len(neighbours)} of {n + 1} SMS after 300 s")
                    time.sleep(0.05)
                last = max(clock.parse_iso(m["time"]).timestamp() for m in neighbours)
                seconds.append(max(0.0, last - accepted))
            seconds.sort()
            p95 = seconds[min(len(seconds) - 1, math.ceil(0.95 * len(seconds)) - 1)]
            print(
                f"{n:>5} {len(seconds):>6} {statistics.median(seconds):>7.2f} {p95:>7.2f} {seconds[-1]:>7.2f}"
            )
    finally:
        stop(process)


def run() -> None:
    count_calls()
    latency()


if __name__ == "__main__":
    run()
