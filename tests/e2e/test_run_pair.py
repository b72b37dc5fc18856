"""`make run-pair`: Godoy Cruz and Peñalolén side by side, each on its own ports and files, federated with
each other by their real public keys, and one Ctrl-C stops both (infra/local/pair.py, docs/local-stack.md).

One pair for the module (each stack takes tens of seconds to start): `python -m infra.local.pair` in a
subprocess, as `make run-pair` runs it, on free ports and a temporary folder standing for `.local/`. Its
agreements give the partner a 5 s deadline (`VIGIA_PAIR_DEADLINE_S`, the schema's least) and each delivery
20 tries (`DeliveryMaxAttempts`), so with the partner down the home's fallback comes from the deadline, with
retries left for when the partner returns; a city goes down by its API's port closing (SIGUSR1 to its stack).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
import unicodedata
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from infra.local.launch import ROOT, free_ports, stack_environment
from tests.e2e.conftest import LocalStackProcess
from vigia.city import load_city_pack
from vigia.federation.agreement import load_agreement
from vigia.federation.jws import sign_detached
from vigia.federation.messages import read_message

pytestmark = pytest.mark.e2e

CITIES = ("godoy-cruz", "penalolen")
READY_TIMEOUT_S = 150.0


@dataclass
class Pair:
    process: subprocess.Popen[bytes]
    root: Path
    log_path: Path
    ports: dict[str, tuple[int, int, int]]
    summary: dict[str, Any]
    stacks: dict[str, LocalStackProcess]

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def other(self, city: str) -> str:
        (partner,) = [c for c in CITIES if c != city]
        return partner


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    root = tmp_path_factory.mktemp("pair") / "local"
    root.mkdir()
    numbers = free_ports(6)
    ports = {city: (numbers[3 * i], numbers[3 * i + 1], numbers[3 * i + 2]) for i, city in enumerate(CITIES)}
    settings = {
        "VIGIA_PAIR_PORTS": " ".join(f"{c}={a},{b},{w}" for c, (a, b, w) in ports.items()),
        "VIGIA_DEMO_RESIDENTS": "300",
        "VIGIA_DEMO_HISTORY_DAYS": "0",
        "VIGIA_PARAMETER_OVERRIDES": "RegistrationsPerSourcePerHour=100000 DeliveryMaxAttempts=20",
        "VIGIA_PAIR_DEADLINE_S": "5",
    }
    log_path = root.with_name("pair.log")
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "infra.local.pair"],
            cwd=ROOT,
            env=stack_environment(root, settings),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    summary_path = root / "pair.json"
    deadline = time.monotonic() + READY_TIMEOUT_S
    while not summary_path.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.send_signal(signal.SIGINT)
            process.wait(60)
            pytest.fail(
                f"the pair was not ready (exit {process.returncode}):\n{log_path.read_text()[-6000:]}"
            )
        time.sleep(0.2)
    summary = json.loads(summary_path.read_text())
    stacks = {
        city: LocalStackProcess(process, root / city, root / city / "stack.log").wait_ready(5)
        for city in CITIES
    }
    started = Pair(process, root, log_path, ports, summary, stacks)
    yield started
    if process.poll() is None:  # the last test stops it; this only cleans up after a failure
        process.send_signal(signal.SIGINT)
        process.wait(60)


def test_both_stacks_are_ready_on_their_own_ports_with_their_own_files(pair: Pair) -> None:
    for city in CITIES:
        stack = pair.stacks[city]
        aws_port, api_port, ws_port = pair.ports[city]

        assert stack.outputs["City"] == city
        assert stack.outputs["ApiUrl"] == f"http://127.0.0.1:{api_port}"
        assert stack.outputs["AwsEndpointUrl"].endswith(f":{aws_port}")
        assert stack.outputs["SocketEndpoint"].endswith(f":{ws_port}")
        assert Path(stack.outputs["OutboxPath"]) == pair.root / city / "outbox.jsonl"
        assert (pair.root / city / "outputs.json").is_file()
        assert stack.client().get("/v1/health").status_code == 200
        assert stack.client("operator").get("/v1/me").status_code == 200
    # nothing of either lands where a single `make run` writes
    assert not (pair.root / "outputs.json").exists()


def test_the_banner_names_both_cities_and_their_consoles_and_apps(pair: Pair) -> None:
    printed = pair.log()

    assert "Vigía local pair ready" in printed
    for city in CITIES:
        outputs = pair.stacks[city].outputs
        assert outputs["CityName"] in printed
        assert outputs["ConsoleUrl"] in printed
        assert f"{outputs['ApiUrl']}/app/" in printed
        assert pair.stacks[city].client().get("/console/").status_code == 200


def _kms_public_point(stack: LocalStackProcess) -> tuple[int, int]:
    """The stack's FederationSigningKey as KMS gives it, in its own emulator."""
    key_id = stack.outputs["Resources"]["FederationSigningKey"]
    der = stack.aws("kms").get_public_key(KeyId=key_id)["PublicKey"]
    key = serialization.load_der_public_key(der)
    assert isinstance(key, ec.EllipticCurvePublicKey)
    numbers = key.public_numbers()
    return numbers.x, numbers.y


