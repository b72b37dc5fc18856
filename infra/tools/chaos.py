"""`make chaos`: alerts of every type through a fresh local stack while every hop fails on purpose; a count.

    make chaos                      # 1,000 alerts, faults at 20 % (docs/reliability.md)
    make chaos N=200 RATE=0.2 SEED=7

1. A fresh local stack (its own ports and directory) with VIGIA_FAULTS naming a file whose `faults` are off.
2. A calm phase: N/10 alerts without faults (the latency without faults).
3. Faults on at RATE on every hop (vigia.adapters.faults.HOPS); N alerts of every type, silent ones included,
   from many residents across blocks, some cancelled by their sender within the window, eight at a time.
4. Faults off; wait for quiet; count the dead letters; redrive every DLQ once (`make redrive`); wait again.
5. Count from the stack's own records and from what left: the fake End User Messaging provider's record
   (each SMS names its delivery in `Context`), the outbox and the faults log for siren commands, the fake
   CAD's record (a replay it did not act on is not a second message).

The last line is exactly `chaos: N alerts, faults P%, lost L, duplicates D (provider gap G), dead letters
after redrive X, silent leaks S, p95 T s` (one line), and the exit status is 1 when L, S or D − G is not 0.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import itertools
import json
import math
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra.local.launch import ROOT, launch, stack_environment, stop, wait_for_outputs

SENDERS_FILE = "chaos-senders.json"
PASSWORD = "Caos-seguro-2026"
CANCEL_SHARE = 0.1  # of the public alerts, cancelled by their sender right after the 202
WORKERS = 8


# ------------------------------------------------------------------ the stack's seed (runs inside the stack)
def seed_chaos(residents: int | None = None) -> dict[str, Any]:
    """The demo city, plus VIGIA_CHAOS_SENDERS signed-up residents on as many blocks (each may send the pack's
    alert limit): their sign-ins are written to chaos-senders.json in the local directory."""
    from infra.local.seed import seed_demo
    from vigia import clock, runtime, settings
    from vigia.adapters.aws import client
    from vigia.residents.registration import APPROVED, Resident

    seeded = seed_demo(residents)
    pack = runtime.city_pack()
    idp, pool = client("cognito-idp"), settings.get().user_pool_id
    count = int(os.environ.get("VIGIA_CHAOS_SENDERS", "50"))
    blocks = sorted(pack.blocks.values(), key=lambda b: (not b.sirens, b.block_id))
    prefix = "+549261" if pack.country_code == "AR" else "+5699"
    senders, people = [], []
    for i in range(count):
        block = blocks[i % len(blocks)]
        email, phone = f"caos-{i:05d}@chaos.vigia.local", f"{prefix}{7000000 + i}"
        user_id = runtime.identity().create_user(email, PASSWORD, phone)
        idp.admin_add_user_to_group(UserPoolId=pool, Username=email, GroupName="citizen")
        lat, lon = block.centroid
        people.append(
            Resident(
                user_id=user_id, full_name=f"Vecina Caos {i}", national_id=f"{30000000 + i}", phone=phone,
                email=email, address=f"{block.name} {i}", home_lat=lat, home_lon=lon, locale=pack.locale,
                status=APPROVED, created_at=clock.iso(clock.now()), block_id=block.block_id,
            )
        )  # fmt: skip
        senders.append({"username": email, "user_id": user_id, "phone": phone, "lat": lat, "lon": lon})
    runtime.residents().put_seeded(people)
    local_dir = Path(os.environ["VIGIA_LOCAL_DIR"])
    (local_dir / SENDERS_FILE).write_text(json.dumps(senders), encoding="utf-8")
    return seeded


# ------------------------------------------------------------------ the stack, from outside
@dataclass
class Stack:
    work: Path
    process: subprocess.Popen[bytes]
    faults_file: Path
    outputs: dict[str, Any] = field(default_factory=dict)

    @property
    def local_dir(self) -> Path:
        return self.work / "local"

    def set_faults(self, rate: float, seed: int) -> None:
        spec = {"seed": seed, "rate": rate} if rate > 0 else {"seed": seed, "enabled": False}
        temporary = self.faults_file.with_suffix(".tmp")
        temporary.write_text(json.dumps({"faults": spec}), encoding="utf-8")
        temporary.replace(self.faults_file)
        time.sleep(1.0)  # every function reads the file again within half a second

    def aws(self, service: str) -> Any:
        import boto3

        return boto3.session.Session(
            aws_access_key_id="chaos", aws_secret_access_key="chaos", region_name=self.outputs["Region"]
        ).client(service, endpoint_url=self.outputs["AwsEndpointUrl"])

    def stop(self) -> int:
        return stop(self.process)


def start_stack(work: Path, senders: int, residents: int) -> Stack:
    work.mkdir(parents=True, exist_ok=True)
    faults_file = work / "faults.json"
    faults_file.write_text(json.dumps({"faults": {"enabled": False}}), encoding="utf-8")
    settings = {
        "VIGIA_SEED": "infra.tools.chaos:seed_chaos",
        "VIGIA_CHAOS_SENDERS": str(senders),
        "VIGIA_FAULTS": str(faults_file),
        "VIGIA_LOCAL_LOG_LEVEL": "WARNING",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "VIGIA_PARAMETER_OVERRIDES": "SmsSendsPerSecond=0 LogLevel=WARNING",
        # local knobs, so a run takes minutes, not hours (docs/reliability.md): a shorter CAD timeout, a
        # sender's lease still longer than one send with its CAD retries, retries capped at 16 s
        "CAD_TIMEOUT_S": "1",
        "DELIVERY_LEASE_S": "15",
        "DELIVERY_RETRY_CAP_S": "16",
    }
    process = launch(work / "local", work / "stack.log", residents=residents, env=settings)
    stack = Stack(work, process, faults_file)
    outputs = wait_for_outputs(process, stack.local_dir, timeout_s=180)
    if outputs is None:
        stack.stop()
        raise RuntimeError(f"the local stack did not start; see {work / 'stack.log'}")
    stack.outputs = outputs
    return stack


# ------------------------------------------------------------------ the residents' side
@dataclass
class Sent:
    alert_id: str
    type: str
    silent: bool
    phase: str  # "calm" or "faults"
    accepted_at: float
    cancelled: bool = False


class Residents:
    """The seeded senders, signed in; each takes alerts within the pack's limits (public and silent apart)."""

    def __init__(self, stack: Stack, api: str) -> None:
        import requests

        self.api = api
        self.stack = stack
        senders = json.loads((stack.local_dir / SENDERS_FILE).read_text(encoding="utf-8"))
        idp = stack.aws("cognito-idp")
        self.sessions: list[Any] = []
        self.senders = senders
        for sender in senders:
            answer = idp.initiate_auth(
                ClientId=stack.outputs["UserPoolClientId"],
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": sender["username"], "PASSWORD": PASSWORD},
            )
            session = requests.Session()
            session.headers["Authorization"] = "Bearer " + answer["AuthenticationResult"]["IdToken"]
            self.sessions.append(session)
        self.used: Counter[tuple[int, bool]] = Counter()
        self._lock = threading.Lock()

    def pick(self, silent: bool, limit: int) -> int:
        with self._lock:
            for i in range(len(self.sessions)):
                if self.used[(i, silent)] < limit:
                    self.used[(i, silent)] += 1
                    return i
        raise RuntimeError("not enough chaos senders for the alerts asked (VIGIA_CHAOS_SENDERS)")

    def post(self, i: int, path: str, body: dict[str, Any] | None, key: str) -> Any:
        """POSTs as a resident's app does: a 5xx or a dropped connection is sent again with the same
        Idempotency-Key until it is answered (the alert is accepted once)."""
        import requests

        for attempt in range(30):
            try:
                answer = self.sessions[i].post(
                    self.api + path, json=body, headers={"Idempotency-Key": key}, timeout=30
                )
            except requests.RequestException:
                time.sleep(min(0.2 * 2**attempt, 2.0))
                continue
            if answer.status_code < 500 and answer.status_code != 429:
                return answer
            time.sleep(min(0.2 * 2**attempt, 2.0))
        return answer


