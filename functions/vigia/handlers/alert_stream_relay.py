"""AlertStreamRelayFunction: the Alerts table stream is the outbox; new alerts go to AlertEvents.

Silent alerts (vigia.silent) are routed apart here, at the first hop: to the Silent queue, never to
AlertEvents, so no public fan-out code ever sees them.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
    DynamoDBRecord,
    DynamoDBRecordEventName,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from vigia import runtime, settings
from vigia.adapters import events as event_bus
from vigia.adapters import silent_queue
from vigia.alerts.events import alert_created, routing_attributes
from vigia.observability import logger, metrics
from vigia.silent.routing import is_silent, silent_alert_created

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def _silent_types() -> frozenset[str]:
    """The city pack's silent type codes: a second sign beside the record's own flag."""
    try:
        return frozenset(code for code, t in runtime.city_pack().alert_types.items() if t.silent)
    except Exception:  # an unreadable pack must not hold back every alert; the record's flags still route
        logger.warning("city pack unreadable; routing silent alerts by their record's flags")
        return frozenset()


def relay(record: DynamoDBRecord) -> None:
    # The event source's filter already passes only inserted alerts; this holds even without it.
    image = record.dynamodb.new_image if record.dynamodb else None
    if record.event_name != DynamoDBRecordEventName.INSERT or not image or image.get("sk") != "ALERT":
        return
    s = settings.get()
    if is_silent(image, _silent_types()):
        silent_queue.announce(silent_alert_created(image, city_id=s.city_id))
        logger.info("silent alert routed apart", extra={"alert_id": str(image["pk"])})
        return
    event = alert_created(image, city_id=s.city_id)
    event_bus.publish(s.alert_events_topic_arn, event, routing_attributes(event))
    logger.info("alert relayed", extra={"alert_id": event["alert_id"], "alert_type": event["type"]})


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response = process_partial_response(
        event=event, record_handler=relay, processor=processor, context=context
    )
    return dict(response)
