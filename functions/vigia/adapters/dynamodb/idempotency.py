"""IdempotencyTable: the one Idempotency-Key claim of every POST that takes one, and the senders' windows.

    pk                                   what
    alert#<user_id>#<key>                a claim of POST /v1/alerts (or its silent twin: a MAC)
    patrol#<user_id>#<what>#<key>        a claim of a patrol POST (schedules, check-ins, surveys)
    indicator-runs#<key>                 a claim of POST /v1/indicator-runs
    window#alert#<user_id>               a sender's window (vigia.alerts.submission), moved with each alert

A claim keeps the first request's hash and the resource it made, for a day (TTL `expires_at`). A claim
is taken with the write it answers for (one transaction), or alone with `claim` when there is none.
"""

from __future__ import annotations

import time

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError
from pynamodb.expressions.condition import Condition

from vigia import clock
from vigia.adapters.dynamodb.binding import Record, conditional_failed, table, unbound

CLAIM_TTL_S = 24 * 3600

Prior = tuple[str, str]  # (the first request's hash, the resource it made)


@table("idempotency_table")
class IdempotencyRecord(Record):
    """The first answer to a POST with an Idempotency-Key; expires after a day (TTL)."""

    Meta = unbound()
    pk = UnicodeAttribute(hash_key=True)
    request_hash = UnicodeAttribute()
    resource_id = UnicodeAttribute()
    created_at = UnicodeAttribute()
    expires_at = NumberAttribute()


@table("idempotency_table")
class SendingWindowRecord(Record):
    """A sender's window for one limit (pk = `window#alert#<user_id>`, or `window#silent#<MAC>`): moved by
    every accepted alert, in its transaction (vigia.alerts.submission)."""

    Meta = unbound()
    pk = UnicodeAttribute(hash_key=True)
    sent = ListAttribute(of=UnicodeAttribute)  # when the latest alerts were accepted, oldest first
    version = NumberAttribute()
    expires_at = NumberAttribute()  # TTL: gone once its newest time has left the window


def claim_record(
    key: str, request_hash: str, resource_id: str, *, at: str | None = None
) -> IdempotencyRecord:
    """The claim as a transaction puts it, on the condition `unclaimed()`."""
    return IdempotencyRecord(
        key,
        request_hash=request_hash,
        resource_id=resource_id,
        created_at=at or clock.iso(clock.now()),
        expires_at=int(time.time()) + CLAIM_TTL_S,
    )


def unclaimed() -> Condition:
    return IdempotencyRecord.pk.does_not_exist()


def prior(key: str) -> Prior | None:
    """The first request made with this key (its hash and resource), if any."""
    try:
        record = IdempotencyRecord.get(key, consistent_read=True)
    except IdempotencyRecord.DoesNotExist:
        return None
    return record.request_hash or "", record.resource_id or ""


def claim(key: str, request_hash: str, resource_id: str) -> Prior | None:
    """Claims the key for this answer (a write of its own); the earlier answer if it was claimed first."""
    try:
        claim_record(key, request_hash, resource_id).save(condition=unclaimed())
    except PutError as error:
        if conditional_failed(error):
            return prior(key)
        raise
    return None