def send_alerts(
    residents: Residents, types: list[tuple[str, bool]], phase: str, limits: tuple[int, int], seed: int
) -> list[Sent]:
    rng = random.Random(seed)
    plan = [(t, silent, (not silent) and rng.random() < CANCEL_SHARE) for t, silent in types]
    sent: list[Sent] = []
    lock = threading.Lock()

    def one(item: tuple[str, bool, bool]) -> None:
        alert_type, silent, cancel = item
        i = residents.pick(silent, limits[1] if silent else limits[0])
        where = residents.senders[i]
        answer = residents.post(
            i,
            "/v1/alerts",
            {"type": alert_type, "location": {"lat": where["lat"], "lon": where["lon"]}},
            str(uuid.uuid4()),
        )
        if answer.status_code != 202:
            print(f"  not accepted: {alert_type} → {answer.status_code} {answer.text[:200]}", file=sys.stderr)
            return
        record = Sent(answer.json()["alert_id"], alert_type, silent, phase, time.time())
        if cancel:
            done = residents.post(i, f"/v1/alerts/{record.alert_id}/cancel", None, str(uuid.uuid4()))
            record.cancelled = done.status_code in (200, 202)
        with lock:
            sent.append(record)

    with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
        list(pool.map(one, plan))
    return sent


