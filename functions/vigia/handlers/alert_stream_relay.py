"""AlertStreamRelayFunction: the Alerts table stream is the outbox; new alerts go to AlertEvents.

Silent alerts (vigia.silent) are routed apart here, at the first hop: to the Silent queue, never to
AlertEvents, so no public fan-out code ever sees them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
    DynamoDBRecord,
    DynamoDBRecordEventName,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from vigia import runtime, settings
from vigia.alerts.relaying import SILENT, relay_new_alert, silent_types
from vigia.observability import logger, metrics

# What this function reads from its environment; template.yaml gives it each one, checked at a cold
# start (a missing one fails the function before any request) and by tests/unit/test_function_settings.py
REQUIRED_SETTINGS = (
    "ALERT_EVENTS_TOPIC_ARN",
    "SILENT_QUEUE_URL",
)
settings.require_at_start(REQUIRED_SETTINGS)

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def _silent_types() -> frozenset[str]:
    """The city pack's silent type codes: a second sign beside the record's own flag."""
    try:
        return silent_types(runtime.city_pack())
    except Exception:  # an unreadable pack must not hold back every alert; the record's flags still route
        logger.warning("city pack unreadable; routing silent alerts by their record's flags")
        return frozenset()


def route(image: Mapping[str, Any]) -> str:
    """One stored alert to AlertEvents, or to the Silent queue if silent (the watchdog routes the same)."""
    return relay_new_alert(
        image,
        city_id=settings.get().city_id,
        silent_types=_silent_types(),
        publish=runtime.alert_bus(),
        announce_silent=runtime.silent_announcer(),
    )


def relay(record: DynamoDBRecord) -> None:
    # The event source's filter already passes only inserted alerts; this holds even without it.
    image = record.dynamodb.new_image if record.dynamodb else None
    if record.event_name != DynamoDBRecordEventName.INSERT or not image or image.get("sk") != "ALERT":
        return
    if route(image) == SILENT:
        logger.info("silent alert routed apart", extra={"alert_id": str(image["pk"])})
        return
    logger.info("alert relayed", extra={"alert_id": str(image["pk"]), "alert_type": str(image["type"])})


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response = process_partial_response(
        event=event, record_handler=relay, processor=processor, context=context
    )
    return dict(response)
