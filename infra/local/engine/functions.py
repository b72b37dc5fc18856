"""The template's Lambda functions, run in-process: their environment, a fake context, one event at a time."""

from __future__ import annotations

import contextlib
import importlib
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from infra.local.engine.intrinsics import Resolver, TemplateError, as_text

log = logging.getLogger("local_stack.functions")

# The invocation this thread is running. In Lambda one process runs one function, so a logger that keeps
# the Lambda context on a module global (Powertools' inject_lambda_context) is right; here every function
# shares the process and the pumps run them at once, so that global names whichever function came last.
# Each log record instead carries its own thread's invocation (see _stamp_records), which wins.
_RUNNING: ContextVar[LambdaContext | None] = ContextVar("local_function_invocation", default=None)


class FunctionFailed(Exception):
    """The function raised, or returned something Lambda could not serialise."""


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    name: str
    arn: str
    handler: str
    runtime: str
    timeout_s: int
    memory_mb: int
    environment: Mapping[str, str]
    dead_letter_arn: str | None = None


def function_specs(cfn: Mapping[str, Any], resolver: Resolver) -> dict[str, FunctionSpec]:
    """Every AWS::Lambda::Function of the translated template, with its environment resolved locally."""
    specs: dict[str, FunctionSpec] = {}
    for logical_id, resource in (cfn.get("Resources") or {}).items():
        if resource.get("Type") != "AWS::Lambda::Function" or not resolver.included(resource):
            continue
        props = resource.get("Properties") or {}
        try:
            variables = resolver.resolve((props.get("Environment") or {}).get("Variables") or {})
        except TemplateError as error:
            raise TemplateError(f"{logical_id} environment: {error}") from error
        dead_letter = resolver.resolve((props.get("DeadLetterConfig") or {}).get("TargetArn"))
        specs[logical_id] = FunctionSpec(
            logical_id=logical_id,
            name=str(resolver.ref(logical_id)),
            arn=str(resolver.get_att(logical_id, "Arn")),
            handler=str(resolver.resolve(props.get("Handler", ""))),
            runtime=str(resolver.resolve(props.get("Runtime", ""))),
            timeout_s=int(resolver.resolve(props.get("Timeout", 3))),
            memory_mb=int(resolver.resolve(props.get("MemorySize", 128))),
            environment={str(k): as_text(v) for k, v in variables.items()},
            dead_letter_arn=str(dead_letter) if dead_letter else None,
        )
    return specs


def merged_environment(specs: Iterable[FunctionSpec]) -> dict[str, str]:
    """The union of every function's variables: they share one process, so they must agree."""
    merged: dict[str, str] = {}
    owner: dict[str, str] = {}
    conflicts = []
    for spec in specs:
        for key, value in spec.environment.items():
            if key in merged and merged[key] != value:
                conflicts.append(f"{key}: {owner[key]}={merged[key]!r} but {spec.logical_id}={value!r}")
                continue
            merged.setdefault(key, value)
            owner.setdefault(key, spec.logical_id)
    if conflicts:
        raise TemplateError(
            "functions give the same environment variable different values, which one local process "
            "cannot honour: " + "; ".join(conflicts)
        )
    return merged


class LambdaContext:
    """The parts of Lambda's context object handlers and Powertools read."""

    def __init__(self, spec: FunctionSpec, request_id: str | None = None) -> None:
        self.function_name = spec.name
        self.function_version = "$LATEST"
        self.invoked_function_arn = spec.arn
        self.memory_limit_in_mb = spec.memory_mb
        self.aws_request_id = request_id or str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{spec.name}"
        self.log_stream_name = time.strftime("%Y/%m/%d/[$LATEST]") + uuid.uuid4().hex
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + spec.timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(int((self._deadline - time.monotonic()) * 1000), 0)


