"""`make run-pair`: two local stacks side by side, Godoy Cruz and Peñalolén, federated with each other.

    python -m infra.local.pair

Each city is a whole `python -m infra.local.run` of its own (its emulator, API and WebSocket ports, its
files under `.local/<city>/`), started in its own process: two cities cannot share one, since the functions
run in-process and read one environment. As soon as both publish their keys (`GET /v1/federation/keys`,
their `FederationSigningKey` in their own emulators), each one's public key is written into the OTHER's
agreement — the committed `infra/cities/<city>/federation.json` with the partner's key and endpoint filled in
(`fill_partner_keys`) — at `.local/<city>/federation.json`, which that stack's functions read
(`VIGIA_FEDERATION_AGREEMENT` → `FEDERATION_AGREEMENT_PATH`, `FEDERATION_LOCAL_PAIR=1`) once, on their first
federation call. A stack of the pair waits for its agreement before it is ready (writes outputs.json), so
no call ever finds it missing. One Ctrl-C (or SIGTERM) stops both and exits 0 (docs/local-stack.md).
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger("local_pair")

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "schemas" / "federation.schema.json"
# Ports as the committed agreements name them: Godoy Cruz's API on 3000, Peñalolén's on 3100.
DEFAULT_PORTS: dict[str, tuple[int, int, int]] = {
    "godoy-cruz": (4566, 3000, 3001),
    "penalolen": (4666, 3100, 3101),
}
KEYS_PATH = "/v1/federation/keys"
MESSAGES_PATH = "/v1/federation/messages"
STOP_TIMEOUT_S = 30.0
# variables each member is given its own value of; anything else VIGIA_* is passed to both
MEMBER_SETTINGS = (
    "VIGIA_CITY",
    "VIGIA_LOCAL_DIR",
    "VIGIA_AWS_PORT",
    "VIGIA_API_PORT",
    "VIGIA_WS_PORT",
    "VIGIA_STACK_NAME",
    "VIGIA_FEDERATION_AGREEMENT",
)


class PairError(RuntimeError):
    """The pair could not start (a member exited, no signing key, an agreement that does not load)."""


@dataclass(frozen=True)
class Member:
    """One city of the pair: its ports and its folder."""

    city: str
    aws_port: int
    api_port: int
    ws_port: int
    local_dir: Path

    @property
    def agreement_path(self) -> Path:
        return self.local_dir / "federation.json"

    @property
    def log_path(self) -> Path:
        return self.local_dir / "stack.log"

    def environment(self, base: Mapping[str, str]) -> dict[str, str]:
        env = {k: v for k, v in base.items() if k not in MEMBER_SETTINGS}
        env.update(
            {
                "VIGIA_CITY": self.city,
                "VIGIA_LOCAL_DIR": str(self.local_dir),
                "VIGIA_AWS_PORT": str(self.aws_port),
                "VIGIA_API_PORT": str(self.api_port),
                "VIGIA_WS_PORT": str(self.ws_port),
                "VIGIA_FEDERATION_AGREEMENT": str(self.agreement_path),
            }
        )
        return env


def parse_ports(text: str) -> dict[str, tuple[int, int, int]]:
    """`godoy-cruz=4566,3000,3001 penalolen=4666,3100,3101`: emulator, API, WebSocket (tests: free ports)."""
    ports = dict(DEFAULT_PORTS)
    for item in text.split():
        city, sep, numbers = item.partition("=")
        parts = numbers.split(",")
        if not sep or city not in DEFAULT_PORTS or len(parts) != 3 or not all(p.isdigit() for p in parts):
            raise PairError(
                f"VIGIA_PAIR_PORTS: {item!r} is not <city>=<aws>,<api>,<ws> for one of {list(DEFAULT_PORTS)}"
            )
        ports[city] = (int(parts[0]), int(parts[1]), int(parts[2]))
    return ports


def members(environ: Mapping[str, str]) -> list[Member]:
    """The pair from VIGIA_LOCAL_DIR (the folder holding `<city>/`, default .local) and VIGIA_PAIR_PORTS."""
    root = Path(environ.get("VIGIA_LOCAL_DIR") or ROOT / ".local").resolve()
    ports = parse_ports(environ.get("VIGIA_PAIR_PORTS", ""))
    return [Member(city, *ports[city], local_dir=root / city) for city in DEFAULT_PORTS]


def partner_deadline(environ: Mapping[str, str]) -> int | None:
    """VIGIA_PAIR_DEADLINE_S: the partner's `deadline_s` in both agreement copies (the committed 60 s
    otherwise), so a fallback can be watched in seconds (tests); the schema's bounds hold (5 to 3600)."""
    text = environ.get("VIGIA_PAIR_DEADLINE_S", "").strip()
    if not text:
        return None
    if not text.isdigit() or not 5 <= int(text) <= 3600:
        raise PairError(f"VIGIA_PAIR_DEADLINE_S: {text!r} is not a whole number of seconds from 5 to 3600")
    return int(text)


