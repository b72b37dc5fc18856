"""DynamoDB implementations of the domain's stores (residents, alerts), on pynamodb models."""

from __future__ import annotations

import math
import time
from datetime import timedelta
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from vigia import clock
from vigia.adapters.dynamo import (
    AlertRecord,
    IdempotencyRecord,
    Location,
    ResidentRecord,
    SendingWindowRecord,
    conditional_failed,
)
from vigia.alerts.submission import Alert, IdempotencyClaim, PriorAnswer, SendingWindow, WindowMoved
from vigia.errors import Conflict, NotFound
from vigia.residents.registration import PENDING, DuplicateValue, Resident

IDEMPOTENCY_TTL_S = 24 * 3600
_UNIQUE_FIELDS = ("email", "phone", "national_id")


def _connection() -> Connection:
    meta = ResidentRecord.Meta
    return Connection(region=meta.region, host=meta.host)


# ------------------------------------------------------------------ residents
def _resident(record: ResidentRecord) -> Resident:
    return Resident(
        user_id=record.pk,
        full_name=record.full_name or "",
        national_id=record.national_id or "",
        phone=record.phone or "",
        email=record.email or "",
        address=record.address or "",
        home_lat=float(record.home_lat or 0),
        home_lon=float(record.home_lon or 0),
        locale=record.locale or "",
        status=record.status or PENDING,
        created_at=record.created_at or "",
        block_id=record.block_id,
        reviewed_at=record.reviewed_at,
        reviewed_by=record.reviewed_by,
    )


def _unique_key(field: str, value: str) -> str:
    return f"unique#{field}#{value}"


class DynamoResidentStore:
    def create(self, resident: Resident) -> None:
        record = ResidentRecord(
            resident.user_id,
            full_name=resident.full_name,
            national_id=resident.national_id,
            phone=resident.phone,
            email=resident.email,
            address=resident.address,
            home_lat=resident.home_lat,
            home_lon=resident.home_lon,
            locale=resident.locale,
            status=resident.status,
            created_at=resident.created_at,
            block_id=resident.block_id,
        )
        claims = [
            ResidentRecord(_unique_key(f, getattr(resident, f)), kind="unique", owner=resident.user_id)
            for f in _UNIQUE_FIELDS
        ]
        try:
            with TransactWrite(connection=_connection()) as tx:
                tx.save(record, condition=ResidentRecord.pk.does_not_exist())
                for claim in claims:
                    tx.save(claim, condition=ResidentRecord.pk.does_not_exist())
        except TransactWriteError as error:
            reasons = [r.code if r else None for r in (error.cancellation_reasons or [])]
            for field, reason in zip(("user_id", *_UNIQUE_FIELDS), reasons, strict=False):
                if reason == "ConditionalCheckFailed":
                    raise DuplicateValue(field) from None
            raise

    def get(self, user_id: str) -> Resident | None:
        try:
            record = ResidentRecord.get(user_id)
        except ResidentRecord.DoesNotExist:
            return None
        if record.kind != "resident":
            return None
        return _resident(record)

    def review(self, user_id: str, *, status: str, block_id: str | None, by: str, at: str) -> Resident:
        record = ResidentRecord(user_id)
        actions: list[Any] = [
            ResidentRecord.status.set(status),
            ResidentRecord.reviewed_by.set(by),
            ResidentRecord.reviewed_at.set(at),
        ]
        if block_id:
            actions.append(ResidentRecord.block_id.set(block_id))
        try:
            record.update(actions=actions, condition=ResidentRecord.status == PENDING)
        except UpdateError as error:
            if conditional_failed(error):
                current = self.get(user_id)
                if current is None:
                    raise NotFound(f"No registration {user_id}.") from None
                raise Conflict(f"The registration is {current.status}, not pending.") from None
            raise
        return _resident(record)

    def put_seeded(self, residents: list[Resident]) -> None:
        """Bulk load for the local demo and partner-city seeding (no uniqueness claims needed)."""
        with ResidentRecord.batch_write() as batch:
            for r in residents:
                batch.save(
                    ResidentRecord(
                        r.user_id,
                        full_name=r.full_name,
                        national_id=r.national_id,
                        phone=r.phone,
                        email=r.email,
                        address=r.address,
                        home_lat=r.home_lat,
                        home_lon=r.home_lon,
                        locale=r.locale,
                        status=r.status,
                        created_at=r.created_at,
                        block_id=r.block_id,
                    )
                )