# ------------------------------------------------------------------ quiet, DLQs, redrive
def queue_depths(stack: Stack) -> dict[str, tuple[int, int]]:
    """Every queue of the stack: (visible, in flight or delayed)."""
    sqs = stack.aws("sqs")
    depths = {}
    for url in sqs.list_queues().get("QueueUrls", []):
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        busy = int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0)) + int(
            attributes.get("ApproximateNumberOfMessagesDelayed", 0)
        )
        depths[url.rsplit("/", 1)[1]] = (int(attributes.get("ApproximateNumberOfMessages", 0)), busy)
    return depths


def dead_letters(stack: Stack) -> dict[str, int]:
    return {name: v + b for name, (v, b) in queue_depths(stack).items() if "dlq" in name.lower() and v + b}


def wait_for_quiet(stack: Stack, at_most_s: float, still_s: float = 6.0) -> float:
    """Until no work queue holds a message and the outbox stops growing for `still_s`; returns seconds."""
    started = time.monotonic()
    outbox = Path(stack.outputs["OutboxPath"])
    last_size, still_since = -1, time.monotonic()
    while time.monotonic() - started < at_most_s:
        busy = any(v + b for name, (v, b) in queue_depths(stack).items() if "dlq" not in name.lower())
        size = outbox.stat().st_size if outbox.exists() else 0
        if busy or size != last_size:
            last_size, still_since = size, time.monotonic()
        elif time.monotonic() - still_since >= still_s:
            break
        time.sleep(1.0)
    return time.monotonic() - started


# The DLQs of scheduled runs hold the input of a run that failed: redriving one is running it again.
SCHEDULE_DLQS = {
    "silent-ack-watch-dlq": "SilentAckWatchFunction",
    "watchdog-schedule-dlq": "WatchdogFunction",
}
# The relay's holds stream positions, not alerts: the watchdog re-publishes what the relay gave up on.
RELAY_DLQ = "relay-dlq"
RELAY_REDRIVE = {"threshold_s": 0, "lookback_s": 86400}


