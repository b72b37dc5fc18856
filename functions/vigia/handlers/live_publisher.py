"""LivePublisherFunction: changes to alerts (incidents), units, deliveries and dead-letter queues become live
events for the consoles, filtered per role as they are published (vigia.live).

It reads three table streams (Alerts, Units, Deliveries; a record of another table is ignored) and, every
minute on its schedule (`{"check": "dead_letters"}`), the depth of each DLQ: SQS moves a message to its DLQ
by itself, so the depth is the one sign of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBStreamEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

from vigia import runtime, settings
from vigia.alerts.relaying import silent_types
from vigia.live import events as live
from vigia.live.publishing import publish
from vigia.observability import logger

REQUIRED_SETTINGS = (
    "ALERTS_TABLE",
    "UNITS_TABLE",
    "DELIVERIES_TABLE",
    "CONNECTIONS_TABLE",
    "LIVE_EVENTS_TABLE",
    "LIVE_SOCKET_URL",
)
settings.require_at_start(REQUIRED_SETTINGS)


def _table(arn: str) -> str:
    """arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<label> → <name>."""
    return arn.split(":table/", 1)[-1].split("/", 1)[0]


def _silent_types() -> frozenset[str]:
    try:
        return silent_types(runtime.city_pack())
    except Exception:  # the record's own flags still mark a silent alert
        logger.warning("city pack unreadable; silent alerts known by their record's flags")
        return frozenset()


def events_of(stream: DynamoDBStreamEvent, at: datetime) -> list[live.LiveEvent]:
    s = settings.get()
    found: list[live.LiveEvent | None] = []
    delivered: list[str] = []
    silent = _silent_types()
    for record in stream.records:
        change = record.dynamodb
        if change is None:
            continue
        table = _table(record.event_source_arn or "")
        new: Mapping[str, Any] | None = change.new_image or None
        old: Mapping[str, Any] | None = change.old_image or None
        keys = change.keys or {}
        if table == s.alerts_table:
            found.append(live.alert_changed(new, old, silent_types=silent, at=at))
        elif table == s.units_table and keys.get("unit_id"):
            found.append(live.unit_changed(str(keys["unit_id"]), at=at))
        elif table == s.deliveries_table and keys.get("pk"):
            delivered.append(str(keys["pk"]))
    if delivered:  # is each alert silent? one BatchGetItem; an alert not found tells no one
        known = runtime.incidents().incidents(delivered)
        for alert_id in delivered:
            incident = known.get(alert_id)
            found.append(live.delivery_changed(alert_id, silent=incident.silent if incident else None, at=at))
    return live.coalesce(found)


def dead_letter_events(at: datetime) -> list[live.LiveEvent]:
    log = runtime.live_event_log()
    depths = {d["queue"]: int(d["depth"]) for d in runtime.dlq_summary()(0)}
    found = live.dead_letters_moved(depths, log.last_depths(), at=at)
    if found:
        log.save_depths(depths)
    return found


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    at = datetime.now(UTC)
    if event.get("check") == "dead_letters":
        found = dead_letter_events(at)
    else:
        found = events_of(DynamoDBStreamEvent(event), at)
    log = runtime.live_event_log()
    connections = runtime.live_connections()
    ttl = settings.get().live_events_ttl_s
    done = publish(
        found,
        store=lambda batch: log.store(batch, ttl_s=ttl),
        connections=list(connections.open_connections()),
        post=runtime.post_to_connection(),
        forget=connections.delete,
    )
    logger.info(
        "live events published", extra={"events": done.events, "posts": done.posts, "gone": done.gone}
    )
    # a batch is one piece: published whole, or it raises and is retried whole (then the on-failure queue)
    return {"batchItemFailures": []}
