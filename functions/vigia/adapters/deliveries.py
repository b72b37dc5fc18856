"""DeliveriesTable: one record per (alert, channel, recipient), written with conditions; and the alert's
dispatch status (dispatched_at, cancelled) on the Alerts table. The dispatcher's and senders' only store."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from pynamodb.attributes import (
    NumberAttribute,
    UnicodeAttribute,
)
from pynamodb.connection import Connection
from pynamodb.exceptions import PutError, TransactWriteError, UpdateError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from vigia import settings
from vigia.adapters.dynamo import AlertRecord, ResidentRecord, bind, conditional_failed
from vigia.alerts.submission import Alert
from vigia.dispatch import sending
from vigia.dispatch.fanout import DispatchInProgress, DispatchState, RecordedDelivery, SilentAlertRefused
from vigia.dispatch.protocol import Delivery, Neighbour, Sender

_S = settings.get()
_log = logging.getLogger(__name__)
TRANSACTION_ITEMS = 100  # DynamoDB's TransactWriteItems limit
APPROVED = "approved"


class DeliveryRecord(Model):
    """pk = alert_id, sk = "<kind>#<channel>#<recipient>". No message body: it travels in the task."""

    class Meta:
        table_name = _S.deliveries_table
        region = _S.region
        host: str | None = _S.aws_endpoint_url

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


# The alert item as the dispatcher reads and moves it: the one model of that item.
AlertDispatchRecord = AlertRecord


def _bind() -> None:
    bind(((DeliveryRecord, "deliveries_table"), (AlertDispatchRecord, "alerts_table")))


def _alert(record: AlertDispatchRecord) -> Alert:
    if record.silent or record.location is None:  # sealed: the response team's, never the dispatcher's
        raise SilentAlertRefused(record.pk)
    loc = record.location
    return Alert(
        alert_id=record.pk,
        type=record.type,
        silent=bool(record.silent),
        priority=int(record.priority),
        sender_id=record.sender_id,
        lat=float(loc.lat),
        lon=float(loc.lon),
        accuracy_m=float(loc.accuracy_m) if loc.accuracy_m is not None else None,
        note=record.note,
        block_id=record.block_id,
        quadrant_id=record.quadrant_id,
        block_source=record.block_source,
        status=record.status,
        created_at=record.created_at,
        local_date=record.local_date,
    )


def _timeline_entry(action: str, at: str, actor: str, role: str) -> Any:
    entry = {"action": action, "at": at, "actor": actor, "actor_role": role}
    return (AlertDispatchRecord.timeline | []).append([entry])


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


class DynamoDispatchStore:
    """fanout.DispatchStore on DynamoDB."""

    def __init__(self) -> None:
        _bind()

    def alert(self, alert_id: str) -> DispatchState | None:
        try:
            record = AlertDispatchRecord.get(alert_id, "ALERT", consistent_read=True)
        except AlertDispatchRecord.DoesNotExist:
            return None
        return DispatchState(
            _alert(record), record.dispatched_at, record.cancelled_at, fanned_out_at=record.fanned_out_at
        )

    def begin(self, alert_id: str, *, now_s: float, lease_s: int) -> DispatchState | None:
        # One UpdateItem both reads the alert (ALL_NEW) and takes the lease: no separate GetItem.
        record = AlertDispatchRecord(alert_id, "ALERT")
        lease = AlertDispatchRecord.dispatch_lease_until
        try:
            record.update(
                actions=[lease.set(int(now_s) + lease_s), AlertDispatchRecord.dispatch_attempts.add(1)],
                condition=AlertDispatchRecord.pk.exists()
                & (AlertDispatchRecord.silent.does_not_exist() | AlertDispatchRecord.silent.is_in(False))
                & (lease.does_not_exist() | (lease < int(now_s))),
            )
        except UpdateError as error:
            if not conditional_failed(error):
                raise
            current = self.alert(alert_id)
            if current is None or current.done:
                return current
            raise DispatchInProgress(alert_id) from None
        first = int(record.dispatch_attempts or 0) == 1
        return DispatchState(
            _alert(record), record.dispatched_at, record.cancelled_at, first, record.fanned_out_at
        )

    def release(self, alert_id: str) -> None:
        AlertDispatchRecord(alert_id, "ALERT").update(
            actions=[AlertDispatchRecord.dispatch_lease_until.remove()],
            condition=AlertDispatchRecord.pk.exists(),
        )

    def sender(self, user_id: str) -> Sender | None:
        try:
            r = ResidentRecord.get(user_id)
        except ResidentRecord.DoesNotExist:
            return None
        lat, lon = (None, None) if r.home_lat is None or r.home_lon is None else (r.home_lat, r.home_lon)
        return Sender(r.pk, r.full_name or "", r.phone or "", r.address or "", r.locale, lat, lon)

    def neighbours(self, block_id: str) -> list[Neighbour]:
        return [
            Neighbour(r.pk, r.phone or "", r.locale)
            for r in ResidentRecord.by_block.query(
                block_id, filter_condition=ResidentRecord.status == APPROVED
            )
        ]

    def record(self, deliveries: Sequence[Delivery], *, at: str, fresh: bool = False) -> None:
        if fresh:  # under the alert's first lease nothing can exist yet: 25 puts a call (BatchWriteItem)
            with DeliveryRecord.batch_write() as batch:
                for delivery in deliveries:
                    batch.save(queued_record(delivery, at))
            return
        for start in range(0, len(deliveries), TRANSACTION_ITEMS):
            chunk = deliveries[start : start + TRANSACTION_ITEMS]
            try:
                with TransactWrite(
                    connection=Connection(region=DeliveryRecord.Meta.region, host=DeliveryRecord.Meta.host)
                ) as tx:
                    for delivery in chunk:
                        tx.save(queued_record(delivery, at), condition=DeliveryRecord.pk.does_not_exist())
            except TransactWriteError as error:
                reasons = [r.code if r else None for r in (error.cancellation_reasons or [])]
                if "ConditionalCheckFailed" not in reasons:
                    raise
                self._record_one_by_one(chunk, at)  # a repeat: keep what exists, add what is missing

    @staticmethod
    def _record_one_by_one(deliveries: Sequence[Delivery], at: str) -> None:
        for delivery in deliveries:
            try:
                queued_record(delivery, at).save(condition=DeliveryRecord.pk.does_not_exist())
            except PutError as error:
                if not conditional_failed(error):
                    raise

    def mark_dispatched(self, alert_id: str, *, at: str) -> str:
        record = AlertDispatchRecord(alert_id, "ALERT")
        first = AlertDispatchRecord.dispatched_at.does_not_exist()
        try:
            record.update(
                actions=[
                    AlertDispatchRecord.dispatched_at.set(at),
                    AlertDispatchRecord.fanned_out_at.set(at),
                    AlertDispatchRecord.status.set("dispatched"),
                    AlertDispatchRecord.dispatch_lease_until.remove(),
                    AlertDispatchRecord.timeline.set(_timeline_entry("dispatch", at, "vigia", "system")),
                ],
                condition=first & (AlertDispatchRecord.status == "received"),
            )
            return "dispatched"
        except UpdateError as error:
            if not conditional_failed(error):
                raise
        # Moved on already (an operator was quicker, or the sender cancelled): keep its status and its
        # times; a `dispatched` stamped now would come after a later step. Only the fan-out is marked.
        try:
            record.update(
                actions=[
                    AlertDispatchRecord.fanned_out_at.set(at),
                    AlertDispatchRecord.dispatch_lease_until.remove(),
                ],
                condition=first & AlertDispatchRecord.fanned_out_at.does_not_exist(),
            )
            return str(record.status)
        except UpdateError as error:
            if not conditional_failed(error):
                raise
        return str(AlertDispatchRecord.get(alert_id, "ALERT", consistent_read=True).status)

    def deliveries(self, alert_id: str) -> list[RecordedDelivery]:
        return [
            RecordedDelivery(r.sk, r.kind, r.channel, r.target, r.recipient, r.locale, r.status)
            for r in DeliveryRecord.query(alert_id, consistent_read=True)
        ]

    def withdraw(self, alert_id: str, key: str, *, at: str) -> bool:
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


class DynamoAlertCanceller:
    """cancellation.Canceller on the Alerts table."""

    def __init__(self) -> None:
        _bind()

    def cancel(self, alert_id: str, *, at: str, by: str, allowed: tuple[str, ...]) -> str | None:
        record = AlertDispatchRecord(alert_id, "ALERT")
        try:
            record.update(
                actions=[
                    AlertDispatchRecord.status.set("cancelled"),
                    AlertDispatchRecord.cancelled_at.set(at),
                    AlertDispatchRecord.cancelled_by.set(by),
                    AlertDispatchRecord.queue_status.set("closed"),  # off the operators' live queue
                    AlertDispatchRecord.timeline.set(_timeline_entry("cancel", at, by, "citizen")),
                ],
                condition=AlertDispatchRecord.status.is_in(*allowed),
            )
            return None
        except UpdateError as error:
            if not conditional_failed(error):
                raise
        return str(AlertDispatchRecord.get(alert_id, "ALERT", consistent_read=True).status)


class DynamoLedger:
    """sending.Ledger on DeliveriesTable: every transition is a conditional update."""

    def __init__(self) -> None:
        _bind()

    def claim(self, delivery: Delivery, *, now_s: float, lease_s: int, at: str) -> str:
        record = DeliveryRecord(delivery.alert_id, delivery.key)
        claimable = DeliveryRecord.status.is_in(sending.QUEUED, sending.FAILED, sending.DEAD_LETTER) | (
            (DeliveryRecord.status == sending.SENDING) & (DeliveryRecord.lease_until < int(now_s))
        )
        try:
            record.update(
                actions=[
                    DeliveryRecord.status.set(sending.SENDING),
                    DeliveryRecord.lease_until.set(int(now_s) + lease_s),
                    DeliveryRecord.attempts.add(1),
                    DeliveryRecord.updated_at.set(at),
                ],
                condition=claimable,
            )
            return sending.CLAIMED
        except UpdateError as error:
            if not conditional_failed(error):
                raise
        try:
            current = DeliveryRecord.get(delivery.alert_id, delivery.key, consistent_read=True).status
        except DeliveryRecord.DoesNotExist:
            return sending.UNKNOWN
        return {sending.SENT: sending.ALREADY_SENT, sending.CANCELLED: sending.WITHDRAWN}.get(
            current, sending.IN_FLIGHT
        )

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


def delivery_views(alert_id: str) -> list[dict[str, Any]]:
    """What an operator sees of an alert's deliveries: recipients masked, oldest first per kind."""
    from vigia.dispatch.masking import mask_recipient

    _bind()
    rows = []
    for r in DeliveryRecord.query(alert_id, consistent_read=True):
        rows.append(
            {
                "kind": r.kind,
                "channel": r.channel,
                "target": r.target,
                "recipient": mask_recipient(r.channel, r.recipient),
                "status": r.status,
                "attempts": int(r.attempts or 0),
                "last_error": r.last_error,
                "created_at": r.created_at,
                "updated_at": r.updated_at,
                "sent_at": r.sent_at,
            }
        )
    return rows