# ==================================================================== keys and agreements
def published_keys(member: Member) -> list[dict[str, str]] | None:
    """What a partner puts in its agreement: the stack's `GET /v1/federation/keys` (its FederationSigningKey's
    public JWK, `kid` its RFC 7638 thumbprint), read as a partner city would; None while its API is not up.
    The key exists before the API answers (resources come first), so a first answer without one is final."""
    import requests

    url = f"http://127.0.0.1:{member.api_port}{KEYS_PATH}"
    try:
        answer = requests.get(url, timeout=30)
    except requests.ConnectionError:
        return None
    keys = answer.json().get("keys") if answer.status_code == 200 else None
    if not isinstance(keys, list) or not keys:
        raise PairError(
            f"the {member.city} stack published no signing key: GET {url} gave {answer.status_code}"
        )
    return [dict(k) for k in keys]


def pair_agreement(
    city: str,
    partner: str,
    partner_keys: Sequence[Mapping[str, str]],
    partner_api: str,
    *,
    deadline_s: int | None = None,
) -> dict[str, Any]:
    """The committed agreement of `city` with its partner's public keys and endpoint (and, if given, its
    deadline), checked as the functions will load it (AgreementError names every problem)."""
    import tempfile

    from vigia.federation.agreement import fill_partner_keys, load_agreement

    committed = json.loads((ROOT / "infra" / "cities" / city / "federation.json").read_text(encoding="utf-8"))
    filled = fill_partner_keys(
        committed, {partner: list(partner_keys)}, endpoints={partner: partner_api.rstrip("/") + MESSAGES_PATH}
    )
    if deadline_s is not None:
        for listed in filled["partners"]:
            listed["deadline_s"] = deadline_s
    with tempfile.TemporaryDirectory() as scratch:
        probe = Path(scratch) / "federation.json"
        probe.write_text(json.dumps(filled), encoding="utf-8")
        load_agreement(probe, SCHEMA, city_id=city, local_pair=True)
    return filled


def write_atomically(path: Path, document: Mapping[str, Any]) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(partial, path)


def federate(
    pair: Sequence[Member],
    processes: Mapping[str, subprocess.Popen[bytes]],
    *,
    deadline_s: int | None = None,
) -> dict[str, list[dict[str, str]]]:
    """Waits for each member to publish its key, then writes each one's agreement with the other's keys and
    endpoint; returns each city's own keys. The members wait for their agreement before they are ready."""
    keys: dict[str, list[dict[str, str]]] = {}
    while len(keys) < len(pair):
        for member in pair:
            if member.city not in keys:
                exited(member, processes[member.city])
                published = published_keys(member)
                if published is not None:
                    keys[member.city] = published
        time.sleep(0.1)
    for member in pair:
        (partner,) = [m for m in pair if m.city != member.city]
        api = f"http://127.0.0.1:{partner.api_port}"
        agreement = pair_agreement(member.city, partner.city, keys[partner.city], api, deadline_s=deadline_s)
        write_atomically(member.agreement_path, agreement)
    return keys


# ==================================================================== the members' processes
def _stay_with_parent() -> None:
    """In the child, before exec: its own session (a terminal's Ctrl-C reaches the launcher only, which
    stops each member once) and, on Linux, SIGTERM when the launcher dies, so no member outlives it."""
    os.setsid()
    if sys.platform == "linux":
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def launch(member: Member, base: Mapping[str, str]) -> subprocess.Popen[bytes]:
    member.local_dir.mkdir(parents=True, exist_ok=True)
    member.agreement_path.unlink(missing_ok=True)  # the last run's keys are not this run's
    (member.local_dir / "outputs.json").unlink(missing_ok=True)
    with member.log_path.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "infra.local.run"],
            cwd=ROOT,
            env=member.environment(base),
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=_stay_with_parent,  # the launcher has no threads: preexec_fn is safe
        )


def tail(path: Path, lines: int = 30) -> str:
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def exited(member: Member, process: subprocess.Popen[bytes]) -> None:
    """PairError if the member's process has ended (with the end of its log)."""
    if process.poll() is not None:
        raise PairError(
            f"the {member.city} stack exited with {process.returncode} ({member.log_path}):\n"
            + tail(member.log_path)
        )


def wait_ready(pair: Sequence[Member], processes: Mapping[str, subprocess.Popen[bytes]]) -> dict[str, Any]:
    """Each member's outputs.json once it has written it; PairError if a member exits first."""
    outputs: dict[str, Any] = {}
    while len(outputs) < len(pair):
        for member in pair:
            if member.city in outputs:
                continue
            path = member.local_dir / "outputs.json"
            if path.exists():
                outputs[member.city] = json.loads(path.read_text())
            else:
                exited(member, processes[member.city])
        time.sleep(0.1)
    return outputs


