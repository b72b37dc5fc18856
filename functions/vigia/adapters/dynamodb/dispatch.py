"""The dispatcher's store: it composes the Alerts table (the lease, the fan-out mark, a sender's cancel),
the Residents table (the sender, the block's neighbours) and the Deliveries table (the ledger).

The alert's dispatch attributes are moved with conditional updates that touch nothing else of the item.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pynamodb.exceptions import UpdateError

from vigia.adapters.dynamodb import deliveries, residents
from vigia.adapters.dynamodb.alerts import SK, AlertRecord, alert, values
from vigia.adapters.dynamodb.binding import conditional_failed
from vigia.dispatch.fanout import DispatchInProgress, DispatchState, RecordedDelivery, SilentAlertRefused
from vigia.dispatch.protocol import Delivery, Neighbour, Sender


def _state(record: AlertRecord, first: bool = False) -> DispatchState:
    if record.silent or record.location is None:  # sealed: the response team's, never the dispatcher's
        raise SilentAlertRefused(record.pk)
    return DispatchState(
        alert(values(record)), record.dispatched_at, record.cancelled_at, first, record.fanned_out_at
    )


def _timeline_entry(action: str, at: str, actor: str, role: str) -> Any:
    entry = {"action": action, "at": at, "actor": actor, "actor_role": role}
    return (AlertRecord.timeline | []).append([entry])


class DynamoDispatchStore:
    """fanout.DispatchStore on DynamoDB."""

    def alert(self, alert_id: str) -> DispatchState | None:
        try:
            return _state(AlertRecord.get(alert_id, SK, consistent_read=True))
        except AlertRecord.DoesNotExist:
            return None

    def begin(self, alert_id: str, *, now_s: float, lease_s: int) -> DispatchState | None:
        # One UpdateItem both reads the alert (ALL_NEW) and takes the lease: no separate GetItem.
        record = AlertRecord(alert_id, SK)
        lease = AlertRecord.dispatch_lease_until
        try:
            record.update(
                actions=[lease.set(int(now_s) + lease_s), AlertRecord.dispatch_attempts.add(1)],
                condition=AlertRecord.pk.exists()
                & (AlertRecord.silent.does_not_exist() | AlertRecord.silent.is_in(False))
                & (lease.does_not_exist() | (lease < int(now_s))),
            )
        except UpdateError as error:
            if not conditional_failed(error):
                raise
            current = self.alert(alert_id)
            if current is None or current.done:
                return current
            raise DispatchInProgress(alert_id) from None
        return _state(record, first=int(record.dispatch_attempts or 0) == 1)

    def release(self, alert_id: str) -> None:
        AlertRecord(alert_id, SK).update(
            actions=[AlertRecord.dispatch_lease_until.remove()], condition=AlertRecord.pk.exists()
        )

    def sender(self, user_id: str) -> Sender | None:
        return residents.sender(user_id)

    def neighbours(self, block_id: str) -> list[Neighbour]:
        return residents.neighbours(block_id)

    def record(self, planned: Sequence[Delivery], *, at: str, fresh: bool = False) -> None:
        deliveries.record(planned, at=at, fresh=fresh)

    def mark_dispatched(self, alert_id: str, *, at: str) -> str:
        record = AlertRecord(alert_id, SK)
        first = AlertRecord.dispatched_at.does_not_exist()
        try:
            record.update(
                actions=[
                    AlertRecord.dispatched_at.set(at),
                    AlertRecord.fanned_out_at.set(at),
                    AlertRecord.status.set("dispatched"),
                    AlertRecord.dispatch_lease_until.remove(),
                    AlertRecord.timeline.set(_timeline_entry("dispatch", at, "vigia", "system")),
                ],
                condition=first & (AlertRecord.status == "received"),
            )
            return "dispatched"
        except UpdateError as error:
            if not conditional_failed(error):
                raise
        # Moved on already (an operator was quicker, or the sender cancelled): keep its status and its
        # times; a `dispatched` stamped now would come after a later step. Only the fan-out is marked.
        try:
            record.update(
                actions=[AlertRecord.fanned_out_at.set(at), AlertRecord.dispatch_lease_until.remove()],
                condition=first & AlertRecord.fanned_out_at.does_not_exist(),
            )
            return str(record.status)
        except UpdateError as error:
            if not conditional_failed(error):
                raise
        return str(AlertRecord.get(alert_id, SK, consistent_read=True).status)

    def deliveries(self, alert_id: str) -> list[RecordedDelivery]:
        return deliveries.recorded(alert_id)

    def withdraw(self, alert_id: str, key: str, *, at: str) -> bool:
        return deliveries.withdraw(alert_id, key, at=at)


class DynamoAlertCanceller:
    """cancellation.Canceller on the Alerts table."""

    def cancel(self, alert_id: str, *, at: str, by: str, allowed: tuple[str, ...]) -> str | None:
        record = AlertRecord(alert_id, SK)
        try:
            record.update(
                actions=[
                    AlertRecord.status.set("cancelled"),
                    AlertRecord.cancelled_at.set(at),
                    AlertRecord.cancelled_by.set(by),
                    AlertRecord.queue_status.set("closed"),  # off the operators' live queue
                    AlertRecord.timeline.set(_timeline_entry("cancel", at, by, "citizen")),
                ],
                condition=AlertRecord.status.is_in(*allowed),
            )
            return None
        except UpdateError as error:
            if not conditional_failed(error):
                raise
        return str(AlertRecord.get(alert_id, SK, consistent_read=True).status)