def _rfc7638_thumbprint(jwk: Any) -> str:
    members = {name: jwk[name] for name in ("crv", "kty", "x", "y")}
    digest = hashlib.sha256(json.dumps(members, separators=(",", ":"), sort_keys=True).encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def test_each_agreement_lists_the_other_with_the_others_real_public_key(pair: Pair) -> None:
    for city in CITIES:
        partner = pair.other(city)
        path = pair.root / city / "federation.json"
        assert pair.stacks[city].outputs["FederationAgreementPath"] == str(path)
        # in place before the stack said it was ready: no call of the stack ever found it missing
        assert path.stat().st_mtime <= (pair.root / city / "outputs.json").stat().st_mtime

        agreement = load_agreement(
            path, ROOT / "schemas/federation.schema.json", city_id=city, local_pair=True
        )

        listed = agreement.partner(partner)
        assert listed is not None, f"{city}'s agreement does not list {partner}"
        assert listed.endpoint == f"{pair.stacks[partner].api}/v1/federation/messages"
        assert len(listed.keys) == 1
        key = listed.keys[0]
        point = key.key.public_numbers()
        assert (point.x, point.y) == _kms_public_point(pair.stacks[partner])
        assert key.kid == _rfc7638_thumbprint(key.jwk)  # what the partner's signer names in its header
        # and never its own key, nor the committed file changed
        assert (point.x, point.y) != _kms_public_point(pair.stacks[city])
    committed = json.loads((ROOT / "infra/cities/godoy-cruz/federation.json").read_text())
    assert committed["partners"][0]["keys"] == {"keys": []}


def test_a_godoy_cruz_residents_robbery_in_penalolen_reaches_penalolen_and_comes_home_delivered(
    pair: Pair,
) -> None:
    home, host = pair.stacks["godoy-cruz"], pair.stacks["penalolen"]
    pack = load_city_pack(ROOT / "infra/cities/penalolen", ROOT / "schemas/city.schema.json")
    assert {"community_police", "sirens"} <= pack.alert_types["robbery"].targets  # Peñalolén's protocol
    with_sirens = [b for b in pack.blocks.values() if b.sirens]
    block = with_sirens[uuid.uuid4().int % len(with_sirens)]
    lat, lon = block.centroid
    resident = home.client("citizen")  # Godoy Cruz's demo resident, visiting Peñalolén

    answer = resident.post("/v1/alerts", json={"type": "robbery", "location": {"lat": lat, "lon": lon}})

    assert answer.status_code == 202, answer.text
    assert answer.json()["roaming"] == {"partner": "penalolen", "status": "forwarding"}
    alert_id = answer.json()["alert_id"]
    operator = host.client("operator")

    def in_the_queue() -> list[dict[str, Any]]:
        queue = operator.get("/v1/alerts")
        assert queue.status_code == 200, queue.text
        return [a for a in queue.json()["items"] if (a["type"], a["block_id"]) == ("robbery", block.block_id)]

    (queued,) = host.wait_for(in_the_queue, timeout=60)  # the block is drawn anew: no other robbery there
    visitor = operator.get(f"/v1/alerts/{queued['alert_id']}").json()
    # (the operator also reads whom to call back: caller_name, callback_phone)
    assert (visitor["visitor"]["partner"], visitor["visitor"]["remote_id"]) == ("godoy-cruz", alert_id)
    police = set(pack.dispatch.numbers_for("community_police"))
    sirens = {s.siren_id for s in block.sirens}

    def told() -> list[dict[str, Any]]:
        mine = [m for m in host.outbox() if m.get("alert_id") == visitor["alert_id"]]
        reached = {m["recipient"] for m in mine}
        return mine if police | sirens <= reached else []

    mine = host.wait_for(told, timeout=60)
    assert {m["recipient"] for m in mine if m["channel"] == "sms"} >= police
    assert {m["recipient"]: m["topic"] for m in mine if m["channel"] == "siren"} == {
        siren: f"vigia/penalolen/sirens/{siren}/cmd" for siren in sirens
    }

    def delivered() -> dict[str, Any] | None:
        view = resident.get(f"/v1/alerts/{alert_id}")
        assert view.status_code == 200, view.text
        return view.json() if (view.json().get("roaming") or {}).get("status") == "delivered" else None

    assert home.wait_for(delivered, timeout=60)["roaming"]["partner"] == "penalolen"
    # Godoy Cruz's own police and sirens heard nothing of it: the host's protocol ran, not the home's
    home_pack = load_city_pack(ROOT / "infra/cities/godoy-cruz", ROOT / "schemas/city.schema.json")
    at_home = [m for m in home.outbox() if m.get("alert_id") == alert_id]
    assert not {m["recipient"] for m in at_home} & set(home_pack.dispatch.numbers_for("community_police"))
    assert not [m for m in at_home if m["channel"] == "siren"]

    # Peñalolén's operator works it; each step comes home as a signed CAP Update, and she reads the last
    for action in ("acknowledge", "resolve"):
        step = operator.post(f"/v1/alerts/{visitor['alert_id']}/actions", json={"action": action})
        assert step.status_code == 200, (action, step.text)

    def resolved() -> dict[str, Any] | None:
        view = resident.get(f"/v1/alerts/{alert_id}")
        assert view.status_code == 200, view.text
        return view.json() if view.json()["roaming"]["status"] == "resolved" else None

    assert home.wait_for(resolved, timeout=60)["roaming"] == {"partner": "penalolen", "status": "resolved"}


def _answers(stack: LocalStackProcess) -> bool:
    try:
        return stack.client().get("/v1/health", timeout=2).status_code == 200
    except requests.ConnectionError:
        return False


def _folded(text: str) -> str:
    """Without accents: an SMS may be folded to GSM-7 (Peñalolén → Penalolen)."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


@dataclass(frozen=True)
class _HomeKey:
    """Signs as Godoy Cruz's stack does: its FederationSigningKey in its own emulator, under the kid
    Peñalolén's agreement lists (a retry of the home's Report whose first answer was lost on the way)."""

    stack: LocalStackProcess
    kid: str

    def sign(self, message: bytes) -> bytes:
        key_id = self.stack.outputs["Resources"]["FederationSigningKey"]
        signed = self.stack.aws("kms").sign(
            KeyId=key_id, Message=message, MessageType="RAW", SigningAlgorithm="ECDSA_SHA_256"
        )
        return bytes(signed["Signature"])


def test_with_penalolen_down_the_home_falls_back_then_delivers_once_when_it_returns(pair: Pair) -> None:
    home, host = pair.stacks["godoy-cruz"], pair.stacks["penalolen"]
    host_pid = pair.summary["Cities"]["penalolen"]["Pid"]
    pack = load_city_pack(ROOT / "infra/cities/penalolen", ROOT / "schemas/city.schema.json")
    blocks = list(pack.blocks.values())
    block = blocks[uuid.uuid4().int % len(blocks)]
    lat, lon = block.centroid
    resident = home.client("citizen")  # Godoy Cruz's demo resident, visiting Peñalolén
    her_phone = home.demo_user("citizen")["phone"]
    home_operator = home.client("operator")

    def roaming_status() -> str:
        view = resident.get(f"/v1/alerts/{alert_id}")
        assert view.status_code == 200, view.text
        return str(view.json()["roaming"]["status"])

    def at_home(channel: str) -> list[dict[str, Any]]:
        return [m for m in home.outbox() if m.get("alert_id") == alert_id and m["channel"] == channel]

    # Given Peñalolén's stack down: its API's port closed, the rest of it running
    os.kill(host_pid, signal.SIGUSR1)
    try:
        host.wait_for(lambda: not _answers(host), timeout=30)

        # When a Godoy Cruz resident raises a robbery inside Peñalolén
        answer = resident.post("/v1/alerts", json={"type": "robbery", "location": {"lat": lat, "lon": lon}})
        assert answer.status_code == 202, answer.text
        assert answer.json()["roaming"] == {"partner": "penalolen", "status": "forwarding"}
        alert_id = answer.json()["alert_id"]

        # Then past Peñalolén's deadline the home's own fallback runs, while the Report is still being tried
        home.wait_for(lambda: roaming_status() == "fallback", timeout=90)
        (report,) = [
            d
            for d in home_operator.get(f"/v1/alerts/{alert_id}/deliveries").json()["items"]
            if d["channel"] == "federation"
        ]
        assert report["status"] != "sent"
        assert report["last_error"]
        assert report["attempts"] < 20  # retries left: the deadline brought the fallback, not the last try
        assert at_home("federation") == []  # no answer came: every try so far was refused at the port
    finally:
        # Peñalolén comes back (soon: the Report's retries are not all spent)
        with contextlib.suppress(ProcessLookupError):  # a stack that died says so below, not here
            os.kill(host_pid, signal.SIGUSR2)
    host.wait_for(lambda: _answers(host), timeout=30)
    # the fallback: she is texted (her roaming_fallback SMS) and Godoy Cruz's own CAD gets the CAP
    texts, caps = home.wait_for(
        lambda: (at_home("sms"), at_home("webhook")) if at_home("sms") and at_home("webhook") else None,
        timeout=60,
    )
    assert [m["recipient"] for m in texts] == [her_phone]
    assert "Penalolen" in _folded(texts[0]["body"])
    (cap,) = caps
    assert 200 <= cap["status"] < 300
    assert "<msgType>Alert</msgType>" in cap["body"]
    assert f"<circle>{lat:.6f},{lon:.6f} " in cap["body"]  # the place, on the partner's side of the border

    # Then the Report's next try reaches it, Peñalolén Acks, and she reads delivered
    home.wait_for(lambda: roaming_status() == "delivered", timeout=60)
    (posted,) = at_home("federation")
    assert posted["status"] == 200
    operator = host.client("operator")

    def visitors() -> list[dict[str, Any]]:
        queue = operator.get("/v1/alerts")
        assert queue.status_code == 200, queue.text
        robberies = [
            a for a in queue.json()["items"] if (a["type"], a["block_id"]) == ("robbery", block.block_id)
        ]
        details = [operator.get(f"/v1/alerts/{a['alert_id']}").json() for a in robberies]
        return [d for d in details if (d.get("visitor") or {}).get("remote_id") == alert_id]

    (visitor,) = host.wait_for(visitors, timeout=60)
    assert visitor["visitor"]["partner"] == "godoy-cruz"
    police = set(pack.dispatch.numbers_for("community_police"))

    def police_told() -> list[dict[str, Any]]:
        sms = [m for m in host.outbox() if m.get("alert_id") == visitor["alert_id"] and m["channel"] == "sms"]
        return sms if police <= {m["recipient"] for m in sms} else []

    host.wait_for(police_told, timeout=60)

    # And the same Report again, signed by the home's key (a retry whose answer was lost), is a replay
    kid = pair.summary["Cities"]["godoy-cruz"]["FederationKeys"][0]["kid"]
    body = posted["body"].encode("utf-8")
    again = requests.post(
        f"{host.api}/v1/federation/messages",
        data=body,
        headers={
            "Content-Type": "application/xml",
            "Vigia-Signature": sign_detached(body, _HomeKey(home, kid)),
        },
        timeout=30,
    )
    assert again.status_code == 409, again.text  # "already received": it acts on nothing again
    replayed = read_message(body)
    ack = read_message(again.content)  # and says so in its own signed words: its Ack of that Report
    assert (ack.kind, ack.sender_id, ack.in_reply_to) == ("Ack", "penalolen", replayed.distribution_id)
    assert again.headers.get("Vigia-Signature")
    # and nothing was sent twice: one visitor alert there, the police told once, her text and the CAP once
    assert len(visitors()) == 1
    sms_there = [
        m for m in host.outbox() if m.get("alert_id") == visitor["alert_id"] and m["channel"] == "sms"
    ]
    assert sorted(m["recipient"] for m in sms_there if m["recipient"] in police) == sorted(police)
    assert [len(at_home(channel)) for channel in ("sms", "webhook", "federation")] == [1, 1, 1]
    assert roaming_status() == "delivered"


def test_ctrl_c_stops_both_and_leaves_no_process_behind(pair: Pair) -> None:
    pids = [pair.summary["Cities"][city]["Pid"] for city in CITIES]
    assert all(_alive(pid) for pid in pids)

    pair.process.send_signal(signal.SIGINT)
    code = pair.process.wait(60)

    assert code == 0, pair.log()[-4000:]
    assert not [pid for pid in pids if _alive(pid)]
    for city in CITIES:
        assert "stopped" in pair.stacks[city].log()
        with pytest.raises(requests.ConnectionError):
            pair.stacks[city].client().get("/v1/health", timeout=2)
