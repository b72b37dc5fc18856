"""The template's event source mappings as the local stack's own pumps (infra/local/engine/pumps), run on the
in-process emulator and drained synchronously: the tests and the bench deliver as the local stack does."""

from __future__ import annotations

import contextlib
import functools
import threading
from typing import Any

from infra.local.engine.functions import FunctionFailed, FunctionSpec, LocalFunction
from infra.local.engine.intrinsics import Pseudo, Resolver, resolve_parameters
from infra.local.engine.pumps import MappingSpec, Pump, SqsPump, StreamPump
from infra.local.engine.template import load_template, translate

REGION = "us-east-1"


@functools.cache
def _template() -> dict[str, Any]:
    return translate(load_template())


def _source(resource: dict[str, Any]) -> str:
    """The logical id of a mapping's queue or table (its EventSourceArn is a GetAtt of it)."""
    return str(resource["Properties"]["EventSourceArn"]["Fn::GetAtt"][0])


@functools.cache
def _all_mappings() -> dict[str, list[tuple[str, dict[str, Any], FunctionSpec]]]:
    """Per source logical id, in the template's order: each mapping's logical id, its properties and its
    function (name aside). A source may feed several functions (the Alerts stream: relay and live events)."""
    cfn = _template()
    resolver = Resolver(cfn, resolve_parameters(cfn.get("Parameters") or {}), Pseudo(stack_name="vigia-test"))
    resources = cfn["Resources"]
    found: dict[str, list[tuple[str, dict[str, Any], FunctionSpec]]] = {}
    for lid, resource in resources.items():
        if resource["Type"] != "AWS::Lambda::EventSourceMapping":
            continue
        props = dict(resource["Properties"])
        function_id = str(props.pop("FunctionName")["Ref"])
        props.pop("EventSourceArn")
        on_failure = props.pop("DestinationConfig", None)
        resolved = resolver.resolve(props)
        if on_failure:
            dlq = on_failure["OnFailure"]["Destination"]["Fn::GetAtt"][0]
            resolved["DestinationConfig"] = {"OnFailure": {"Destination": f"dlq:{dlq}"}}
        fn = resources[function_id]["Properties"]
        spec = FunctionSpec(
            logical_id=function_id,
            name=function_id,
            arn=f"arn:aws:lambda:{REGION}:123456789012:function:{function_id}",
            handler=str(fn["Handler"]),
            runtime=str(fn.get("Runtime", "")),
            timeout_s=int(fn.get("Timeout", 3)),
            memory_mb=int(fn.get("MemorySize", 128)),
            environment={},  # the stack fixture has put the functions' environment in place
        )
        found.setdefault(_source(resource), []).append((lid, resolved, spec))
    return found


def _mappings() -> dict[str, tuple[str, dict[str, Any], FunctionSpec]]:
    """Per source logical id, its first mapping in the template."""
    return {source: mappings[0] for source, mappings in _all_mappings().items()}


def _mapping(source: str, function: str | None) -> tuple[str, dict[str, Any], FunctionSpec]:
    if function is None:
        return _mappings()[source]
    return next(m for m in _all_mappings()[source] if m[2].logical_id == function)


class HandedOverTwice(LocalFunction):
    """A function whose every batch is handed over a second time (an SQS redelivery); the first answer
    counts, as the second comes after the poller has already acted on it."""

    def invoke(self, event: Any, request_id: str | None = None) -> Any:
        try:
            return super().invoke(event, request_id)
        finally:
            with contextlib.suppress(FunctionFailed):
                super().invoke(event, request_id)


def _queue_arn(stack: Any, logical_id: str) -> str:
    attributes = stack.client("sqs").get_queue_attributes(
        QueueUrl=stack.resources[logical_id], AttributeNames=["QueueArn"]
    )
    return str(attributes["Attributes"]["QueueArn"])


def queue_pump(stack: Any, queue: str, *, twice: bool = False) -> SqsPump:
    """The pump of the mapping that reads `queue` (a logical id), with failures shown again at once."""
    lid, props, function = _mappings()[queue]
    arn = _queue_arn(stack, queue)
    spec = MappingSpec.from_properties(lid, function.logical_id, {**props, "EventSourceArn": arn})
    local = (HandedOverTwice if twice else LocalFunction)(function)
    return SqsPump(
        spec, local, stack.client("sqs"), stack.resources[queue], region=REGION, retry_delay_s=0.0,
        stop=threading.Event(),
    )  # fmt: skip


def stream_pump(stack: Any, table: str = "AlertsTable", function_id: str | None = None) -> StreamPump:
    """The pump of the mapping that reads `table`'s stream (into `function_id`, or the first such mapping),
    its iterators opened now at the mapping's starting position; what it gives up on goes to the mapping's
    on-failure queue."""
    lid, props, function = _mapping(table, function_id)
    stream_arn = stack.client("dynamodb").describe_table(TableName=stack.resources[table])["Table"][
        "LatestStreamArn"
    ]
    destination = ((props.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination", "")
    if destination:
        dlq = destination.removeprefix("dlq:")
        props = {**props, "DestinationConfig": {"OnFailure": {"Destination": _queue_arn(stack, dlq)}}}
        url = stack.resources[dlq]
    spec = MappingSpec.from_properties(lid, function.logical_id, {**props, "EventSourceArn": stream_arn})

    def send_on_failure(arn: str, body: str) -> None:
        stack.client("sqs").send_message(QueueUrl=url, MessageBody=body)

    pump = StreamPump(
        spec, LocalFunction(function), stack.client("dynamodbstreams"), region=REGION, retry_delay_s=0.0,
        send_on_failure=send_on_failure, stop=threading.Event(),
    )  # fmt: skip
    pump.open()
    return pump


def queue_of(pump: Pump) -> str:
    """The queue (logical id) a pump made here reads."""
    return next(source for source, (lid, _, _) in _mappings().items() if pump.name.endswith(f":{lid}"))
