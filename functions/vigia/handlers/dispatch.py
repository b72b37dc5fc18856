"""DispatchFunction: the Dispatch queue (AlertCreated from AlertEvents, AlertCancelled from the API) →
the alert's protocol: delivery records written, tasks enqueued per channel, the alert marked dispatched.

A message it can never handle — not JSON, an unknown event, no alert id, an alert that does not exist, or
anything about a silent alert (the response team's, never the public dispatcher's) — is a poison message:
dead-lettered once with its reason, dropped if a redrive brings it back (vigia.handlers.poison)."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from vigia import clock, runtime, settings
from vigia.handlers.poison import Poison, guarded
from vigia.observability import logger, metrics

# What this function reads from its environment; template.yaml gives it each one, checked at a cold
# start (a missing one fails the function before any request) and by tests/unit/test_function_settings.py
REQUIRED_SETTINGS = (
    "ALERTS_TABLE",
    "RESIDENTS_TABLE",
    "DELIVERIES_TABLE",
    "SMS_QUEUE_URL",
    "SIREN_QUEUE_URL",
    "WEBHOOK_QUEUE_URL",
    "FEDERATION_QUEUE_URL",  # an alert raised in a partner city (docs/roaming.md)
)
settings.require_at_start(REQUIRED_SETTINGS)

processor = BatchProcessor(event_type=EventType.SQS)
EVENTS = ("AlertCreated", "AlertCancelled")


def _event(body: str) -> dict[str, Any]:
    try:
        event = json.loads(body)
        if isinstance(event, dict) and event.get("Type") == "Notification" and "Message" in event:
            event = json.loads(event["Message"])  # an SNS envelope (raw delivery off)
    except (TypeError, ValueError) as error:
        raise Poison(f"not a JSON event: {error}") from None
    if not isinstance(event, dict):
        raise Poison("not a JSON object")
    return event


def handle(record: SQSRecord) -> None:
    from vigia.dispatch.fanout import AlertNotFound, SilentAlertRefused, dispatch_alert, dispatch_cancellation

    event = _event(record.body)
    kind, alert_id = event.get("event_type"), str(event.get("alert_id") or "")
    if kind not in EVENTS:
        raise Poison(f"the Dispatch queue does not take {kind!r} events")
    if not alert_id:
        raise Poison(f"a {kind} event without alert_id")
    pack = runtime.city_pack()
    alert_type = pack.alert_types.get(str(event.get("type") or ""))
    if alert_type is not None and alert_type.silent:
        raise Poison(f"{kind} {alert_id}: a silent alert never reaches the public dispatcher")
    run = dispatch_alert if kind == "AlertCreated" else dispatch_cancellation
    try:
        outcome = run(
            alert_id, pack=pack, store=runtime.dispatch_store(), queues=runtime.task_queues(), now=clock.now()
        )
    except SilentAlertRefused:
        raise Poison(f"{kind} {alert_id}: a silent alert never reaches the public dispatcher") from None
    except AlertNotFound:
        raise Poison(f"{kind} {alert_id}: no such alert") from None
    for note in outcome.notes:
        logger.warning(note, extra={"alert_id": alert_id})
    logger.info(
        "alert " + outcome.result.replace("_", " "),
        extra={"alert_id": alert_id, "deliveries": outcome.counts},
    )
    if outcome.result == "dispatched":
        metrics.add_metric(name="AlertsDispatched", unit="Count", value=1)


record_handler = guarded(handle, queue="dispatch", consumer="DispatchFunction")


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> Any:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