def stop(processes: Mapping[str, subprocess.Popen[bytes]]) -> int:
    """Ctrl-C to each member still running, as `make run` takes it; 0 if every one stopped with 0."""
    for process in processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
    code = 0
    for city, process in processes.items():
        try:
            process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            log.error("the %s stack did not stop within %.0f s: killed", city, STOP_TIMEOUT_S)
            process.kill()
            process.wait()
        if process.returncode != 0:
            log.error("the %s stack exited with %s", city, process.returncode)
            code = 1
    return code


# ==================================================================== banner
def banner(
    pair: Sequence[Member],
    outputs: Mapping[str, Mapping[str, Any]],
    keys: Mapping[str, Sequence[Mapping[str, str]]],
    seconds: float,
) -> str:
    from infra.local.run import credentials

    names = [str(outputs[m.city].get("CityName") or m.city) for m in pair]
    lines = [
        "",
        f"Vigía local pair ready in {seconds:.1f} s — {' and '.join(names)}, federated with each other",
    ]
    for member in pair:
        out = outputs[member.city]
        (partner,) = [m for m in pair if m.city != member.city]
        lines += [
            f"  {out.get('CityName') or member.city} ({member.city})",
            f"    Console        {out.get('ConsoleUrl')}",
            f"    App            {out['ApiUrl']}/app/",
            f"    API            {out['ApiUrl']}  (federation: {out['ApiUrl']}{MESSAGES_PATH})",
            f"    AWS emulator   {out['AwsEndpointUrl']}",
            f"    signing key    kid {', '.join(k.get('kid', '?') for k in keys[member.city])}",
            f"    agreement      {member.agreement_path}  (with {partner.city}'s public key)",
            f"    files          {member.local_dir}/  (outputs.json, outbox.jsonl, stack.log)",
        ]
        users = out.get("DemoUsers") or {}
        shown = [(role, credentials(users[role])) for role in ("operator", "citizen") if role in users]
        for role, pair_ in shown:
            if pair_:
                lines.append(f"    {role:<14} {pair_[0]} / {pair_[1]}")
    lines += [
        "  Tools on one city: VIGIA_LOCAL_DIR=.local/<city> make token ROLE=operator (and the other tools)",
        "Ctrl-C stops both.",
        "",
    ]
    return "\n".join(lines)


# ==================================================================== main
def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def run(environ: Mapping[str, str] | None = None) -> int:
    """Starts both members, federates them, prints the banner and waits for Ctrl-C; the exit code."""
    started = time.monotonic()
    env = dict(os.environ if environ is None else environ)
    logging.basicConfig(
        level=env.get("VIGIA_LOCAL_LOG_LEVEL", "INFO").upper(),
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
        stream=sys.stderr,
    )
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    processes: dict[str, subprocess.Popen[bytes]] = {}
    code = 0
    try:
        pair = members(env)
        deadline_s = partner_deadline(env)
        summary_path = pair[0].local_dir.parent / "pair.json"
        summary_path.unlink(missing_ok=True)  # whoever waits for it must not read the last run's
        for member in pair:
            processes[member.city] = launch(member, env)
            log.info("starting %s (logs: %s)", member.city, member.log_path)
        keys = federate(pair, processes, deadline_s=deadline_s)
        outputs = wait_ready(pair, processes)
        seconds = time.monotonic() - started
        summary = {
            "StartSeconds": round(seconds, 1),
            "Cities": {
                m.city: {
                    "LocalDir": str(m.local_dir),
                    "Pid": processes[m.city].pid,
                    "ApiUrl": outputs[m.city]["ApiUrl"],
                    "ConsoleUrl": outputs[m.city].get("ConsoleUrl"),
                    "AppUrl": f"{outputs[m.city]['ApiUrl']}/app/",
                    "AwsEndpointUrl": outputs[m.city]["AwsEndpointUrl"],
                    "FederationAgreementPath": str(m.agreement_path),
                    "FederationKeys": keys[m.city],
                }
                for m in pair
            },
        }
        write_atomically(summary_path, summary)
        print(banner(pair, outputs, keys, seconds), flush=True)
        while True:
            for city, process in processes.items():
                if process.poll() is not None:
                    raise PairError(f"the {city} stack exited with {process.returncode}")
            time.sleep(1)
    except KeyboardInterrupt:
        log.info("stopping both")
    except PairError as error:
        log.error("the local pair stops: %s", error)
        code = 1
    except Exception:
        log.exception("the local pair failed")
        code = 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stopped = stop(processes)
        code = code or stopped
        log.info("stopped")
    return code


if __name__ == "__main__":
    sys.exit(run())
