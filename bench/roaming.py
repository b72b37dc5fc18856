"""Roaming on the local pair (docs/roaming.md): Godoy Cruz residents' robberies raised inside Peñalolén, one
at a time; for each, the home's 202 → the host's first outbox line for the visitor alert and its police SMS
(p50/p95/max), how many came home `delivered`, and a local robbery at home for comparison.

The pair is started as `make run-pair` starts it (`python -m infra.local.pair`, on free ports, in a temporary
folder), with small settings: 300 residents per city, no history. The residents who send are registered as
one registers (the SMS code from the outbox, the home operator's approval), ALERTS_PER_RESIDENT alerts each
so the home's rate limit is never reached. Both stacks run on this machine and share its clock: the 202 is
taken when the answer reaches the client, the outbox line's time is the host's `time` field (ms). The
figures are the local pair's (one process per city, one event at a time per function), a shape, not the
cloud's; nothing here fails on time.
"""

from __future__ import annotations

import json
import math
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.dispatch import register
from infra.local.launch import free_ports

ROOT = Path(__file__).resolve().parents[1]
CITIES = ("godoy-cruz", "penalolen")
ALERTS = int(os.environ.get("BENCH_ROAMING_ALERTS", "30"))
LOCAL_ALERTS = int(os.environ.get("BENCH_ROAMING_LOCAL_ALERTS", "9"))
ALERTS_PER_RESIDENT = 3  # Godoy Cruz's pack: 3 alerts per resident per 10 minutes
READY_TIMEOUT_S = 180.0
ALERT_TIMEOUT_S = 60.0


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in (0, 1])."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


def figures_row(name: str, values: list[float], of: int) -> str:
    """One printed row: count reached of those sent, p50/p95/max in seconds ('-' when none reached)."""
    if not values:
        return f"{name:<46} {0:>3}/{of:<3} {'-':>7} {'-':>7} {'-':>7}"
    p50, p95 = percentile(values, 0.5), percentile(values, 0.95)
    return f"{name:<46} {len(values):>3}/{of:<3} {p50:>7.3f} {p95:>7.3f} {max(values):>7.3f}"


def _seconds(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


@dataclass
class Outbox:
    """One stack's outbox, read as it grows: for each alert id, its first line's time and its first SMS to
    one of `police` (epoch seconds, from the line's own `time`), in order of first appearance."""

    path: Path
    police: frozenset[str]
    offset: int = 0
    first_line: dict[str, float] = field(default_factory=dict)
    first_police: dict[str, float] = field(default_factory=dict)

    def read(self) -> None:
        if not self.path.exists():
            return
        with self.path.open("rb") as handle:
            handle.seek(self.offset)
            chunk = handle.read()
        complete = chunk[: chunk.rfind(b"\n") + 1]
        self.offset += len(complete)
        for line in complete.decode("utf-8").splitlines():
            if not line.strip():
                continue
            message = json.loads(line)
            alert_id, at = str(message.get("alert_id", "")), _seconds(message["time"])
            self.first_line.setdefault(alert_id, at)
            if message["channel"] == "sms" and message["recipient"] in self.police:
                self.first_police.setdefault(alert_id, at)


class City:
    """One stack of the pair as a client sees it: its API, its Cognito, its outbox."""

    def __init__(self, outputs: dict[str, Any], police: frozenset[str]) -> None:
        import boto3

        self.outputs = outputs
        self.api = str(outputs["ApiUrl"])
        self.idp = boto3.session.Session(
            aws_access_key_id="t", aws_secret_access_key="t", region_name=outputs["Region"]
        ).client("cognito-idp", endpoint_url=outputs["AwsEndpointUrl"])
        self.outbox = Outbox(Path(outputs["OutboxPath"]), police)

    def session(self, username: str, password: str) -> Any:
        import requests

        answer = self.idp.initiate_auth(
            ClientId=self.outputs["UserPoolClientId"],
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password},
        )
        s = requests.Session()
        s.headers["Authorization"] = "Bearer " + answer["AuthenticationResult"]["IdToken"]
        return s

    def demo(self, role: str) -> Any:
        user = self.outputs["DemoUsers"][role]
        return self.session(user["username"], user["password"])

    def new_resident(self, operator: Any, home: tuple[float, float]) -> Any:
        """Registered as a resident registers (bench.dispatch.register), approved, signed in."""
        from tests.support.people import fresh_mobile, fresh_national_id

        n = uuid.uuid4().int
        email = f"bench-roaming-{n % 10**10:010d}@example.ar"
        _, phone = fresh_mobile("AR", n)
        body = {
            "full_name": "Vecina Viajera",
            "national_id": fresh_national_id("AR", n),
            "phone": phone,
            "email": email,
            "password": "Segura-2026x",
            "address": "Calle de Prueba 100",
            "home_location": {"lat": home[0], "lon": home[1]},
        }
        user_id = register(self.api, body, self.outbox.path)
        operator.post(f"{self.api}/v1/registrations/{user_id}/approve", timeout=30).raise_for_status()
        return self.session(email, "Segura-2026x")


