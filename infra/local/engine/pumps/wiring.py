"""Builds the pumps a translated template asks for: its event source mappings, the SNS subscriptions of its
functions, its schedules and its EventBridge rules on S3 uploads, each function invoked asynchronously with
its own retry and destinations."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from infra.local.engine.functions import FunctionRegistry, LocalFunction
from infra.local.engine.intrinsics import Resolver
from infra.local.engine.pumps.base import Pump
from infra.local.engine.pumps.objects import S3ObjectPump, s3_object_rule
from infra.local.engine.pumps.pollers import MappingSpec, SqsPump, StreamPump
from infra.local.engine.pumps.senders import (
    AsyncConfig,
    AsyncInvoker,
    Destinations,
    ScheduledTarget,
    SchedulePump,
    SnsPump,
)
from infra.local.engine.resources import Env
from infra.local.engine.schedules import ScheduleError, parse

log = logging.getLogger("local_stack.pumps")


@dataclass
class Wiring:
    """The pumps of a template, not yet started, and the invoker they share for asynchronous calls."""

    invoker: AsyncInvoker
    destinations: Destinations
    pumps: list[Pump] = field(default_factory=list)

    def start(self) -> None:
        for pump in self.pumps:
            pump.start()

    def join(self, timeout: float) -> None:
        for pump in self.pumps:
            pump.join(timeout)


def wire_pumps(
    cfn: Mapping[str, Any],
    resolver: Resolver,
    functions: FunctionRegistry,
    env: Env,
    *,
    retry_delay_s: float,
    stop: threading.Event,
    forget_stream_iterator: Callable[[str], None] = lambda iterator: None,
    delivery_fault: Callable[[str], str | None] = lambda function: None,
) -> Wiring:
    """One pump per enabled event source mapping, SNS subscription of a function and schedule whose
    target is one of `functions`; the rest is named in the log and left out."""
    destinations = Destinations(env.client)
    invoker = AsyncInvoker(
        async_configs(cfn, resolver, functions), destinations.send, retry_delay_s=retry_delay_s, stop=stop
    )
    wiring = Wiring(invoker, destinations)
    for lid, resource in (cfn.get("Resources") or {}).items():
        if not resolver.included(resource):
            continue
        rtype = resource.get("Type")
        props = resource.get("Properties") or {}
        pump: Pump | None = None
        if rtype == "AWS::Lambda::EventSourceMapping":
            pump = _mapping_pump(
                lid, resolver.resolve(props), functions, env, destinations, retry_delay_s, stop,
                forget_stream_iterator, delivery_fault,
            )  # fmt: skip
        elif rtype == "AWS::SNS::Subscription" and resolver.resolve(props.get("Protocol")) == "lambda":
            pump = _sns_pump(lid, resolver.resolve(props), functions, env, invoker, stop)
        elif rtype == "AWS::Scheduler::Schedule":
            pump = _schedule_pump(lid, resolver.resolve(props), functions, invoker, stop)
        elif rtype == "AWS::Events::Rule":
            wiring.pumps += _object_pumps(lid, resolver.resolve(props), functions, env, invoker, stop)
        if pump is not None:
            wiring.pumps.append(pump)
    return wiring


def async_configs(
    cfn: Mapping[str, Any], resolver: Resolver, functions: FunctionRegistry
) -> dict[str, AsyncConfig]:
    """Each function's asynchronous-invocation settings: its EventInvokeConfig and DeadLetterConfig."""
    configs = {f.logical_id: AsyncConfig(dead_letter=f.spec.dead_letter_arn) for f in functions}
    for lid, resource in (cfn.get("Resources") or {}).items():
        wanted = resource.get("Type") == "AWS::Lambda::EventInvokeConfig"
        if not wanted or not resolver.included(resource):
            continue
        props = resolver.resolve(resource.get("Properties") or {})
        function = _function(functions, lid, props.get("FunctionName"))
        if function is None:
            continue
        destinations = props.get("DestinationConfig") or {}
        configs[function.logical_id] = AsyncConfig(
            maximum_retry_attempts=int(props.get("MaximumRetryAttempts", 2)),
            on_failure=(destinations.get("OnFailure") or {}).get("Destination"),
            on_success=(destinations.get("OnSuccess") or {}).get("Destination"),
            dead_letter=function.spec.dead_letter_arn,
        )
    return configs


def _function(functions: FunctionRegistry, owner: str, arn_or_name: Any) -> LocalFunction | None:
    function = functions.find(str(arn_or_name))
    if function is None:
        log.warning("%s: target %s is not a function of this template; not pumped", owner, arn_or_name)
    return function


