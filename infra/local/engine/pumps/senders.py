"""What invokes a function asynchronously, as SNS and EventBridge Scheduler do, and where its results go.

- Lambda's asynchronous invocation: retries, the OnSuccess/OnFailure destinations, the dead-letter queue.
- SNS subscriptions to a function: notifications come through a hidden queue, one SNS event each.
- Schedules (AWS::Scheduler::Schedule): the target function, on time.
- Destinations: a record sent to an SQS queue or SNS topic by its ARN.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from infra.local.engine.functions import FunctionFailed, LocalFunction
from infra.local.engine.pumps.base import Pump
from infra.local.engine.schedules import Schedule

log = logging.getLogger("local_stack.pumps")


# ==================================================================== SNS → function
def sns_record(envelope: Mapping[str, Any], subscription_arn: str) -> dict[str, Any]:
    """An SNS notification (the JSON SNS puts in a non-raw SQS message) as Lambda's SNS event record."""
    attributes = {
        name: {"Type": value.get("Type", "String"), "Value": value.get("Value")}
        for name, value in (envelope.get("MessageAttributes") or {}).items()
    }
    return {
        "EventSource": "aws:sns",
        "EventVersion": "1.0",
        "EventSubscriptionArn": subscription_arn,
        "Sns": {
            "Type": envelope.get("Type", "Notification"),
            "MessageId": envelope.get("MessageId"),
            "TopicArn": envelope.get("TopicArn"),
            "Subject": envelope.get("Subject"),
            "Message": envelope.get("Message"),
            "Timestamp": envelope.get("Timestamp"),
            "SignatureVersion": envelope.get("SignatureVersion", "1"),
            "Signature": envelope.get("Signature", "EXAMPLE"),
            "SigningCertUrl": envelope.get("SigningCertURL", ""),
            "UnsubscribeUrl": envelope.get("UnsubscribeURL", ""),
            "MessageAttributes": attributes,
        },
    }


class SnsPump(Pump):
    """SNS invokes a subscribed function asynchronously, one notification per event."""

    def __init__(
        self,
        logical_id: str,
        function: LocalFunction,
        sqs: Any,
        queue_url: str,
        subscription_arn: str,
        *,
        invoker: AsyncInvoker,
        stop: threading.Event,
    ) -> None:
        self.name = f"sns:{logical_id}"
        super().__init__(stop)
        self.function = function
        self.sqs = sqs
        self.queue_url = queue_url
        self.subscription_arn = subscription_arn
        self.invoker = invoker

    def poll_once(self) -> bool:
        answer = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        messages = answer.get("Messages") or []
        for message in messages:
            try:
                envelope = json.loads(message["Body"])
            except ValueError:
                log.error("%s: a message that is not an SNS notification was dropped", self.name)
            else:
                self.invoker.invoke(self.function, {"Records": [sns_record(envelope, self.subscription_arn)]})
            self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return bool(messages)


# ==================================================================== asynchronous invocation
@dataclass(frozen=True)
class AsyncConfig:
    """A function's AWS::Lambda::EventInvokeConfig and DeadLetterConfig (Lambda's defaults otherwise)."""

    maximum_retry_attempts: int = 2
    on_failure: str | None = None
    on_success: str | None = None
    dead_letter: str | None = None