def start_pair(work: Path) -> tuple[subprocess.Popen[bytes], dict[str, dict[str, Any]], float]:
    """`python -m infra.local.pair` as `make run-pair` runs it, on free ports: the process, each city's
    outputs.json, and the seconds it took to be ready and federated."""
    numbers = free_ports(6)
    ports = {city: numbers[3 * i : 3 * i + 3] for i, city in enumerate(CITIES)}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "VIGIA_", "SMS_"))}
    env.update(
        {
            "PYTHONPATH": f"{ROOT / 'functions'}{os.pathsep}{ROOT}",
            "VIGIA_LOCAL_DIR": str(work / "local"),
            "VIGIA_PAIR_PORTS": " ".join(f"{c}={a},{b},{w}" for c, (a, b, w) in ports.items()),
            "VIGIA_DEMO_RESIDENTS": "300",
            "VIGIA_DEMO_HISTORY_DAYS": "0",
            "VIGIA_LOCAL_LOG_LEVEL": "WARNING",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
            "VIGIA_PARAMETER_OVERRIDES": "LogLevel=WARNING RegistrationsPerSourcePerHour=100000",
        }
    )
    started = time.perf_counter()
    with (work / "pair.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "infra.local.pair"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    summary = work / "local" / "pair.json"
    deadline = time.monotonic() + READY_TIMEOUT_S
    while not summary.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            stop_pair(process)
            raise RuntimeError(
                f"the pair did not start; see {work / 'pair.log'} and {work / 'local'}/*/stack.log"
            )
        time.sleep(0.2)
    took = time.perf_counter() - started
    outputs = {city: json.loads((work / "local" / city / "outputs.json").read_text()) for city in CITIES}
    return process, outputs, took


def stop_pair(process: subprocess.Popen[bytes]) -> None:
    """One Ctrl-C stops both stacks (infra/local/pair.py)."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_police(outbox: Outbox, alert_id: str | None, claimed: set[str]) -> str | None:
    """The alert id whose police SMS reached `outbox`: `alert_id` itself, or (None) the first alert id not
    yet `claimed`: the visitor alert the host made, whose id the home does not know. None past the timeout."""
    deadline = time.monotonic() + ALERT_TIMEOUT_S
    while time.monotonic() < deadline:
        outbox.read()
        if alert_id is not None:
            if alert_id in outbox.first_police:
                return alert_id
        else:
            fresh = [a for a in outbox.first_police if a not in claimed]
            if fresh:
                return fresh[0]
        time.sleep(0.02)
    return None


def run() -> None:
    from tests.support import godoy_cruz_pack
    from vigia.city import load_city_pack

    home_pack = godoy_cruz_pack()
    host_pack = load_city_pack(ROOT / "infra/cities/penalolen", ROOT / "schemas/city.schema.json")
    rng = random.Random(15)
    abroad = rng.sample(sorted(host_pack.blocks), ALERTS)
    at_home = rng.sample(sorted(home_pack.blocks), LOCAL_ALERTS)
    work = Path(tempfile.mkdtemp(prefix="vigia-bench-roaming-"))
    process, outputs, ready_s = start_pair(work)
    try:
        home = City(outputs["godoy-cruz"], frozenset(home_pack.dispatch.numbers_for("community_police")))
        host = City(outputs["penalolen"], frozenset(host_pack.dispatch.numbers_for("community_police")))
        home_operator, host_operator = home.demo("operator"), host.demo("operator")
        lat, lon = home_pack.blocks[at_home[0]].centroid
        started = time.perf_counter()
        residents = [
            home.new_resident(home_operator, (lat, lon))
            for _ in range(math.ceil((ALERTS + LOCAL_ALERTS) / ALERTS_PER_RESIDENT))
        ]
        registered_s = time.perf_counter() - started

        # Abroad: each robbery's 202, then the host's first line and police SMS for the visitor alert it made
        sent: list[tuple[str, float, Any]] = []  # (home alert id, 202 at, its resident's session)
        visitor_of: dict[str, str] = {}
        for k, block_id in enumerate(abroad):
            resident = residents[k // ALERTS_PER_RESIDENT]
            lat, lon = host_pack.blocks[block_id].centroid
            answer = resident.post(
                f"{home.api}/v1/alerts",
                json={"type": "robbery", "location": {"lat": lat, "lon": lon}},
                timeout=30,
            )
            at = time.time()
            if (
                answer.status_code != 202
                or (answer.json().get("roaming") or {}).get("partner") != "penalolen"
            ):
                raise RuntimeError(f"robbery in Peñalolén: {answer.status_code} {answer.text}")
            alert_id = answer.json()["alert_id"]
            sent.append((alert_id, at, resident))
            visitor = wait_police(host.outbox, None, set(visitor_of.values()))
            if visitor is not None:
                visitor_of[alert_id] = visitor

        # Each visitor alert named its home alert (the host's GET shows visitor.remote_id)
        matched = sum(
            1
            for alert_id, visitor in visitor_of.items()
            if (
                host_operator.get(f"{host.api}/v1/alerts/{visitor}", timeout=30).json().get("visitor") or {}
            ).get("remote_id")
            == alert_id
        )

        # At home for comparison: a Godoy Cruz robbery inside Godoy Cruz, 202 → its police SMS at home
        local: list[tuple[str, float]] = []
        for k, block_id in enumerate(at_home):
            resident = residents[(ALERTS + k) // ALERTS_PER_RESIDENT]
            lat, lon = home_pack.blocks[block_id].centroid
            answer = resident.post(
                f"{home.api}/v1/alerts",
                json={"type": "robbery", "location": {"lat": lat, "lon": lon}},
                timeout=30,
            )
            at = time.time()
            answer.raise_for_status()
            local.append((answer.json()["alert_id"], at))
            wait_police(home.outbox, local[-1][0], set())

        # How many came home `delivered` (the host's signed Ack), waiting a little for the last ones
        deadline, delivered = time.monotonic() + 30, 0
        while time.monotonic() < deadline:
            delivered = sum(
                1
                for alert_id, _, resident in sent
                if (
                    resident.get(f"{home.api}/v1/alerts/{alert_id}", timeout=30).json().get("roaming") or {}
                ).get("status")
                == "delivered"
            )
            if delivered == len(sent):
                break
            time.sleep(1)

        host.outbox.read()
        home.outbox.read()
        first_line = [host.outbox.first_line[visitor_of[a]] - at for a, at, _ in sent if a in visitor_of]
        police = [host.outbox.first_police[visitor_of[a]] - at for a, at, _ in sent if a in visitor_of]
        local_police = [home.outbox.first_police[a] - at for a, at in local if a in home.outbox.first_police]

        print(
            f"local pair (Godoy Cruz home, Peñalolén host; 300 residents each, no history): ready and "
            f"federated in {ready_s:.1f} s; {len(residents)} Godoy Cruz residents registered in "
            f"{registered_s:.1f} s"
        )
        print(
            f"{len(sent)} robberies raised inside Peñalolén, one at a time, "
            f"{ALERTS_PER_RESIDENT} per resident"
        )
        print(f"{'':<46} {'reached':>7} {'p50 s':>7} {'p95 s':>7} {'max s':>7}")
        print(figures_row("home 202 -> host's first outbox line", first_line, len(sent)))
        print(figures_row("home 202 -> host's police SMS (visitor alert)", police, len(sent)))
        print(figures_row("local robbery: 202 -> home's police SMS", local_police, len(local)))
        print(f"visitor alerts naming their home alert (remote_id): {matched} of {len(visitor_of)}")
        print(f"came home `delivered` (the host's signed Ack): {delivered} of {len(sent)}")
        print(f"the pair's own logs (its functions run there): {work / 'local'}/<city>/stack.log")
    finally:
        stop_pair(process)