def _mapping_pump(
    lid: str,
    props: dict[str, Any],
    functions: FunctionRegistry,
    env: Env,
    destinations: Destinations,
    delay: float,
    stop: threading.Event,
    forget_stream_iterator: Callable[[str], None],
    delivery_fault: Callable[[str], str | None] = lambda function: None,
) -> Pump | None:
    function = _function(functions, lid, props.get("FunctionName"))
    if function is None:
        return None
    spec = MappingSpec.from_properties(lid, function.logical_id, props)
    if not spec.enabled:
        log.info("%s is disabled; not pumped", lid)
        return None
    if ":sqs:" in spec.source_arn:
        sqs = env.client("sqs")
        url = sqs.get_queue_url(QueueName=spec.source_arn.rsplit(":", 1)[1])["QueueUrl"]
        return SqsPump(
            spec, function, sqs, url, region=env.region, retry_delay_s=delay, stop=stop, fault=delivery_fault
        )
    if ":dynamodb:" in spec.source_arn and "/stream/" in spec.source_arn:
        pump = StreamPump(
            spec,
            function,
            env.client("dynamodbstreams"),
            region=env.region,
            retry_delay_s=delay,
            send_on_failure=destinations.send,
            stop=stop,
            forget_iterator=forget_stream_iterator,
        )
        pump.open()  # now: LATEST means "from the moment the stack started"
        return pump
    log.warning("%s: event source %s is not emulated locally", lid, spec.source_arn)
    return None


def _sns_pump(
    lid: str,
    props: dict[str, Any],
    functions: FunctionRegistry,
    env: Env,
    invoker: AsyncInvoker,
    stop: threading.Event,
) -> Pump | None:
    function = _function(functions, lid, props.get("Endpoint"))
    if function is None:
        return None
    sqs = env.client("sqs")
    name = env.name(f"{lid}Local", max_len=80)
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    attributes = {
        k: str(props[k]) if not isinstance(props[k], dict) else json.dumps(props[k])
        for k in ("FilterPolicy", "FilterPolicyScope")
        if k in props
    }
    subscription = env.client("sns").subscribe(
        TopicArn=props["TopicArn"],
        Protocol="sqs",
        Endpoint=env.arn("sqs", name),
        Attributes=attributes,
        ReturnSubscriptionArn=True,
    )["SubscriptionArn"]
    return SnsPump(lid, function, sqs, url, subscription, invoker=invoker, stop=stop)


def _schedule_pump(
    lid: str,
    props: dict[str, Any],
    functions: FunctionRegistry,
    invoker: AsyncInvoker,
    stop: threading.Event,
) -> Pump | None:
    if str(props.get("State", "ENABLED")).upper() == "DISABLED":
        return None
    target = props.get("Target") or {}
    function = _function(functions, lid, target.get("Arn"))
    if function is None:
        return None
    try:
        schedule = parse(str(props["ScheduleExpression"]), props.get("ScheduleExpressionTimezone"))
    except (ScheduleError, KeyError) as error:
        log.warning("%s: %s; not scheduled locally", lid, error)
        return None
    payload = _input(target.get("Input"))
    return SchedulePump(
        ScheduledTarget(
            lid,
            schedule,
            function.logical_id,
            lambda _fired: payload,
            _datetime(props.get("StartDate")),
            _datetime(props.get("EndDate")),
        ),
        function,
        invoker=invoker,
        stop=stop,
    )


def _object_pumps(
    lid: str,
    props: dict[str, Any],
    functions: FunctionRegistry,
    env: Env,
    invoker: AsyncInvoker,
    stop: threading.Event,
) -> list[Pump]:
    """An EventBridge rule on S3's Object Created events: one pump per bucket and function target (the
    emulator has no event bus; any other rule is named in the log and left out)."""
    if str(props.get("State", "ENABLED")).upper() == "DISABLED":
        return []
    matched = s3_object_rule(props.get("EventPattern") or {})
    if matched is None:
        log.warning("%s: only EventBridge rules on S3 Object Created events are emulated locally", lid)
        return []
    buckets, prefix = matched
    pumps: list[Pump] = []
    for target in props.get("Targets") or []:
        function = _function(functions, lid, target.get("Arn"))
        if function is None:
            continue
        for bucket in buckets:
            pump = S3ObjectPump(
                lid, function, env.client("s3"), bucket, prefix,
                region=env.region, account=env.account, invoker=invoker, stop=stop,
            )  # fmt: skip
            pump.prime()
            pumps.append(pump)
    return pumps


def _input(raw: Any) -> Any:
    if raw is None:
        return {}
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw


def _datetime(raw: Any) -> datetime | None:
    if not raw:
        return None
    return datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
