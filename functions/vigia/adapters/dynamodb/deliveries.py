"""DeliveriesTable: one record per (alert, channel, recipient), written with conditions: the dispatcher's,
the senders' and the lifecycle's ledger of what was queued, claimed, sent or withdrawn.

    pk = alert_id, sk = "<kind>#<channel>#<recipient>". No message body: it travels in the task.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from vigia.adapters.aws import client
from vigia.adapters.dynamodb.binding import (
    Record,
    conditional_failed,
    connection,
    reasons,
    table,
    table_name,
    unbound,
)
from vigia.dispatch import sending
from vigia.dispatch.fanout import RecordedDelivery
from vigia.dispatch.masking import DeliveryLog
from vigia.dispatch.protocol import Delivery
from vigia.indicators.facts import DeliveryCounts, delivery_counts

_log = logging.getLogger(__name__)
TRANSACTION_ITEMS = 100  # DynamoDB's TransactWriteItems limit


@table("deliveries_table")
class DeliveryRecord(Record):
    Meta = unbound()
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    kind = UnicodeAttribute()
    channel = UnicodeAttribute()
    target = UnicodeAttribute()
    recipient = UnicodeAttribute()
    locale = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    attempts = NumberAttribute(default=0)
    last_error = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    sent_at = UnicodeAttribute(null=True)
    provider_id = UnicodeAttribute(null=True)
    lease_until = NumberAttribute(null=True)
    sending_attempt = NumberAttribute(null=True)  # the `attempts` of the claim that set `sending`
    uncertain = NumberAttribute(null=True)  # claims that took over an expired lease: outcome unknown


def queued_record(delivery: Delivery, at: str) -> DeliveryRecord:
    """A delivery's record, queued: the sender's ledger claims it from here (dispatch and the lifecycle)."""
    return DeliveryRecord(
        delivery.alert_id,
        delivery.key,
        kind=delivery.kind,
        channel=delivery.channel,
        target=delivery.target,
        recipient=delivery.recipient,
        locale=delivery.locale,
        status=sending.QUEUED,
        attempts=0,
        created_at=at,
        updated_at=at,
    )


def record(deliveries: Sequence[Delivery], *, at: str, fresh: bool = False) -> None:
    """Queues the deliveries, keeping any that exist (a repeat of the same alert's fan-out)."""
    if fresh:  # under the alert's first lease nothing can exist yet: 25 puts a call (BatchWriteItem)
        with DeliveryRecord.batch_write() as batch:
            for delivery in deliveries:
                batch.save(queued_record(delivery, at))
        return
    for start in range(0, len(deliveries), TRANSACTION_ITEMS):
        chunk = deliveries[start : start + TRANSACTION_ITEMS]
        try:
            with TransactWrite(connection=connection()) as tx:
                for delivery in chunk:
                    tx.save(queued_record(delivery, at), condition=DeliveryRecord.pk.does_not_exist())
        except TransactWriteError as error:
            if "ConditionalCheckFailed" not in reasons(error):
                raise
            _record_one_by_one(chunk, at)  # a repeat: keep what exists, add what is missing


def _record_one_by_one(deliveries: Sequence[Delivery], at: str) -> None:
    for delivery in deliveries:
        try:
            queued_record(delivery, at).save(condition=DeliveryRecord.pk.does_not_exist())
        except PutError as error:
            if not conditional_failed(error):
                raise


def recorded(alert_id: str) -> list[RecordedDelivery]:
    return [
        RecordedDelivery(r.sk, r.kind, r.channel, r.target, r.recipient, r.locale, r.status)
        for r in DeliveryRecord.query(alert_id, consistent_read=True)
    ]


def withdraw(alert_id: str, key: str, *, at: str) -> bool:
    """Cancels a delivery not sent yet; False when it was sent (or is being sent) already."""
    try:
        DeliveryRecord(alert_id, key).update(
            actions=[DeliveryRecord.status.set(sending.CANCELLED), DeliveryRecord.updated_at.set(at)],
            condition=DeliveryRecord.status.is_in(sending.QUEUED, sending.FAILED, sending.DEAD_LETTER),
        )
        return True
    except UpdateError as error:
        if conditional_failed(error):
            return False
        raise


class DynamoLedger:
    """sending.Ledger on DeliveriesTable: every transition is a conditional update."""

    def claim(self, delivery: Delivery, *, now_s: float, lease_s: int, at: str) -> str:
        """One conditional UpdateItem in the common case (queued, failed, dead-lettered). Only when that is
        refused is the record read; a `sending` whose lease ran out is then taken over by a second
        conditional update that adds 1 to `uncertain`: the attempt before may have reached the provider."""
        ordinary = DeliveryRecord.status.is_in(sending.QUEUED, sending.FAILED, sending.DEAD_LETTER)
        if self._claim(delivery, now_s=now_s, lease_s=lease_s, at=at, condition=ordinary):
            return sending.CLAIMED
        try:
            current = DeliveryRecord.get(delivery.alert_id, delivery.key, consistent_read=True)
        except DeliveryRecord.DoesNotExist:
            return sending.UNKNOWN
        if current.status == sending.SENDING and (current.lease_until or 0) < int(now_s):
            expired = (DeliveryRecord.status == sending.SENDING) & (DeliveryRecord.lease_until < int(now_s))
            uncertain = [DeliveryRecord.uncertain.add(1)]
            if self._claim(delivery, now_s=now_s, lease_s=lease_s, at=at, condition=expired, also=uncertain):
                return sending.RECLAIMED
            return sending.IN_FLIGHT  # another worker took it over first
        return {sending.SENT: sending.ALREADY_SENT, sending.CANCELLED: sending.WITHDRAWN}.get(
            current.status, sending.IN_FLIGHT
        )

    def _claim(
        self,
        delivery: Delivery,
        *,
        now_s: float,
        lease_s: int,
        at: str,
        condition: Any,
        also: Sequence[Any] = (),
    ) -> bool:
        """`sending` under a fresh lease, marked with the attempt's number; False when the condition fails."""
        try:
            DeliveryRecord(delivery.alert_id, delivery.key).update(
                actions=[
                    DeliveryRecord.status.set(sending.SENDING),
                    DeliveryRecord.lease_until.set(int(now_s) + lease_s),
                    DeliveryRecord.attempts.set((DeliveryRecord.attempts | 0) + 1),
                    DeliveryRecord.sending_attempt.set((DeliveryRecord.attempts | 0) + 1),
                    DeliveryRecord.updated_at.set(at),
                    *also,
                ],
                condition=condition,
            )
            return True
        except UpdateError as error:
            if not conditional_failed(error):
                raise
            return False

    def mark_sent(self, delivery: Delivery, *, at: str, provider_id: str) -> None:
        try:
            DeliveryRecord(delivery.alert_id, delivery.key).update(
                actions=[
                    DeliveryRecord.status.set(sending.SENT),
                    DeliveryRecord.sent_at.set(at),
                    DeliveryRecord.updated_at.set(at),
                    DeliveryRecord.provider_id.set(provider_id),
                    DeliveryRecord.last_error.remove(),
                    DeliveryRecord.lease_until.remove(),
                ],
                condition=DeliveryRecord.status == sending.SENDING,
            )
        except UpdateError as error:
            if not conditional_failed(error):
                raise
            _log.warning("delivery was no longer ours when marked sent", extra={"key": delivery.key})

    def mark_failed(self, delivery: Delivery, *, at: str, error: str, dead: bool) -> None:
        try:
            DeliveryRecord(delivery.alert_id, delivery.key).update(
                actions=[
                    DeliveryRecord.status.set(sending.DEAD_LETTER if dead else sending.FAILED),
                    DeliveryRecord.last_error.set(error),
                    DeliveryRecord.updated_at.set(at),
                    DeliveryRecord.lease_until.remove(),
                ],
                condition=DeliveryRecord.status == sending.SENDING,
            )
        except UpdateError as update_error:
            if not conditional_failed(update_error):
                raise


def history(alert_id: str) -> list[DeliveryLog]:
    """An alert's deliveries, oldest first per kind (one Query, strongly consistent)."""
    return [
        DeliveryLog(
            kind=r.kind,
            channel=r.channel,
            target=r.target,
            recipient=r.recipient,
            status=r.status,
            attempts=int(r.attempts or 0),
            last_error=r.last_error,
            created_at=r.created_at,
            updated_at=r.updated_at,
            sent_at=r.sent_at,
        )
        for r in DeliveryRecord.query(alert_id, consistent_read=True)
    ]


def counts(alert_id: str) -> tuple[DeliveryCounts, int]:
    """An alert's sirens sounded and neighbour messages (the nightly indicators), and the items read.

    boto3 rather than pynamodb, as for the day's alerts (dynamodb.indicators.DynamoAlertDays): the run
    reports each Query's ScannedCount, and tests/integration/test_indicators_runs.py pins the Query.
    """
    rows: list[dict[str, Any]] = []
    read = 0
    dynamodb = client("dynamodb")
    kwargs: dict[str, Any] = {
        "TableName": table_name(DeliveryRecord),
        "KeyConditionExpression": "pk = :a",
        "ExpressionAttributeValues": {":a": {"S": alert_id}},
        "ProjectionExpression": "#f0, #f1, #f2",
        "ExpressionAttributeNames": {"#f0": "kind", "#f1": "target", "#f2": "status"},
    }
    while True:
        page = dynamodb.query(**kwargs)
        read += int(page.get("ScannedCount", 0))
        for raw in page.get("Items", []):
            r = DeliveryRecord.from_raw_data(raw)
            rows.append({"kind": r.kind, "target": r.target, "status": r.status})
        if "LastEvaluatedKey" not in page:
            return delivery_counts(rows), read
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
