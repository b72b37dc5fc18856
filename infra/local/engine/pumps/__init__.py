"""Pumps: what Lambda's pollers, SNS and EventBridge Scheduler do in the cloud, run on daemon threads.

`base` is the pump and its synchronous `drain()`; `pollers` read event source mappings (SQS queues,
DynamoDB streams); `senders` invoke asynchronously (SNS subscriptions, schedules, retries, destinations);
`wiring` builds them all from the translated template.
"""

from infra.local.engine.pumps.base import IDLE_POLL_S, Delivered, Pump, drain_all
from infra.local.engine.pumps.pollers import (
    MappingSpec,
    SqsPump,
    StreamPump,
    failed_identifiers,
    on_failure_record,
    sqs_record,
)
from infra.local.engine.pumps.senders import (
    AsyncConfig,
    AsyncInvoker,
    Destinations,
    ScheduledTarget,
    SchedulePump,
    SnsPump,
    async_record,
    sns_record,
)
from infra.local.engine.pumps.wiring import Wiring, async_configs, wire_pumps

__all__ = [
    "IDLE_POLL_S",
    "AsyncConfig",
    "AsyncInvoker",
    "Delivered",
    "Destinations",
    "MappingSpec",
    "Pump",
    "SchedulePump",
    "ScheduledTarget",
    "SnsPump",
    "SqsPump",
    "StreamPump",
    "Wiring",
    "async_configs",
    "async_record",
    "drain_all",
    "failed_identifiers",
    "on_failure_record",
    "sns_record",
    "sqs_record",
    "wire_pumps",
]
