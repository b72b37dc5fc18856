"""Faults on purpose, for the local stack's chaos runs (`make chaos`, docs/reliability.md). Off by default.

One switch turns it on: `VIGIA_FAULTS`, either a JSON object or the path of a JSON file whose `faults`
section is that object (a file is read again when it changes, so a run can turn its faults off):

    {"seed": 7, "rate": 0.2}                                     every hop below, each of its kinds, at 20 %
    {"seed": 7, "rate": 0.2, "hops": {"cad": {"rate": 0.5, "kinds": ["slow"]}}}     one hop told otherwise

Faults are injected where the real clients are (a botocore hook on every client Vigía makes, the CAD's
HTTP call, the local event-source poller), so the code under test is the code that runs in the cloud. A
*crash* is `InjectedCrash`, a BaseException: no `except Exception` in Vigía catches it, so the invocation
dies where it stood as a killed Lambda would, and its event source hands the work back.

It can never be on in a deployed stack: `enabled()` is False unless the functions talk to an emulator on
this machine (AWS_ENDPOINT_URL on localhost), and template.yaml sets no VIGIA_FAULTS (a test reads both).
The seed is printed in the stack's log: each hop draws from its own generator seeded with it, so the same
seed makes the same sequence of decisions per hop (which message meets which decision still depends on the
threads' interleaving).
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import os
import random
import secrets
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

_log = logging.getLogger(__name__)

ENV = "VIGIA_FAULTS"
LOG_ENV = "VIGIA_FAULTS_LOG"  # where each injected fault is written, one JSON line (the chaos count reads it)

# hop → the kinds of failure it can be given
HOPS: dict[str, tuple[str, ...]] = {
    "api_dynamodb_write": ("throttling", "server_error"),  # the API's writes (intake, cancel)
    "stream_relay": ("crash_before_publish", "crash_after_publish"),  # AlertStreamRelay mid-batch
    "sns_publish": ("error",),  # Publish to a topic (AlertEvents), any function
    "sqs_send": ("error",),  # SendMessage / SendMessageBatch, any function
    "sqs_receive": ("error", "duplicate", "visibility"),  # the event-source poller (the local engine)
    "dispatcher": ("crash_after_enqueue",),  # DispatchFunction: tasks enqueued, alert not yet marked
    "sms_sender": ("provider_error", "timeout", "crash_after_accept"),
    "siren_sender": ("provider_error", "timeout", "crash_after_accept"),
    "webhook_sender": ("provider_error", "timeout", "crash_after_accept"),
    "cad": ("server_error", "slow"),  # the fake provincial CAD's answers
    "kms": ("throttling",),  # sealing and opening silent alerts
}
# the kinds decided before the call but carried out after it (the provider has the message by then)
AFTER_CALL = frozenset({"crash_after_publish", "crash_after_enqueue", "crash_after_accept"})
SENDERS = {"SmsSenderFunction": "sms_sender", "SirenSenderFunction": "siren_sender"}
WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})


class InjectedCrash(BaseException):
    """The function dies here, on purpose (a BaseException: `except Exception` does not stop it)."""


class InjectedFault(Exception):
    """A provider's error or timeout, on purpose, where the caller has no client error of its own."""


@dataclass(frozen=True)
class HopPlan:
    rate: float
    kinds: tuple[str, ...]


@dataclass
class Faults:
    seed: int
    plan: dict[str, HopPlan]
    log_path: Path | None = None
    injected: Counter[tuple[str, str]] = field(default_factory=Counter)
    _generators: dict[str, random.Random] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def decide(self, hop: str, **detail: Any) -> str | None:
        """The kind of failure this call of `hop` meets, or None; each one is counted and logged."""
        plan = self.plan.get(hop)
        if plan is None or plan.rate <= 0 or not plan.kinds:
            return None
        with self._lock:
            generator = self._generators.setdefault(hop, random.Random(f"{self.seed}:{hop}"))
            if generator.random() >= plan.rate:
                return None
            kind = plan.kinds[generator.randrange(len(plan.kinds))]
            self.injected[(hop, kind)] += 1
            if self.log_path is not None:
                line = json.dumps({"hop": hop, "kind": kind, "time": time.time(), **detail}, default=str)
                with self.log_path.open("a", encoding="utf-8") as handle:
                    handle.write(line + "\n")
        return kind