class AsyncInvoker:
    """What Lambda does with an asynchronous invocation (SNS, EventBridge Scheduler): on a function error
    it retries MaximumRetryAttempts times, then sends the invocation record to the OnFailure destination
    and the event to the function's dead-letter queue. Locally the retries come after the local retry
    delay instead of Lambda's one and two minutes."""

    def __init__(
        self,
        configs: Mapping[str, AsyncConfig],
        send: Callable[[str, str], None],
        *,
        retry_delay_s: float,
        stop: threading.Event,
    ) -> None:
        self.configs = dict(configs)
        self.send = send
        self.retry_delay_s = retry_delay_s
        self.stop = stop

    def invoke(self, function: LocalFunction, event: Any) -> bool:
        """True when the function eventually succeeded."""
        config = self.configs.get(function.logical_id) or AsyncConfig(
            dead_letter=function.spec.dead_letter_arn
        )
        attempts = 0
        while True:
            attempts += 1
            try:
                result = function.invoke(event)
            except FunctionFailed as failure:
                if attempts <= config.maximum_retry_attempts and not self.stop.is_set():
                    self.stop.wait(self.retry_delay_s)
                    continue
                self._failed(function, config, event, attempts, failure)
                return False
            if config.on_success:
                self.send(
                    config.on_success,
                    json.dumps(async_record(function, event, attempts, "Success", response=result)),
                )
            return True

    def _failed(
        self, function: LocalFunction, config: AsyncConfig, event: Any, attempts: int, failure: FunctionFailed
    ) -> None:
        cause = failure.__cause__
        error = {
            "errorMessage": str(cause) if cause else str(failure),
            "errorType": type(cause).__name__ if cause else "Runtime.MarshalError",
        }
        if config.on_failure:
            self.send(
                config.on_failure,
                json.dumps(async_record(function, event, attempts, "RetriesExhausted", error=error)),
            )
        if config.dead_letter:
            self.send(config.dead_letter, json.dumps(event))
        where = [d for d in (config.on_failure, config.dead_letter) if d]
        log.error(
            "%s: asynchronous invocation failed %d time(s)%s",
            function.logical_id,
            attempts,
            f"; sent to {', '.join(where)}" if where else "; dropped",
        )


def async_record(
    function: LocalFunction,
    event: Any,
    attempts: int,
    condition: str,
    *,
    response: Any = None,
    error: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The invocation record Lambda sends to an asynchronous invocation's destination."""
    record: dict[str, Any] = {
        "version": "1.0",
        "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": f"{function.spec.arn}:$LATEST",
            "condition": condition,
            "approximateInvokeCount": attempts,
        },
        "requestPayload": event,
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST"},
        "responsePayload": response,
    }
    if error is not None:
        record["responseContext"]["functionError"] = "Unhandled"
        record["responsePayload"] = {**error, "stackTrace": []}
    return record


# ==================================================================== schedules
@dataclass(frozen=True)
class ScheduledTarget:
    logical_id: str
    schedule: Schedule
    function: str  # logical id
    payload: Callable[[datetime], Any]
    start: datetime | None = None
    end: datetime | None = None


class SchedulePump(Pump):
    """Invokes a schedule's target function at each firing time, asynchronously as Scheduler does."""

    def __init__(
        self,
        target: ScheduledTarget,
        function: LocalFunction,
        *,
        invoker: AsyncInvoker,
        stop: threading.Event,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.name = f"schedule:{target.logical_id}"
        super().__init__(stop)
        self.target = target
        self.function = function
        self.invoker = invoker
        self._now = now
        self.next_fire: datetime | None = None

    def poll_once(self) -> bool:
        now = self._now()
        if self.next_fire is None:
            start = max(now, self.target.start) if self.target.start else now
            self.next_fire = self.target.schedule.next_after(start)
            if self.next_fire is None:
                log.info("%s: no future firing; idle", self.name)
                self._stop.wait()
                return False
            log.debug("%s: next at %s", self.name, self.next_fire.isoformat())
        if now < self.next_fire:
            return False
        fired, self.next_fire = self.next_fire, self.target.schedule.next_after(self.next_fire)
        if self.target.end is not None and fired > self.target.end:
            return False
        if self.invoker.invoke(self.function, self.target.payload(fired)):
            log.info("%s: ran %s", self.name, self.target.function)
        return False


class Destinations:
    """Sends a record to an SQS queue or SNS topic by ARN (on-failure destinations, dead-letter queues)."""

    def __init__(self, clients: Callable[[str], Any]) -> None:
        self._clients = clients

    def send(self, arn: str, body: str) -> None:
        if ":sqs:" in arn:
            sqs = self._clients("sqs")
            url = sqs.get_queue_url(QueueName=arn.rsplit(":", 1)[1])["QueueUrl"]
            sqs.send_message(QueueUrl=url, MessageBody=body)
        elif ":sns:" in arn:
            self._clients("sns").publish(TopicArn=arn, Message=body)
        else:
            log.error("cannot deliver to %s locally (only SQS and SNS destinations are emulated)", arn)
