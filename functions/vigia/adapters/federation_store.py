"""FederationTable: partners' messages received (replay marks) and which visitor alert each Report made.

    pk                                       what
    replay#<partner_id>#<distribution_id>    a message received, kept until its dateTimeExpires (TTL)
    report#<partner_id>#<distribution_id>    the visitor alert a partner's Report made (its Cancel finds it)

A replay mark is written with a conditional put (attribute_not_exists(pk)): of two deliveries of the same
message, however close together, exactly one is first. DynamoDB's TTL deletes an item up to days after
`expires_at`, so the mark is also compared with the clock: an expired mark is no longer a replay (and the
verifier refuses an expired message before it asks).
"""

from __future__ import annotations

import time
from datetime import datetime

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError

from vigia.adapters.dynamodb.binding import Record, conditional_failed, table, unbound

POINTER_TTL_S = 2 * 24 * 3600  # longer than any message lives (24 h) and any cancel window


@table("federation_table")
class FederationRecord(Record):
    Meta = unbound()
    pk = UnicodeAttribute(hash_key=True)
    alert_id = UnicodeAttribute(null=True)  # report#…: the visitor alert
    expires_at = NumberAttribute()  # TTL (epoch seconds)


def _replay_key(partner_id: str, distribution_id: str) -> str:
    return f"replay#{partner_id}#{distribution_id}"


class DynamoReplayGuard:
    """vigia.federation.verifier.ReplayGuard on FederationTable."""

    def first_time(self, partner_id: str, distribution_id: str, expires_at: datetime) -> bool:
        mark = FederationRecord(
            _replay_key(partner_id, distribution_id), expires_at=int(expires_at.timestamp()) + 1
        )
        try:
            mark.save(
                condition=FederationRecord.pk.does_not_exist()
                | (FederationRecord.expires_at < int(time.time()))
            )
        except PutError as error:
            if conditional_failed(error):
                return False
            raise
        return True

    def forget(self, partner_id: str, distribution_id: str) -> None:
        """Takes a mark back when the message it marks could not be acted on, so the partner's retry of
        the same message is not refused as a replay."""
        FederationRecord(_replay_key(partner_id, distribution_id)).delete()


class DynamoReportPointers:
    """Which visitor alert a partner's Report made, for the Cancel that references that Report."""

    def remember(self, partner_id: str, distribution_id: str, alert_id: str) -> None:
        FederationRecord(
            f"report#{partner_id}#{distribution_id}",
            alert_id=alert_id,
            expires_at=int(time.time()) + POINTER_TTL_S,
        ).save()

    def alert_for(self, partner_id: str, distribution_id: str) -> str | None:
        try:
            record = FederationRecord.get(f"report#{partner_id}#{distribution_id}", consistent_read=True)
        except FederationRecord.DoesNotExist:
            return None
        return record.alert_id