def parse(spec: Mapping[str, Any], *, log_path: Path | None = None) -> Faults:
    """The plan a `faults` object describes; raises ValueError naming what is wrong."""
    unknown = set(spec) - {"seed", "rate", "hops", "enabled"}
    if unknown:
        raise ValueError(f"faults: unknown key(s) {sorted(unknown)}; known: seed, rate, hops, enabled")
    seed = spec.get("seed")
    seed = int(seed) if seed is not None else secrets.randbelow(2**31)
    rate = _rate(spec.get("rate", 0.0), "rate")
    if spec.get("enabled") is False:
        rate = 0.0
    hops = spec.get("hops") or {}
    if not isinstance(hops, Mapping):
        raise ValueError("faults.hops must be an object of hop → {rate, kinds}")
    for hop in hops:
        if hop not in HOPS:
            raise ValueError(f"faults.hops: unknown hop {hop!r}; known: {', '.join(HOPS)}")
    plan = {}
    for hop, kinds in HOPS.items():
        own = hops.get(hop) or {}
        wanted = tuple(own.get("kinds") or kinds)
        wrong = [k for k in wanted if k not in kinds]
        if wrong:
            raise ValueError(f"faults.hops.{hop}.kinds: {wrong} not among {list(kinds)}")
        hop_rate = 0.0 if spec.get("enabled") is False else _rate(own.get("rate", rate), f"hops.{hop}.rate")
        plan[hop] = HopPlan(hop_rate, wanted)
    return Faults(seed=seed, plan=plan, log_path=log_path)


def _rate(value: Any, name: str) -> float:
    try:
        rate = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"faults.{name} must be a number between 0 and 1, not {value!r}") from None
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"faults.{name} must be between 0 and 1, not {rate}")
    return rate


def local_endpoint(endpoint_url: str | None) -> bool:
    """True only for an emulator on this machine: the one place faults may be turned on."""
    if not endpoint_url:
        return False
    return (urlparse(endpoint_url).hostname or "") in ("127.0.0.1", "localhost", "::1")


def enabled(environ: Mapping[str, str] | None = None) -> bool:
    """VIGIA_FAULTS is set and the functions run against a local emulator (never a deployed stack)."""
    env = os.environ if environ is None else environ
    if not env.get(ENV):
        return False
    if not local_endpoint(env.get("AWS_ENDPOINT_URL")) or "AWS_EXECUTION_ENV" in env:
        _log.error("VIGIA_FAULTS is set outside a local stack: ignored (faults are for the emulator only)")
        return False
    return True


_state: dict[str, Any] = {"faults": None, "source": None, "stamp": None, "checked": 0.0}
_state_lock = threading.Lock()


def active() -> Faults | None:
    """The faults in force now, or None (the common case: one environment lookup)."""
    if not os.environ.get(ENV) or not enabled():
        return None
    raw = os.environ[ENV]
    with _state_lock:
        now = time.monotonic()
        if _state["source"] == raw and (not _is_file(raw) or now - _state["checked"] < 0.5):
            return _state["faults"]  # type: ignore[no-any-return]
        _state["checked"] = now
        try:
            stamp = Path(raw).stat().st_mtime_ns if _is_file(raw) else None
        except OSError as error:
            _log.warning("VIGIA_FAULTS names no readable file (%s); the faults in force stay", error)
            return _state["faults"]  # type: ignore[no-any-return]
        if _state["source"] == raw and _state["stamp"] == stamp:
            return _state["faults"]  # type: ignore[no-any-return]
        try:
            if stamp is not None:  # a file: its `faults` section
                spec = json.loads(Path(raw).read_text(encoding="utf-8")).get("faults", {})
            else:
                spec = json.loads(raw)
        except (OSError, ValueError) as error:  # half written: the plan in force stays until it reads whole
            _log.warning("VIGIA_FAULTS could not be read (%s); the faults in force stay", error)
            return _state["faults"]  # type: ignore[no-any-return]
        log_path = Path(os.environ[LOG_ENV]) if os.environ.get(LOG_ENV) else None
        previous: Faults | None = _state["faults"]
        faults = parse(spec, log_path=log_path)
        if previous is not None:
            faults.injected = previous.injected  # the counts run on over a change of plan
        _state.update(faults=faults, source=raw, stamp=stamp)
    rates = {hop: p.rate for hop, p in faults.plan.items() if p.rate}
    _log.warning("faults injected on purpose: seed %d, rates %s", faults.seed, rates or "none (off)")
    print(f"VIGIA_FAULTS: seed {faults.seed}, rates {rates or 'none (off)'}", flush=True)
    return faults


def _is_file(raw: str) -> bool:
    return not raw.lstrip().startswith("{")


def reset() -> None:
    with _state_lock:
        _state.update(faults=None, source=None, stamp=None, checked=0.0)


# ------------------------------------------------------------------ which function is running
_function: contextvars.ContextVar[str | None] = contextvars.ContextVar("vigia_faults_function", default=None)


