"""FederationTable: partners' messages received (replay marks) and which visitor alert each Report made.

    pk                                       what
    replay#<partner_id>#<distribution_id>    a message received, kept until its dateTimeExpires (TTL)
    report#<partner_id>#<distribution_id>    the visitor alert a partner's Report made (its Cancel finds it)

A replay mark is written with a conditional put (attribute_not_exists(pk)): of two deliveries of the same
message, however close together, exactly one is first. DynamoDB's TTL deletes an item up to days after
`expires_at`, so the mark is also compared with the clock: an expired mark is no longer a replay (and the
verifier refuses an expired message before it asks).

A mark is `receiving` until the host has acted on the message, then `done`. An attempt that fails takes its
mark back; one that dies (a timeout, the environment stopped) cannot, so a `receiving` mark older than
LEASE_S — longer than ApiFunction may run — is taken over by the next delivery: a message the host
accepted is never lost to its own replay mark. A delivery while the first may still be running is told
to come back (IN_FLIGHT), not that it was received.
"""

from __future__ import annotations

import time
from datetime import datetime

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError

from vigia.adapters.dynamodb.binding import Record, conditional_failed, table, unbound

POINTER_TTL_S = 2 * 24 * 3600  # longer than any message lives (24 h) and any cancel window
LEASE_S = 30  # longer than ApiFunction's Timeout (10 s): a `receiving` mark this old belongs to no one
RECEIVING, DONE = "receiving", "done"
FIRST, IN_FLIGHT = "first", "in_flight"  # take()'s answers beside DONE (= vigia.federation.hosting)


@table("federation_table")
class FederationRecord(Record):
    Meta = unbound()
    pk = UnicodeAttribute(hash_key=True)
    alert_id = UnicodeAttribute(null=True)  # report#…: the visitor alert
    expires_at = NumberAttribute()  # TTL (epoch seconds)
    state = UnicodeAttribute(null=True)  # replay#…: receiving | done
    at = NumberAttribute(null=True)  # replay#…: when the attempt holding it took it (epoch seconds)


def _replay_key(partner_id: str, distribution_id: str) -> str:
    return f"replay#{partner_id}#{distribution_id}"


class DynamoReplayGuard:
    """vigia.federation.verifier.ReplayGuard on FederationTable."""

    def first_time(self, partner_id: str, distribution_id: str, expires_at: datetime) -> bool:
        return self.take(partner_id, distribution_id, expires_at, now=time.time()) == FIRST

    def take(self, partner_id: str, distribution_id: str, expires_at: datetime, *, now: float) -> str:
        """FIRST (marked `receiving` for this attempt), DONE (a replay) or IN_FLIGHT (another attempt may
        still be acting on it: come back later)."""
        key = _replay_key(partner_id, distribution_id)
        mark = FederationRecord(key, expires_at=int(expires_at.timestamp()) + 1, state=RECEIVING, at=int(now))
        unseen = FederationRecord.pk.does_not_exist() | (FederationRecord.expires_at < int(now))
        abandoned = (FederationRecord.state == RECEIVING) & (FederationRecord.at < int(now) - LEASE_S)
        for condition in (unseen, abandoned):
            try:
                mark.save(condition=condition)
                return FIRST
            except PutError as error:
                if not conditional_failed(error):
                    raise
        try:
            current = FederationRecord.get(key, consistent_read=True)
        except FederationRecord.DoesNotExist:  # taken back a moment ago by a failed attempt
            return IN_FLIGHT
        return IN_FLIGHT if current.state == RECEIVING else DONE

    def done(self, partner_id: str, distribution_id: str) -> None:
        """The host has acted on the message: from now on it is a replay, whatever the clock says."""
        FederationRecord(_replay_key(partner_id, distribution_id)).update(
            actions=[FederationRecord.state.set(DONE)]
        )

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
