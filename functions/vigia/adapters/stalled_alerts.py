"""watchdog.StalledAlerts on the Alerts table: its by_local_date index (a Query per local date, never a
Scan) and a conditional update that marks an alert re-published once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pynamodb.exceptions import UpdateError

from vigia.adapters.dynamo import AlertRecord, conditional_failed

RECEIVED = "received"
# What the relay reads of a new image (vigia.alerts.relaying): routing signs and the event's fields.
_IMAGE = ("pk", "type", "priority", "block_id", "quadrant_id", "created_at", "local_date", "silent", "sealed")


class DynamoStalledAlerts:
    def received(self, local_date: str, *, since: str, until: str) -> Iterator[dict[str, Any]]:
        waiting = (AlertRecord.status == RECEIVED) & AlertRecord.republished_at.does_not_exist()
        for record in AlertRecord.by_local_date.query(
            local_date,
            range_key_condition=AlertRecord.created_at.between(since, until),
            filter_condition=waiting,
        ):
            if record.sk != "ALERT":
                continue
            values = record.attribute_values
            yield {name: values.get(name) for name in _IMAGE}

    def claim(self, alert_id: str, *, at: str) -> bool:
        try:
            AlertRecord(alert_id, "ALERT").update(
                actions=[AlertRecord.republished_at.set(at)],
                condition=AlertRecord.pk.exists()
                & (AlertRecord.status == RECEIVED)
                & AlertRecord.republished_at.does_not_exist(),
            )
            return True
        except UpdateError as error:
            if conditional_failed(error):
                return False
            raise

    def release(self, alert_id: str) -> None:
        AlertRecord(alert_id, "ALERT").update(
            actions=[AlertRecord.republished_at.remove()], condition=AlertRecord.pk.exists()
        )
