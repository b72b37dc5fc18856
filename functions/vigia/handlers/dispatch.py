"""DispatchFunction: the Dispatch queue (AlertCreated from AlertEvents, AlertCancelled from the API) →
the alert's protocol: delivery records written, tasks enqueued per channel, the alert marked dispatched."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from vigia import clock, runtime
from vigia.observability import logger, metrics

processor = BatchProcessor(event_type=EventType.SQS)


def _event(body: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads(body)
    if event.get("Type") == "Notification" and "Message" in event:  # an SNS envelope (raw delivery off)
        event = json.loads(event["Message"])
    return event


def handle(record: SQSRecord) -> None:
    from vigia.adapters.deliveries import DynamoDispatchStore
    from vigia.adapters.task_queues import SqsTaskQueues
    from vigia.dispatch.fanout import dispatch_alert, dispatch_cancellation

    event = _event(record.body)
    kind, alert_id = event.get("event_type"), str(event.get("alert_id") or "")
    if not alert_id:
        raise ValueError(f"a {kind} event without alert_id")
    run = {"AlertCreated": dispatch_alert, "AlertCancelled": dispatch_cancellation}.get(str(kind))
    if run is None:
        raise ValueError(f"the Dispatch queue does not take {kind} events")
    outcome = run(
        alert_id,
        pack=runtime.city_pack(),
        store=DynamoDispatchStore(),
        queues=SqsTaskQueues(),
        now=clock.now(),
    )
    for note in outcome.notes:
        logger.warning(note, extra={"alert_id": alert_id})
    logger.info(
        "alert " + outcome.result.replace("_", " "),
        extra={"alert_id": alert_id, "deliveries": outcome.counts},
    )
    if outcome.result == "dispatched":
        metrics.add_metric(name="AlertsDispatched", unit="Count", value=1)


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> Any:
    return process_partial_response(event=event, record_handler=handle, processor=processor, context=context)
