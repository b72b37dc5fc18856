"""LiveEventsTable: the live events of the last day, stored once per role that may receive each.

    pk = "ROLE#<role>", sk = event_id (sortable by time), expires_at TTL a day later.
    pk = "DLQ_DEPTH", sk = <queue>: the depth of each dead-letter queue when the publisher last looked.

Storing per role keeps the filter where publishing put it: GET /v1/events queries only the partitions of
the caller's roles, so an event no role of theirs may see is never read for them (not even skipped).
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Collection, Iterable

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from vigia.adapters.dynamodb.binding import Record, table, unbound
from vigia.live.events import LiveEvent


@table("live_events_table")
class LiveEventRecord(Record):
    Meta = unbound()
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    kind = UnicodeAttribute()
    at = UnicodeAttribute()
    alert_id = UnicodeAttribute(null=True)
    unit_id = UnicodeAttribute(null=True)
    queue = UnicodeAttribute(null=True)
    expires_at = NumberAttribute()


def _partition(role: str) -> str:
    return f"ROLE#{role}"


def store(events: Iterable[LiveEvent], *, ttl_s: int, now: float | None = None) -> int:
    """Writes each event under every role of its audience; returns the items written."""
    expires = int(time.time() if now is None else now) + ttl_s
    written = 0
    with LiveEventRecord.batch_write() as batch:
        for e in events:
            for role in sorted(e.audience):
                batch.save(
                    LiveEventRecord(
                        _partition(role),
                        e.event_id,
                        kind=e.kind,
                        at=e.at,
                        alert_id=e.alert_id,
                        unit_id=e.unit_id,
                        queue=e.queue,
                        expires_at=expires,
                    )
                )
                written += 1
    return written


@table("live_events_table")
class DepthRecord(Record):
    Meta = unbound()
    pk = UnicodeAttribute(hash_key=True, default="DLQ_DEPTH")
    sk = UnicodeAttribute(range_key=True)
    depth = NumberAttribute()


DEPTHS = "DLQ_DEPTH"


def last_depths() -> dict[str, int]:
    """Each dead-letter queue's depth when last seen (a queue never seen is absent)."""
    return {r.sk: int(r.depth) for r in DepthRecord.query(DEPTHS, consistent_read=True)}


def save_depths(depths: dict[str, int]) -> None:
    with DepthRecord.batch_write() as batch:
        for queue, depth in depths.items():
            batch.save(DepthRecord(DEPTHS, queue, depth=depth))


def _event(r: LiveEventRecord) -> LiveEvent:
    return LiveEvent(r.sk, r.kind, r.at, alert_id=r.alert_id, unit_id=r.unit_id, queue=r.queue)


def after(
    roles: Collection[str], cursor: str | None, *, limit: int, now: float | None = None
) -> list[LiveEvent]:
    """The events any of `roles` may receive after `cursor` (an event_id), oldest first, at most `limit`."""
    at = int(time.time() if now is None else now)
    streams = []
    for role in sorted(roles):
        condition = LiveEventRecord.sk > cursor if cursor else None
        streams.append(
            _event(r)
            for r in LiveEventRecord.query(
                _partition(role),
                condition,
                filter_condition=LiveEventRecord.expires_at > at,  # DynamoDB's TTL deletes late
                limit=limit,
                page_size=limit,
            )
        )
    out: list[LiveEvent] = []
    for e in heapq.merge(*streams, key=lambda e: e.event_id):
        if out and out[-1].event_id == e.event_id:  # one event seen through two roles
            continue
        out.append(e)
        if len(out) >= limit:
            break
    return out