# ------------------------------------------------------------------ alerts
def _alert(record: AlertRecord) -> Alert:
    loc = record.location  # None on a sealed (silent) alert: its place is in the envelope only
    return Alert(
        alert_id=record.pk,
        type=record.type,
        silent=bool(record.silent),
        priority=int(record.priority),
        sender_id=record.sender_id,
        lat=float(loc.lat) if loc is not None else math.nan,
        lon=float(loc.lon) if loc is not None else math.nan,
        accuracy_m=float(loc.accuracy_m) if loc is not None and loc.accuracy_m is not None else None,
        note=record.note,
        block_id=record.block_id,
        quadrant_id=record.quadrant_id,
        block_source=record.block_source,
        status=record.status,
        created_at=record.created_at,
        local_date=record.local_date,
        sealed=record.sealed,
    )


def _window_record(window: SendingWindow) -> tuple[SendingWindowRecord, Any]:
    """The window as the alert's transaction writes it, and the condition: nobody moved it since the read."""
    newest = clock.parse_iso(window.sent[-1]) if window.sent else None
    expires = int((newest + timedelta(seconds=window.span_s)).timestamp()) + 1 if newest else int(time.time())
    record = SendingWindowRecord(
        window.key, sent=list(window.sent), version=window.version + 1, expires_at=expires
    )
    if window.version == 0:
        return record, SendingWindowRecord.pk.does_not_exist()
    return record, SendingWindowRecord.version == window.version


class DynamoAlertStore:
    def window(self, key: str) -> SendingWindow:
        try:
            record = SendingWindowRecord.get(key, consistent_read=True)
        except SendingWindowRecord.DoesNotExist:
            return SendingWindow(key)
        return SendingWindow(key, tuple(str(at) for at in record.sent or ()), int(record.version))

    def prior_answer(self, claim_key: str) -> PriorAnswer | None:
        try:
            record = IdempotencyRecord.get(claim_key, consistent_read=True)
        except IdempotencyRecord.DoesNotExist:
            return None
        return PriorAnswer(record.request_hash, record.resource_id)

    def create(
        self, alert: Alert, claim: IdempotencyClaim | None, window: SendingWindow
    ) -> PriorAnswer | None:
        record = AlertRecord(
            alert.alert_id,
            "ALERT",
            type=alert.type,
            silent=alert.silent,
            priority=alert.priority,
            sender_id=alert.sender_id,
            location=None
            if alert.sealed
            else Location(lat=alert.lat, lon=alert.lon, accuracy_m=alert.accuracy_m),
            sealed=alert.sealed,
            note=alert.note,
            block_id=alert.block_id,
            quadrant_id=alert.quadrant_id,
            block_source=alert.block_source,
            status=alert.status,
            created_at=alert.created_at,
            local_date=alert.local_date,
            queue_status="open",
            queue_order=f"{alert.priority:02d}#{alert.created_at}",
            # a silent alert's claim is a MAC, kept on the claim only: nothing sender-derived on its record
            request_hash=claim.request_hash if claim and not alert.sealed else None,
        )
        window_record, window_condition = _window_record(window)
        try:
            with TransactWrite(connection=_connection()) as tx:  # puts go in the order they are added
                tx.save(record, condition=AlertRecord.pk.does_not_exist())
                if claim is not None:
                    idem = IdempotencyRecord(
                        claim.key,
                        request_hash=claim.request_hash,
                        resource_id=alert.alert_id,
                        created_at=alert.created_at,
                        expires_at=int(time.time()) + IDEMPOTENCY_TTL_S,
                    )
                    tx.save(idem, condition=IdempotencyRecord.pk.does_not_exist())
                tx.save(window_record, condition=window_condition)
        except TransactWriteError as error:
            reasons = [r.code if r else None for r in (error.cancellation_reasons or [])]
            if claim is not None and len(reasons) > 1 and reasons[1] == "ConditionalCheckFailed":
                return self.prior_answer(claim.key)  # the key was taken first: its answer, not this one
            if reasons and reasons[0] == "ConditionalCheckFailed":
                raise Conflict("An alert with this id already exists.") from None
            if reasons[-1:] == ["ConditionalCheckFailed"] or "TransactionConflict" in reasons:
                raise WindowMoved(window.key) from None
            raise
        return None

    def get(self, alert_id: str) -> Alert | None:
        try:
            return _alert(AlertRecord.get(alert_id, "ALERT"))
        except AlertRecord.DoesNotExist:
            return None

    def open_silent(self, limit: int) -> list[Alert]:
        """Open silent alerts, most urgent and oldest first (by_queue; the filter reads wide pages)."""
        silent = AlertRecord.silent == True  # noqa: E712 - a DynamoDB condition, not a truth test
        records = AlertRecord.by_queue.query("open", filter_condition=silent, page_size=200)
        return [_alert(record) for _, record in zip(range(limit), records, strict=False)]
