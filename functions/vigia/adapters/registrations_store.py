"""RegistrationsTable and RegistrationSecret: registrations waiting for their code, and the per-source counts.

Every change is one conditional write: a try is counted only while the registration is open, in time and
under its tries; a source's window count only while under the limit. Items expire (TTL `expires_at`).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os
from collections.abc import Sequence

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from vigia import settings
from vigia.adapters.aws import client
from vigia.adapters.deliveries import DeliveryRecord, queued_record
from vigia.adapters.dynamo import ResidentRecord, bind, conditional_failed
from vigia.dispatch.protocol import Delivery
from vigia.residents.signup import Applicant, Holder, Pending

OPEN, CONFIRMED = "open", "confirmed"
KEEP_AFTER_S = 24 * 3600  # an expired registration is kept a day (TTL), then DynamoDB removes it
_S = settings.get()


class RegistrationRecord(Model):
    """pk = registration#<sha256(registration id)> or source#<mac>#<window start>; nothing else shares it."""

    class Meta:
        table_name = _S.registrations_table
        region = _S.region
        host = _S.aws_endpoint_url

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


# Every model this store reads or writes (the SMS records and the residents' claims too).
_MODELS: tuple[tuple[type[Model], str], ...] = (
    (RegistrationRecord, "registrations_table"),
    (DeliveryRecord, "deliveries_table"),
    (ResidentRecord, "residents_table"),
)


def _bind() -> None:
    bind(_MODELS)


def _pending(r: RegistrationRecord) -> Pending:
    return Pending(
        key=r.pk,
        applicant=Applicant(
            full_name=r.full_name or "",
            national_id=r.national_id or "",
            phone=r.phone or "",
            email=r.email or "",
            address=r.address or "",
            home_lat=float(r.home_lat or 0),
            home_lon=float(r.home_lon or 0),
            locale=r.locale or "",
        ),
        code_mac=r.code_mac or "",
        sealed_password=r.sealed_password or "",
        taken=bool(r.taken),
        valid_until_s=int(r.valid_until or 0),
        attempts=int(r.attempts or 0),
    )


class DynamoRegistrationStore:
    """signup.RegistrationStore on RegistrationsTable (and the residents' uniqueness claims, read only)."""

    def __init__(self) -> None:
        _bind()

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
        claims = [
            f"unique#email#{applicant.email}",
            f"unique#phone#{applicant.phone}",
            f"unique#national_id#{applicant.national_id}",
        ]
        owners = sorted({r.owner for r in ResidentRecord.batch_get(claims) if r.owner})
        # With nobody to look up, read a key that cannot exist: both branches make the same two reads.
        records = list(ResidentRecord.batch_get(owners or ["unique#none"]))
        return [Holder(r.pk, r.phone, r.locale) for r in records if r.kind == "resident"]

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
        a = pending.applicant
        record = RegistrationRecord(
            pending.key,
            expires_at=pending.valid_until_s + KEEP_AFTER_S,
            state=OPEN,
            attempts=0,
            valid_until=pending.valid_until_s,
            code_mac=pending.code_mac,
            sealed_password=pending.sealed_password,
            taken=pending.taken,
            full_name=a.full_name,
            national_id=a.national_id,
            phone=a.phone,
            email=a.email,
            address=a.address,
            home_lat=a.home_lat,
            home_lon=a.home_lon,
            locale=a.locale,
        )
        meta = RegistrationRecord.Meta
        kept = list(deliveries)
        under = RegistrationRecord.registrations.does_not_exist() | (
            RegistrationRecord.registrations < per_phone
        )
        while True:  # one transaction; again without the phones already at their limit, if any were
            try:
                with TransactWrite(connection=Connection(region=meta.region, host=meta.host)) as tx:
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
                reasons = [r.code if r else None for r in (error.cancellation_reasons or [])]
                # pynamodb sends the puts (the registration, then each record) before the updates (counters)
                counters = reasons[1 + len(kept) :]
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


class SecretKeys:
    """signup.Keys from RegistrationSecret: HMAC-SHA256 per purpose, AES-GCM for the password in waiting."""

    def __init__(self, secret: str) -> None:
        self._secret = secret.encode()

    def _subkey(self, purpose: str) -> bytes:
        return hmac.new(self._secret, purpose.encode(), hashlib.sha256).digest()

    def mac(self, purpose: str, value: str) -> str:
        return hmac.new(self._subkey(purpose), value.encode(), hashlib.sha256).hexdigest()

    def seal(self, plaintext: str, *, context: str) -> str:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        nonce = os.urandom(12)
        sealed = AESGCM(self._subkey("password-seal")).encrypt(nonce, plaintext.encode(), context.encode())
        return base64.b64encode(nonce + sealed).decode()

    def open(self, sealed: str, *, context: str) -> str:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        raw = base64.b64decode(sealed)
        return AESGCM(self._subkey("password-seal")).decrypt(raw[:12], raw[12:], context.encode()).decode()


@functools.cache
def _secret(secret_id: str) -> str:
    return str(client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"])


def keys() -> SecretKeys:
    """The registration keys (one Secrets Manager read per execution environment)."""
    return SecretKeys(_secret(settings.get().registration_secret_id))
