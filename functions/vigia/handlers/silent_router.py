"""SilentRouterFunction: the Silent queue → the response team (neutral SMS, maybe a Private CAP) only, and
a response team's request_police → the place to police (CAP Private, maybe a car's SMS)."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from vigia import clock, runtime, settings
from vigia.handlers.poison import guarded
from vigia.observability import logger, metrics

# What this function reads from its environment; template.yaml gives it each one, checked at a cold
# start (a missing one fails the function before any request) and by tests/unit/test_function_settings.py
REQUIRED_SETTINGS = (
    "ALERTS_TABLE",
    "DELIVERIES_TABLE",
    "AUDIT_TABLE",
    "SILENT_QUEUE_URL",
    "SMS_QUEUE_URL",
    "WEBHOOK_QUEUE_URL",
    "FEDERATION_QUEUE_URL",  # a silent alarm raised in a partner city that takes them (docs/roaming.md)
    "SEAL_KEY_ID",
)
settings.require_at_start(REQUIRED_SETTINGS)

processor = BatchProcessor(event_type=EventType.SQS)


def handle(record: SQSRecord) -> None:
    from vigia.silent.routing import EVENT_TYPE, POLICE_EVENT_TYPE, route_police_request, route_silent_alert

    event = json.loads(record.body)
    alert_id = str(event.get("alert_id") or "")
    if event.get("event_type") not in (EVENT_TYPE, POLICE_EVENT_TYPE) or not alert_id:
        raise ValueError(f"the Silent queue takes {EVENT_TYPE} and {POLICE_EVENT_TYPE} events only")
    if event["event_type"] == POLICE_EVENT_TYPE:
        asked = route_police_request(
            event,
            pack=runtime.city_pack(),
            alerts=runtime.alerts(),
            sealer=runtime.sealer(),
            ledger=runtime.dispatch_store(),
            queues=runtime.task_queues(),
            audit=runtime.audit_record(),
            now=clock.now(),
        )
        for note in asked.notes:
            logger.warning(note, extra={"alert_id": alert_id})
        logger.info("police request sent", extra={"alert_id": alert_id, "deliveries": asked.counts})
        metrics.add_metric(name="SilentPoliceRequests", unit="Count", value=1)
        return
    routed = route_silent_alert(
        alert_id,
        pack=runtime.city_pack(),
        alerts=runtime.alerts(),
        sealer=runtime.sealer(),
        ledger=runtime.dispatch_store(),
        queues=runtime.task_queues(),
        audit=runtime.audit_record(),
        now=clock.now(),
    )
    for note in routed.notes:  # notes name targets and rules, never the person
        logger.warning(note, extra={"alert_id": alert_id})
    logger.info(
        "silent alert routed to the response team", extra={"alert_id": alert_id, "deliveries": routed.counts}
    )
    metrics.add_metric(name="SilentAlertsRouted", unit="Count", value=1)


# Not JSON, not a Silent queue event, no such alert, not a silent alert: poison, dead-lettered once with
# its reason (vigia.handlers.poison). No response-team number (NoResponseTeam) is retried: the pack is fixed.
record_handler = guarded(
    handle, queue="silent", consumer="SilentRouterFunction", poison=(ValueError, LookupError)
)


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> Any:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