@contextlib.contextmanager
def running(logical_id: str) -> Iterator[None]:
    """The local engine runs every function in one process: it names the one this thread runs."""
    token = _function.set(logical_id)
    try:
        yield
    finally:
        _function.reset(token)


def current_function() -> str | None:
    return _function.get()


# ------------------------------------------------------------------ the hops
def hop_of(function: str | None, service: str, operation: str, params: Mapping[str, Any]) -> str | None:
    """Which hop an AWS call is, from the function making it and what it calls."""
    if service == "dynamodb" and operation in WRITES and function == "ApiFunction":
        return "api_dynamodb_write"
    if service == "kms":
        return "kms"
    if service == "pinpoint-sms-voice-v2" and operation == "SendTextMessage":
        return "sms_sender"
    if service == "iot-data" and operation == "Publish":
        return "siren_sender"
    if service == "sns" and operation in ("Publish", "PublishBatch"):
        if params.get("PhoneNumber"):
            return "sms_sender"
        return "stream_relay" if function == "AlertStreamRelayFunction" else "sns_publish"
    if service == "sqs" and operation in ("SendMessage", "SendMessageBatch"):
        return "sqs_send"
    return None


def before_call(model: Any, params: Mapping[str, Any], context: dict[str, Any], **_: Any) -> None:
    """botocore's before-parameter-build: raise the error decided for this call, or remember a crash for
    after it (the context is the one after-call is given)."""
    faults = active()
    if faults is None:
        return
    service, operation = model.service_model.service_name, model.name
    function = current_function()
    hop = hop_of(function, service, operation, params)
    if hop is None:
        return
    if function == "DispatchFunction" and operation == "SendMessageBatch":
        kind = faults.decide("dispatcher", function=function, call=f"{service}.{operation}")
        if kind is not None:  # the tasks are enqueued; the alert is never marked dispatched
            context["vigia_fault"] = ("dispatcher", kind)
            return
    kind = faults.decide(hop, function=function, call=f"{service}.{operation}", **_named(params))
    if kind is None:
        return
    if kind in AFTER_CALL:
        context["vigia_fault"] = (hop, kind)
        return
    if kind == "crash_before_publish":
        raise InjectedCrash(f"{hop}: {kind} ({function}, {service}.{operation})")
    if kind == "timeout":
        from botocore.exceptions import ConnectTimeoutError

        raise ConnectTimeoutError(endpoint_url=f"{service} (fault injected: {hop} timeout)")
    raise _client_error(service, operation, hop, kind)


def _named(params: Mapping[str, Any]) -> dict[str, str]:
    """The delivery a provider call carries, for the faults log: a siren command's `command_id`, an End User
    Messaging SMS's Context (what left before a crash is counted from it)."""
    named = (params.get("Context") or {}).get("vigia_delivery")
    if not named and params.get("payload"):
        try:
            named = json.loads(params["payload"]).get("command_id")
        except (TypeError, ValueError, AttributeError):
            named = None
    return {"delivery": str(named)} if named else {}


def after_call(context: Mapping[str, Any], **_: Any) -> None:
    """botocore's after-call: the provider has the message; the function dies before it can say so."""
    decided = context.get("vigia_fault")
    if decided:
        hop, kind = decided
        raise InjectedCrash(f"{hop}: {kind} ({current_function()})")


def _client_error(service: str, operation: str, hop: str, kind: str) -> Exception:
    from botocore.exceptions import ClientError

    code, status = {
        ("dynamodb", "throttling"): ("ProvisionedThroughputExceededException", 400),
        ("dynamodb", "server_error"): ("InternalServerError", 500),
        ("kms", "throttling"): ("ThrottlingException", 400),
        ("pinpoint-sms-voice-v2", "provider_error"): ("InternalServerException", 500),
    }.get((service, kind), ("InternalError" if kind != "throttling" else "Throttling", 500))
    message = f"fault injected on purpose: {hop} {kind}"
    return ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}},
        operation,
    )


def instrument(events: Any) -> None:
    """Registers the hooks on a botocore client's or session's event system (only when faults are on)."""
    if enabled():
        # before-parameter-build, not before-call: only it is given the call's own parameters (before-call
        # gets the serialised request, where an SMS's PhoneNumber is no key of its own)
        events.register("before-parameter-build", before_call, unique_id="vigia-faults-before")
        events.register("after-call", after_call, unique_id="vigia-faults-after")


def at(hop: str, **detail: Any) -> str | None:
    """A hop outside botocore (the CAD's HTTP call, the event-source poller): the kind it meets, or None."""
    faults = active()
    return None if faults is None else faults.decide(hop, **detail)