def redrive(stack: Stack) -> str:
    """Every DLQ once: `make redrive` for the dispatch and channel queues; a scheduled run's DLQ by running
    its function again on each input; the relay's by one watchdog run that re-publishes any alert still
    `received`. A message is deleted only when its run succeeded."""
    done = subprocess.run(
        [sys.executable, "-m", "infra.tools.redrive", "all", "--local-dir", str(stack.local_dir)],
        cwd=ROOT, env=stack_environment(stack.local_dir, {}), capture_output=True, text=True, check=True,
    )  # fmt: skip
    summary = [done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""]
    sqs = stack.aws("sqs")
    city = stack.outputs.get("City") or "godoy-cruz"
    runs: dict[str, tuple[str, dict[str, Any] | None]] = {n: (f, None) for n, f in SCHEDULE_DLQS.items()}
    runs[RELAY_DLQ] = ("WatchdogFunction", RELAY_REDRIVE)
    for name, (function, fixed) in runs.items():
        url = sqs.get_queue_url(QueueName=f"vigia-{city}-{name}")["QueueUrl"]
        rerun = 0
        while True:
            answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
            messages = answer.get("Messages", [])
            if not messages:
                break
            for message in messages:
                event = json.dumps(fixed) if fixed is not None else message["Body"]
                if not _invoke(stack, function, event):
                    return "; ".join([*summary, f"{name}: {function} failed; left in its DLQ"])
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                rerun += 1
        if rerun:
            summary.append(f"{name}: {rerun} run again through {function}")
    return "; ".join(summary)


def _invoke(stack: Stack, function: str, event: str) -> bool:
    done = subprocess.run(
        [sys.executable, "-m", "infra.local.run", "invoke", function, event],
        cwd=ROOT, env=stack_environment(stack.local_dir, {}), capture_output=True, text=True, timeout=120,
        check=False,
    )  # fmt: skip
    if done.returncode != 0:
        print(f"  {function} failed on a redriven input:\n{done.stderr[-2000:]}", file=sys.stderr)
    return done.returncode == 0