def _stamp_records() -> None:
    """Installs (once) a log record factory that puts the running invocation's function on every record,
    under the keys Powertools' structured logs use; a structured formatter prints record attributes over
    its own shared keys, so each line names the function that wrote it."""
    base = logging.getLogRecordFactory()
    if getattr(base, "stamps_local_function", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = base(*args, **kwargs)
        context = _RUNNING.get()
        if context is not None:
            record.function_name = context.function_name
            record.function_arn = context.invoked_function_arn
            record.function_memory_size = context.memory_limit_in_mb
            record.function_request_id = context.aws_request_id
        return record

    factory.stamps_local_function = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


def no_scope(logical_id: str) -> AbstractContextManager[None]:
    return contextlib.nullcontext()


@dataclass
class LocalFunction:
    """One function. Invocations are serialised, as one Lambda execution environment takes one event at a
    time (and Powertools resolvers keep per-invocation state on module globals).

    `scope(logical_id)` wraps every invocation (an application's hook: naming the running function to a
    fault injector, say). A BaseException other than Ctrl-C or exit is a crash of the function, as a killed
    Lambda runtime is: the invocation failed, the event source hands its work back."""

    spec: FunctionSpec
    scope: Callable[[str], AbstractContextManager[None]] = field(default=no_scope, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _handler: Callable[[Any, Any], Any] | None = field(default=None, repr=False)

    @property
    def logical_id(self) -> str:
        return self.spec.logical_id

    def handler(self) -> Callable[[Any, Any], Any]:
        if self._handler is None:
            module_name, _, attribute = self.spec.handler.rpartition(".")
            if not module_name:
                raise TemplateError(
                    f"{self.logical_id}: handler {self.spec.handler!r} is not module.function"
                )
            self._handler = getattr(importlib.import_module(module_name), attribute)
        return self._handler

    def invoke(self, event: Any, request_id: str | None = None) -> Any:
        """Runs the function on a JSON round-trip of the event and returns its JSON-round-tripped result.

        Raises FunctionFailed when the function raises or its result is not JSON (Lambda's
        Runtime.MarshalError), after logging the traceback.
        """
        payload = json.loads(json.dumps(event))
        _stamp_records()
        with self._lock:
            context = LambdaContext(self.spec, request_id)
            started = time.monotonic()
            running = _RUNNING.set(context)
            try:
                with self.scope(self.logical_id):
                    result = self.handler()(payload, context)
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException as error:
                if isinstance(error, Exception):
                    log.exception("%s failed (request %s)", self.logical_id, context.aws_request_id)
                else:
                    log.warning("%s crashed (request %s): %s", self.logical_id, context.aws_request_id, error)
                raise FunctionFailed(f"{type(error).__name__}: {error}") from error
            finally:
                _RUNNING.reset(running)
                elapsed = time.monotonic() - started
                if elapsed > self.spec.timeout_s:
                    log.warning(
                        "%s took %.1f s, over its %d s timeout: Lambda would have stopped it",
                        self.logical_id,
                        elapsed,
                        self.spec.timeout_s,
                    )
        try:
            return json.loads(json.dumps(result))
        except (TypeError, ValueError) as error:
            log.error("%s returned a result that is not JSON: %s", self.logical_id, error)
            raise FunctionFailed(f"Runtime.MarshalError: {error}") from error


class FunctionRegistry:
    def __init__(
        self,
        specs: Mapping[str, FunctionSpec],
        scope: Callable[[str], AbstractContextManager[None]] = no_scope,
    ) -> None:
        self.functions = {lid: LocalFunction(spec, scope) for lid, spec in specs.items()}
        self._by_arn = {spec.arn: lid for lid, spec in specs.items()}
        self._by_name = {spec.name: lid for lid, spec in specs.items()}

    def __getitem__(self, logical_id: str) -> LocalFunction:
        try:
            return self.functions[logical_id]
        except KeyError:
            raise KeyError(f"no function {logical_id!r}; the template has {sorted(self.functions)}") from None

    def __iter__(self) -> Any:
        return iter(self.functions.values())

    def __len__(self) -> int:
        return len(self.functions)

    def find(self, arn_or_name: str) -> LocalFunction | None:
        """By ARN (a :qualifier is ignored), function name or logical id."""
        key = str(arn_or_name)
        if key.startswith("arn:"):
            parts = key.split(":")
            key = ":".join(parts[:7])
            lid = self._by_arn.get(key)
        else:
            lid = self._by_name.get(key) or (key if key in self.functions else None)
        return self.functions.get(lid) if lid else None
