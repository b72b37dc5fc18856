"""RegistrationsTable: registrations waiting for their code, and the per-source counts.

Every change is one conditional write: a try is counted only while the registration is open, in time and
under its tries; a source's window count only while under the limit. Items expire (TTL `expires_at`).
"""

from __future__ import annotations

from collections.abc import Sequence

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from vigia.adapters.dynamodb import residents
from vigia.adapters.dynamodb.binding import Record, conditional_failed, connection, reasons, table, unbound
from vigia.adapters.dynamodb.deliveries import DeliveryRecord, queued_record
from vigia.dispatch.protocol import Delivery
from vigia.residents.signup import Applicant, Holder, Pending

OPEN, CONFIRMED = "open", "confirmed"
KEEP_AFTER_S = 24 * 3600  # an expired registration is kept a day (TTL), then DynamoDB removes it


@table("registrations_table")
class RegistrationRecord(Record):
    """pk = registration#<sha256(registration id)> or source#<mac>#<window start>; nothing else shares it."""

    Meta = unbound()

    pk = UnicodeAttribute(hash_key=True)
    expires_at = NumberAttribute()  # TTL
    # a registration
    state = UnicodeAttribute(null=True)
    attempts = NumberAttribute(null=True)
    valid_until = NumberAttribute(null=True)
    code_mac = UnicodeAttribute(null=True)
    sealed_password = UnicodeAttribute(null=True)
    taken = BooleanAttribute(null=True)
    full_name = UnicodeAttribute(null=True)
    national_id = UnicodeAttribute(null=True)
    phone = UnicodeAttribute(null=True)
    email = UnicodeAttribute(null=True)
    address = UnicodeAttribute(null=True)
    home_lat = NumberAttribute(null=True)
    home_lon = NumberAttribute(null=True)
    locale = UnicodeAttribute(null=True)
    # a source's window
    registrations = NumberAttribute(null=True)


def _pending(r: RegistrationRecord) -> Pending:
    return Pending(
        key=r.pk,
        applicant=Applicant(**residents.person(r)),
        code_mac=r.code_mac or "",
        sealed_password=r.sealed_password or "",
        taken=bool(r.taken),
        valid_until_s=int(r.valid_until or 0),
        attempts=int(r.attempts or 0),
    )


class DynamoRegistrationStore:
    """signup.RegistrationStore on RegistrationsTable (and the residents' uniqueness claims, read only)."""

    def admit_source(self, source_key: str, *, window_start_s: int, window_s: int, limit: int) -> bool:
        record = RegistrationRecord(f"{source_key}#{window_start_s}")
        try:
            record.update(
                actions=[
                    RegistrationRecord.registrations.add(1),
                    RegistrationRecord.expires_at.set(window_start_s + 2 * window_s),
                ],
                condition=RegistrationRecord.registrations.does_not_exist()
                | (RegistrationRecord.registrations < limit),
            )
        except UpdateError as error:
            if conditional_failed(error):
                return False
            raise
        return True

    def holders(self, applicant: Applicant) -> list[Holder]:
        return residents.holders(applicant)

    def open(
        self,
        pending: Pending,
        deliveries: Sequence[tuple[Delivery, str]],
        *,
        at: str,
        window_start_s: int,
        window_s: int,
        per_phone: int,
    ) -> list[Delivery]:
        record = RegistrationRecord(
            pending.key,
            expires_at=pending.valid_until_s + KEEP_AFTER_S,
            state=OPEN,
            attempts=0,
            valid_until=pending.valid_until_s,
            code_mac=pending.code_mac,
            sealed_password=pending.sealed_password,
            taken=pending.taken,
            **residents.person_attributes(pending.applicant),
        )
        kept = list(deliveries)
        under = RegistrationRecord.registrations.does_not_exist() | (
            RegistrationRecord.registrations < per_phone
        )
        while True:  # one transaction; again without the phones already at their limit, if any were
            try:
                with TransactWrite(connection=connection()) as tx:
                    tx.save(record, condition=RegistrationRecord.pk.does_not_exist())
                    for delivery, phone_key in kept:
                        tx.update(
                            RegistrationRecord(f"{phone_key}#{window_start_s}"),
                            actions=[
                                RegistrationRecord.registrations.add(1),
                                RegistrationRecord.expires_at.set(window_start_s + 2 * window_s),
                            ],
                            condition=under,
                        )
                        tx.save(queued_record(delivery, at), condition=DeliveryRecord.pk.does_not_exist())
                return [delivery for delivery, _ in kept]
            except TransactWriteError as error:
                # pynamodb sends the puts (the registration, then each record) before the updates (counters)
                counters = reasons(error)[1 + len(kept) :]
                full = {i for i, code in enumerate(counters) if code == "ConditionalCheckFailed"}
                if not full:
                    raise
                kept = [item for i, item in enumerate(kept) if i not in full]

    def attempt(self, key: str, *, now_s: int, max_tries: int) -> Pending | None:
        record = RegistrationRecord(key)
        try:
            record.update(
                actions=[RegistrationRecord.attempts.add(1)],
                condition=(RegistrationRecord.state == OPEN)
                & (RegistrationRecord.attempts < max_tries)
                & (RegistrationRecord.valid_until > now_s),
            )
        except UpdateError as error:
            if conditional_failed(error):
                return None
            raise
        return _pending(record)

    def close(self, key: str) -> bool:
        try:
            RegistrationRecord(key).update(
                actions=[
                    RegistrationRecord.state.set(CONFIRMED),
                    RegistrationRecord.sealed_password.remove(),
                ],
                condition=RegistrationRecord.state == OPEN,
            )
        except UpdateError as error:
            if conditional_failed(error):
                return False
            raise
        return True