# ------------------------------------------------------------------ the count
def _lines(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _scan(client: Any, table: str) -> list[dict[str, Any]]:
    from boto3.dynamodb.types import TypeDeserializer

    plain = TypeDeserializer()
    items, kwargs = [], {"TableName": table}
    while True:
        page = client.scan(**kwargs)
        items += [{k: plain.deserialize(v) for k, v in item.items()} for item in page.get("Items", [])]
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


@dataclass
class Count:
    alerts: int
    lost: list[str]
    duplicates: int
    provider_gap: int
    other_duplicates: list[str]
    dead_before: dict[str, int]
    dead_after: dict[str, int]
    stuck: list[str]
    silent_leaks: list[str]
    latency: dict[str, list[float]]
    replays: int
    faults: Counter[tuple[str, str]]


def left_messages(stack: Stack) -> tuple[list[tuple[str, str, str, str, float]], int]:
    """What left the stack, as (alert_id, kind, channel, recipient, time), and the CAD's replays."""
    from vigia.dispatch.cad import cad_recipient

    local = stack.local_dir
    left: list[tuple[str, str, str, str, float]] = []
    outbox = _lines(Path(stack.outputs["OutboxPath"]))
    times: dict[tuple[str, str, str], float] = {}
    for m in outbox:
        if m["channel"] == "sms":
            times.setdefault((m["alert_id"], m.get("kind", "alert"), m["recipient"]), _epoch(m["time"]))
    # SMS: the provider's own record; each names its delivery (SendTextMessage's Context)
    for m in _lines(local / "sms-voice.jsonl"):
        named = (m.get("Context") or {}).get("vigia_delivery")
        if not named:
            continue  # a registration code or another message that is not an alert's delivery
        alert_id, kind, channel, recipient = named.split("#", 3)
        at = times.get((alert_id, kind, recipient), 0.0)
        left.append((alert_id, kind, channel, recipient, at))
    # siren commands: the outbox (after IoT accepted) and the commands IoT accepted before a crash
    for m in outbox:
        if m["channel"] == "siren":
            left.append((m["alert_id"], m.get("kind", "alert"), "siren", m["recipient"], _epoch(m["time"])))
    for f in _lines(local / "faults.jsonl"):
        if f.get("hop") == "siren_sender" and f.get("kind") == "crash_after_accept" and f.get("delivery"):
            alert_id, kind, channel, recipient = f["delivery"].split("#", 3)
            left.append((alert_id, kind, channel, recipient, float(f["time"])))
    # the CAD: what it acted on (a replay of an identifier it had accepted is answered, not acted on)
    replays = 0
    for m in _lines(local / "cad.jsonl"):
        if not m.get("valid"):
            continue
        if m.get("replay"):
            replays += 1
            continue
        identifier = _cap_identifier(m["body"])
        alert_id, kind = _alert_of_identifier(identifier)
        recipient = cad_recipient(m.get("cad"))
        left.append((alert_id, kind, "webhook", recipient, _epoch(m["received_at"])))
    return left, replays


def _epoch(iso: str) -> float:
    from vigia import clock

    return clock.parse_iso(iso).timestamp()


def _cap_identifier(body: str) -> str:
    from vigia.dispatch import cap

    return cap.parse(body.encode("utf-8")).findtext(f"{{{cap.CAP_NS}}}identifier") or ""


def _alert_of_identifier(identifier: str) -> tuple[str, str]:
    """vigia-<city>-<alert id>[-<kind>] (vigia.dispatch.cad.cap_identifier): the alert id is a ULID."""
    parts = identifier.split("-")
    for i, part in enumerate(parts):
        if len(part) == 26 and part.isalnum() and part.isupper():
            rest = "-".join(parts[i + 1 :])
            return part, ("cancel" if "cancel" in rest else "alert")
    return identifier, "alert"


@dataclass
class Verdict:
    lost: list[str] = field(default_factory=list)
    stuck: list[str] = field(default_factory=list)
    silent_leaks: list[str] = field(default_factory=list)
    other_duplicates: list[str] = field(default_factory=list)
    duplicates: int = 0
    provider_gap: int = 0


Left = tuple[str, str, str, str, float]  # (alert_id, kind, channel, recipient, time)


def judge(
    sent: list[Sent],
    ledger: list[dict[str, Any]],
    left: list[Left],
    expected: Callable[[Sent, list[dict[str, Any]]], set[tuple[str, str]]],
    team: set[str],
) -> Verdict:
    """The verdict on what left against what each alert's protocol called for and what the ledger says.

    - lost: a (channel, recipient) the protocol calls for that never left (unless its alert was cancelled in
      time and the delivery withdrawn or never planned), or a record marked sent that never left;
    - duplicates: every copy past the first of an (alert, kind, channel, recipient); the provider gap explains
      as many as the record's `uncertain` attempts (a sender died after the provider took it), no more;
    - stuck: a record neither sent nor cancelled;
    - silent leaks: anything of a silent alert on a siren, the CAD, or an SMS to anyone but the response team.
    """
    from vigia.dispatch.protocol import SIREN, SMS, WEBHOOK

    by_alert: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in ledger:
        by_alert[str(record["pk"])].append(record)
    sends: Counter[tuple[str, str, str, str]] = Counter((a, k, c, r) for a, k, c, r, _ in left)
    verdict = Verdict()
    for s in sent:
        records = by_alert.get(s.alert_id, [])
        for channel, recipient in sorted(expected(s, records)):
            if sends[(s.alert_id, "alert", channel, recipient)]:
                continue
            want = ("alert", channel, recipient)
            status = next(
                (r["status"] for r in records if (r["kind"], r["channel"], r["recipient"]) == want), None
            )
            if s.cancelled and status in ("cancelled", None):
                continue  # withdrawn before it went out, or never planned: cancelled in time
            where = f"{s.alert_id} ({s.type}) {channel} → {recipient}"
            verdict.lost.append(f"{where}: {status or 'no delivery record'}")
        for r in records:
            times = sends[(s.alert_id, r["kind"], r["channel"], r["recipient"])]
            if r["status"] not in ("sent", "cancelled"):
                verdict.stuck.append(f"{s.alert_id} {r['sk']}: {r['status']}")
            elif r["status"] == "sent" and not times:
                verdict.lost.append(f"{s.alert_id} ({s.type}) {r['sk']}: marked sent, never left")
            if times > 1:
                extra = times - 1
                explained = min(extra, int(r.get("uncertain") or 0))
                verdict.duplicates += extra
                verdict.provider_gap += explained
                if extra > explained:
                    verdict.other_duplicates.append(
                        f"{s.alert_id} {r['sk']}: left {times} times, {explained} explained"
                    )
    silent_ids = {s.alert_id for s in sent if s.silent}
    for alert_id, kind, channel, recipient, _ in left:
        if alert_id in silent_ids and (
            channel in (SIREN, WEBHOOK) or (channel == SMS and recipient not in team)
        ):
            verdict.silent_leaks.append(f"{alert_id} {kind} {channel} → {recipient}")
    return verdict


def count(stack: Stack, sent: list[Sent], dead_before: dict[str, int]) -> Count:
    tables = stack.outputs["Resources"]
    dynamodb = stack.aws("dynamodb")
    ledger = _scan(dynamodb, tables["DeliveriesTable"])
    left, replays = left_messages(stack)
    pack = _pack(stack)
    verdict = judge(
        sent,
        ledger,
        left,
        lambda s, _: _expected(s, pack, stack),
        set(pack.dispatch.numbers_for("response_team")),
    )
    status = {a["pk"]: a.get("status") for a in _scan(dynamodb, tables["AlertsTable"]) if "status" in a}
    for s in sent:
        if not s.silent and status.get(s.alert_id) == "received":
            verdict.stuck.append(f"{s.alert_id} ({s.type}): still received")
    latency: dict[str, list[float]] = {"calm": [], "faults": []}
    last: dict[str, float] = {}
    for alert_id, kind, _, _, at in left:
        if kind == "alert" and at:
            last[alert_id] = max(last.get(alert_id, 0.0), at)
    for s in sent:
        if s.alert_id in last and not s.cancelled:
            latency[s.phase].append(max(0.0, last[s.alert_id] - s.accepted_at))
    injected: Counter[tuple[str, str]] = Counter(
        (f["hop"], f["kind"]) for f in _lines(stack.local_dir / "faults.jsonl")
    )
    return Count(
        alerts=len(sent), lost=verdict.lost, duplicates=verdict.duplicates, provider_gap=verdict.provider_gap,
        other_duplicates=verdict.other_duplicates, dead_before=dead_before, dead_after=dead_letters(stack),
        stuck=verdict.stuck, silent_leaks=verdict.silent_leaks, latency=latency, replays=replays,
        faults=injected,
    )  # fmt: skip


def _pack(stack: Stack) -> Any:
    from vigia.city.loading import load_city_pack

    city = stack.outputs.get("City") or "godoy-cruz"
    return load_city_pack(ROOT / "infra" / "cities" / city, ROOT / "schemas" / "city.schema.json")


_neighbours_cache: dict[str, list[tuple[str, str]]] = {}


def _expected(s: Sent, pack: Any, stack: Stack) -> set[tuple[str, str]]:
    """The (channel, recipient) pairs the pack's protocol calls for, worked out apart from the ledger:
    dispatch numbers, the block's approved neighbours but the sender, its sirens, the sender, the CAD."""
    from vigia.dispatch.cad import cad_recipient

    alert_type = pack.alert_types[s.type]
    block_id, sender_phone = _alert_place(stack, s.alert_id)
    block = pack.blocks.get(block_id) if block_id else None
    wanted: set[tuple[str, str]] = set()
    steps = [st for st in alert_type.protocol if not alert_type.silent or st.target == "response_team"]
    for step in steps:
        if step.target == "neighbours" and block is not None:
            for phone in _neighbour_phones(stack, block.block_id):
                if phone != sender_phone:
                    wanted.add(("sms", phone))
        elif step.target in ("community_police", "medical", "fire", "response_team"):
            wanted |= {("sms", n) for n in pack.dispatch.numbers_for(step.target)}
        elif step.target == "sender_confirmation" and sender_phone:
            wanted.add(("sms", sender_phone))
        elif step.target == "sirens" and block is not None and alert_type.siren is not None:
            wanted |= {("siren", siren.siren_id) for siren in block.sirens}
        elif step.target == "provincial_police":
            wanted.add(("webhook", cad_recipient(step.cad)))
    return wanted


_places: dict[str, tuple[str | None, str | None]] = {}


def _alert_place(stack: Stack, alert_id: str) -> tuple[str | None, str | None]:
    """The alert's block and its sender's phone, as the stack stored them."""
    return _places.get(alert_id, (None, None))


def _neighbour_phones(stack: Stack, block_id: str) -> list[str]:
    return [phone for block, phone in _residents(stack) if block == block_id]


@dataclass
class _Cache:
    residents: list[tuple[str, str]] | None = None


_cache = _Cache()


def _residents(stack: Stack) -> list[tuple[str, str]]:
    if _cache.residents is None:
        items = _scan(stack.aws("dynamodb"), stack.outputs["Resources"]["ResidentsTable"])
        _cache.residents = [
            (str(i["block_id"]), str(i["phone"]))
            for i in items
            if i.get("kind") == "resident"
            and i.get("status") == "approved"
            and i.get("block_id")
            and i.get("phone")
        ]
    return _cache.residents


# ------------------------------------------------------------------ the run
def percentile(values: Iterable[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def alert_types(pack: Any, n: int, seed: int) -> list[tuple[str, bool]]:
    """N alerts cycling through every type of the pack, silent ones included, in a shuffled order."""
    kinds = sorted(pack.alert_types.items())
    chosen = [(code, bool(t.silent)) for code, t in itertools.islice(itertools.cycle(kinds), n)]
    random.Random(seed).shuffle(chosen)
    return chosen


def run(
    n: int,
    rate: float,
    seed: int,
    work: Path,
    out: Callable[[str], None] = print,
    faults_for_s: float | None = None,
) -> tuple[int, Count]:
    """`faults_for_s`: how long the faults stay on once the last alert is accepted (None: until the pipeline
    is quiet with them on, as `make chaos` runs; the suite's shorter run gives them a fixed while)."""
    from vigia.city.loading import load_city_pack

    pack = load_city_pack(ROOT / "infra" / "cities" / "godoy-cruz", ROOT / "schemas" / "city.schema.json")
    _places.clear()
    _cache.residents = None
    calm_n = max(10, n // 10)
    limit = pack.settings.alert_rate_limit.max_alerts
    silent_limit = pack.settings.silent_alert_rate_limit.max_alerts
    types = alert_types(pack, n + calm_n, seed)
    public = sum(1 for _, silent in types if not silent)
    silent = len(types) - public
    senders = max(math.ceil(public / limit), math.ceil(silent / silent_limit)) + 2
    out(f"chaos: a fresh local stack in {work} ({senders} senders), seed {seed}")
    started = time.monotonic()
    stack = start_stack(work, senders, residents=300)
    try:
        residents = Residents(stack, stack.outputs["ApiUrl"])
        out(f"  stack up in {time.monotonic() - started:.0f} s; calm phase: {calm_n} alerts without faults")
        sent = send_alerts(residents, types[:calm_n], "calm", (limit, silent_limit), seed)
        wait_for_quiet(stack, 120)
        stack.set_faults(rate, seed)
        out(f"  faults at {rate:.0%} on every hop: {n} alerts")
        sent += send_alerts(residents, types[calm_n:], "faults", (limit, silent_limit), seed + 1)
        if faults_for_s is None:
            out(f"  {len(sent)} alerts accepted; the pipeline works through them with the faults still on")
            waited = wait_for_quiet(stack, 600)
            out(f"  quiet after {waited:.0f} s; faults off, waiting for quiet")
        else:
            out(f"  {len(sent)} alerts accepted; the faults stay on {faults_for_s:.0f} s more")
            time.sleep(faults_for_s)
            out("  faults off, waiting for quiet")
        stack.set_faults(0.0, seed)
        off = time.time()
        waited = wait_for_quiet(stack, 600)
        # a dispatcher that crashed holds its alert's lease for DISPATCH_LEASE_S (45 s); locally a message
        # comes back after 1 s, not after the queue's visibility timeout, so its receives can run out first:
        # the redrive comes once every lease taken under faults has expired
        time.sleep(max(0.0, off + 50 - time.time()))
        before = dead_letters(stack)
        out(f"  quiet after {waited:.0f} s; dead letters before the redrive: {sum(before.values())}")
        out(f"  redrive: {redrive(stack)}")
        waited = wait_for_quiet(stack, 600)
        out(f"  quiet again after {waited:.0f} s")
        _places.update(places(stack))
        result = count(stack, sent, before)
    finally:
        code = stack.stop()
        if code not in (0, -2):
            out(f"  the local stack exited with {code}; see {work / 'stack.log'}")
    report(result, n, rate, out)
    bad = len(result.lost) or len(result.silent_leaks) or (result.duplicates - result.provider_gap)
    if len(sent) < len(types):  # an alert the API never accepted is not lost, but the run proved less
        out(f"only {len(sent)} of {len(types)} alerts were accepted (see above): the run does not count")
        bad = True
    return (1 if bad else 0), result


def places(stack: Stack) -> dict[str, tuple[str | None, str | None]]:
    """Each alert's block (Alerts table) and its sender's phone (Residents table)."""
    dynamodb = stack.aws("dynamodb")
    tables = stack.outputs["Resources"]
    phones = {
        str(i["pk"]): str(i["phone"]) for i in _scan(dynamodb, tables["ResidentsTable"]) if i.get("phone")
    }
    found: dict[str, tuple[str | None, str | None]] = {}
    for item in _scan(dynamodb, tables["AlertsTable"]):
        if item.get("sender_id") or item.get("block_id"):
            sender = item.get("sender_id")
            found[str(item["pk"])] = (item.get("block_id"), phones.get(str(sender)) if sender else None)
    return found


def report(c: Count, n: int, rate: float, out: Callable[[str], None]) -> None:
    out("faults injected (hop, kind: count):")
    for (hop, kind), times in sorted(c.faults.items()):
        out(f"  {hop:20} {kind:22} {times}")
    out(f"CAD replays answered without acting twice: {c.replays}")
    out(f"dead letters before the redrive: {sum(c.dead_before.values())} {c.dead_before or ''}")
    out(f"dead letters after the redrive: {sum(c.dead_after.values())} {c.dead_after or ''}")
    for name, items in (("lost", c.lost), ("other duplicates", c.other_duplicates), ("stuck", c.stuck),
                        ("silent leaks", c.silent_leaks)):  # fmt: skip
        out(f"{name}: {len(items)}")
        for item in items[:20]:
            out(f"  {item}")
    for phase in ("calm", "faults"):
        values = c.latency[phase]
        if values:
            label = "without" if phase == "calm" else "with"
            out(
                f"latency 202 → last delivery, {label} faults: p50 {statistics.median(values):.2f} s, "
                f"p95 {percentile(values, 0.95):.2f} s ({len(values)} alerts)"
            )
    p95 = percentile(c.latency["faults"], 0.95)
    out(
        f"chaos: {n} alerts, faults {rate * 100:.0f}%, lost {len(c.lost)}, duplicates {c.duplicates} "
        f"(provider gap {c.provider_gap}), dead letters after redrive {sum(c.dead_after.values())}, "
        f"silent leaks {len(c.silent_leaks)}, p95 {p95:.1f} s"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make chaos", description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=0.2, help="the share of calls that fail, 0 to 1")
    parser.add_argument("--seed", type=int, default=None, help="repeat a run's faults (it prints its seed)")
    parser.add_argument(
        "--work", type=Path, default=None, help="where the stack's files go (default: a temp dir)"
    )
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else secrets.randbelow(2**31)
    work = args.work or Path(tempfile.mkdtemp(prefix="vigia-chaos-"))
    code, _ = run(args.alerts, args.rate, seed, work)
    return code


if __name__ == "__main__":
    sys.exit(main())
