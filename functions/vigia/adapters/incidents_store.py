"""The incident lifecycle's store: alerts as incidents (Alerts table), police units' live status (UnitsTable),
residents' standing (Residents table), written together with their audit entries and queued deliveries.

Every step is one TransactWriteItems whose conditions are the step's `from` status (and the unit's alert, the
resident's strikes), so two operators can never both act on one alert. Reads are one GetItem or one
BatchGetItem; the queue is a Query on the Alerts table's `by_queue` index, never a Scan.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Sequence
from typing import Any

from pynamodb.attributes import (
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition, size
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from vigia import clock, settings
from vigia.adapters import audit
from vigia.adapters.aws import client
from vigia.adapters.deliveries import DeliveryRecord, queued_record
from vigia.adapters.dynamo import AlertRecord, ResidentRecord, bind
from vigia.dispatch.protocol import Delivery
from vigia.errors import Conflict, FieldError, InvalidRequest
from vigia.incidents import lifecycle
from vigia.incidents.lifecycle import Incident, Step, Unit, UnitMove
from vigia.incidents.service import AuditNote, Loaded, QueueFilter, StandingChange, StepRefused
from vigia.incidents.standing import Standing
from vigia.silent import lifecycle as silent_lifecycle
from vigia.silent.lifecycle import PoliceRequest

_S = settings.get()
_STAMPED = tuple(
    dict.fromkeys(s for s in (*lifecycle.STATUSES, *silent_lifecycle.STAMPED) if s != lifecycle.RECEIVED)
)


def _meta(table: str) -> Any:
    return type("Meta", (), {"table_name": table, "region": _S.region, "host": _S.aws_endpoint_url})


# The alert item as the lifecycle reads and moves it: the one model of that item.
IncidentRecord = AlertRecord


class UnitRecord(Model):
    """A community police unit's live status; `crew` holds the police accounts that staff it."""

    Meta = _meta(_S.units_table)
    unit_id = UnicodeAttribute(hash_key=True)
    status = UnicodeAttribute(null=True)
    alert_id = UnicodeAttribute(null=True)
    crew = UnicodeSetAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)
    updated_by = UnicodeAttribute(null=True)


# A resident's item as reviews and the false-alarm policy read and move it: the one model of that item.
StandingRecord = ResidentRecord


_MODELS: tuple[tuple[type[Model], str], ...] = (
    (IncidentRecord, "alerts_table"),
    (UnitRecord, "units_table"),
    (StandingRecord, "residents_table"),
    (DeliveryRecord, "deliveries_table"),
    (audit.AuditRecord, "audit_table"),
)


def _bind() -> None:
    bind(_MODELS)


# ------------------------------------------------------------------ records ↔ domain
def _incident(r: IncidentRecord) -> Incident:
    loc = r.location
    stamps = {status: getattr(r, f"{status}_at") for status in _STAMPED if getattr(r, f"{status}_at", None)}
    return Incident(
        alert_id=r.pk,
        type=r.type,
        priority=int(r.priority),
        silent=bool(r.silent),
        sender_id=r.sender_id,
        created_at=r.created_at,
        status=r.status,
        block_id=r.block_id,
        quadrant_id=r.quadrant_id,
        lat=float(loc.lat) if loc is not None else None,
        lon=float(loc.lon) if loc is not None else None,
        unit_id=r.unit_id,
        stamps=stamps,
        timeline=tuple(_plain(e) for e in (r.timeline or [])),
        dispatch_time_s=float(r.dispatch_time_s) if r.dispatch_time_s is not None else None,
        response_time_s=float(r.response_time_s) if r.response_time_s is not None else None,
        met_target=r.met_target,
        outcome=r.outcome,
    )


def _plain(entry: Any) -> dict[str, Any]:
    return dict(entry.as_dict() if hasattr(entry, "as_dict") else entry)


def _unit(r: UnitRecord | None, unit_id: str) -> Unit:
    if r is None:
        return Unit(unit_id)
    return Unit(
        unit_id=r.unit_id,
        status=r.status or lifecycle.AVAILABLE,
        alert_id=r.alert_id,
        crew=frozenset(r.crew or ()),
        updated_at=r.updated_at,
    )


def _standing(r: StandingRecord) -> Standing | None:
    if (r.kind or "resident") != "resident":
        return None
    return Standing(
        user_id=r.pk,
        status=r.status or "pending",
        phone=r.phone,
        locale=r.locale,
        strikes=tuple(str(x) for x in (r.strikes or ())),
        strikes_reset_at=r.strikes_reset_at,
    )


def _connection() -> Connection:
    return Connection(region=IncidentRecord.Meta.region, host=IncidentRecord.Meta.host)


def _reasons(error: TransactWriteError) -> list[str | None]:
    return [r.code if r else None for r in (error.cancellation_reasons or [])]


# ------------------------------------------------------------------ the store
class DynamoIncidentStore:
    """service.IncidentStore and service.StandingStore on DynamoDB."""

    def __init__(self) -> None:
        _bind()

    # reads
    def incident(self, alert_id: str) -> Incident | None:
        try:
            return _incident(IncidentRecord.get(alert_id, "ALERT", consistent_read=True))
        except IncidentRecord.DoesNotExist:
            return None

    def load(self, alert_id: str, *, unit_ids: Sequence[str] = ()) -> Loaded:
        if not unit_ids:
            return Loaded(self.incident(alert_id))
        # one BatchGetItem for the alert and the units it names
        tables = {
            IncidentRecord.Meta.table_name: {
                "Keys": [{"pk": {"S": alert_id}, "sk": {"S": "ALERT"}}],
                "ConsistentRead": True,
            },
            UnitRecord.Meta.table_name: {
                "Keys": [{"unit_id": {"S": u}} for u in dict.fromkeys(unit_ids)],
                "ConsistentRead": True,
            },
        }
        items = _batch_get(tables)
        alerts = items.get(IncidentRecord.Meta.table_name, [])
        units = {}
        for raw in items.get(UnitRecord.Meta.table_name, []):
            record = UnitRecord.from_raw_data(raw)
            units[record.unit_id] = _unit(record, record.unit_id)
        incident = _incident(IncidentRecord.from_raw_data(alerts[0])) if alerts else None
        return Loaded(incident, units)

    def unit(self, unit_id: str) -> Unit:
        try:
            return _unit(UnitRecord.get(unit_id, consistent_read=True), unit_id)
        except UnitRecord.DoesNotExist:
            return Unit(unit_id)

    def units(self, unit_ids: Iterable[str]) -> list[Unit]:
        """Every named unit's state (one BatchGetItem; a unit never touched is available)."""
        wanted = list(dict.fromkeys(unit_ids))
        found = {r.unit_id: r for r in UnitRecord.batch_get(wanted)} if wanted else {}
        return [_unit(found.get(u), u) for u in wanted]

    def incidents(self, alert_ids: Iterable[str]) -> dict[str, Incident]:
        wanted = [(a, "ALERT") for a in dict.fromkeys(alert_ids)]
        return {r.pk: _incident(r) for r in IncidentRecord.batch_get(wanted)} if wanted else {}

    def standing(self, user_id: str) -> Standing | None:
        try:
            return _standing(StandingRecord.get(user_id, consistent_read=True))
        except StandingRecord.DoesNotExist:
            return None

    # the queue
    def queue(self, f: QueueFilter, *, limit: int, cursor: str | None) -> tuple[list[Incident], str | None]:
        """Open (or closed) incidents by priority then age, `limit` at a time; the next page's cursor."""
        partition = "closed" if f.closed else "open"
        start = decode_cursor(cursor, partition) if cursor else None
        conditions: list[Condition] = []
        if f.statuses:
            conditions.append(IncidentRecord.status.is_in(*f.statuses))
        if f.types:
            conditions.append(IncidentRecord.type.is_in(*f.types))
        if f.zones:
            conditions.append(IncidentRecord.quadrant_id.is_in(*f.zones))
        if f.since:
            conditions.append(IncidentRecord.created_at >= f.since)
        condition: Condition | None = None
        for c in conditions:
            condition = c if condition is None else condition & c
        results = IncidentRecord.by_queue.query(
            partition,
            filter_condition=condition,
            last_evaluated_key=start,
            # a filter is applied after the read: read wider pages so a rare filter costs few Queries
            page_size=min(max(10 * limit, 100), 1000) if condition is not None else limit + 1,
        )
        page: list[IncidentRecord] = []
        more = False
        for record in results:
            if len(page) == limit:
                more = True
                break
            page.append(record)
        next_cursor = encode_cursor(page[-1]) if more and page else None
        return [_incident(r) for r in page], next_cursor

    # silent alerts: the ack watch (vigia.silent.ack_watch)
    def unacknowledged_silent(self, created_before: str, priorities: Iterable[int]) -> list[Incident]:
        """Open silent alerts still received/dispatched, created by `created_before`: one Query on `by_queue`
        per silent priority, its key condition bounded to `{priority}#` … `{priority}#{created_before}`
        (only alerts old enough are read), never a Scan."""
        condition = (IncidentRecord.silent == True) & IncidentRecord.status.is_in(  # noqa: E712 - a condition
            lifecycle.RECEIVED, lifecycle.DISPATCHED
        )
        found: list[Incident] = []
        for priority in sorted(set(priorities)):
            older = IncidentRecord.queue_order.between(f"{priority:02d}#", f"{priority:02d}#{created_before}")
            records = IncidentRecord.by_queue.query("open", older, filter_condition=condition, page_size=200)
            found.extend(_incident(r) for r in records)
        return found

    def remind(self, alert_id: str, deliveries: Sequence[Delivery], *, at: str) -> bool:
        """Stamps ack_reminded_at and queues the reminder's deliveries in one transaction, on the condition
        that nobody acknowledged it and no other run reminded it; False (nothing written) otherwise."""
        record = IncidentRecord(alert_id, "ALERT")
        condition = IncidentRecord.ack_reminded_at.does_not_exist() & IncidentRecord.status.is_in(
            lifecycle.RECEIVED, lifecycle.DISPATCHED
        )
        try:
            with TransactWrite(connection=_connection()) as tx:
                tx.update(record, actions=[IncidentRecord.ack_reminded_at.set(at)], condition=condition)
                for delivery in deliveries:
                    tx.save(queued_record(delivery, at), condition=DeliveryRecord.pk.does_not_exist())
        except TransactWriteError as error:
            if "ConditionalCheckFailed" in _reasons(error):
                return False
            raise
        return True

    # writes
    def write(
        self,
        step: Step,
        *,
        audit: Sequence[AuditNote],
        deliveries: Sequence[Delivery],
        standing_change: StandingChange | None = None,
    ) -> None:
        # pynamodb sends puts before updates: the cancellation reasons come back in that order
        puts: list[tuple[str, str | None]] = []
        updates: list[tuple[str, str | None]] = []
        try:
            with TransactWrite(connection=_connection()) as tx:
                _update_alert(tx, step)
                updates.append(("alert", None))
                for move in step.unit_moves:
                    _move_unit(tx, move, step.at)
                    updates.append(("unit", move.unit_id))
                if standing_change is not None:
                    _change_standing(tx, standing_change)
                    updates.append(("resident", None))
                for note in audit:
                    tx.save(*_audit_entry(note, step.at))
                    puts.append(("audit", None))
                for delivery in deliveries:
                    tx.save(queued_record(delivery, step.at))
                    puts.append(("delivery", None))
        except TransactWriteError as error:
            reasons = list(zip(puts + updates, _reasons(error), strict=False))
            for (what, unit_id), code in reasons:
                if code == "ConditionalCheckFailed":
                    raise StepRefused(what, unit_id) from None
            if (("resident", None), "TransactionConflict") in reasons:  # another strike in flight on her item
                raise StepRefused("resident") from None
            raise

    def review(self, change: StandingChange, *, audit: AuditNote, deliveries: Sequence[Delivery]) -> None:
        try:
            with TransactWrite(connection=_connection()) as tx:
                _change_standing(tx, change)
                tx.save(*_audit_entry(audit, change.at))
                for delivery in deliveries:
                    tx.save(queued_record(delivery, change.at))
        except TransactWriteError as error:
            if "ConditionalCheckFailed" in _reasons(error)[-1:]:  # the update comes after the puts
                raise StepRefused("resident") from None
            raise

    def set_unit_status(self, unit_id: str, status: str, *, note: AuditNote, at: str) -> Unit:
        """available ↔ out_of_service, for a unit that has no alert; Conflict otherwise."""
        record = UnitRecord(unit_id)
        try:
            with TransactWrite(connection=_connection()) as tx:
                tx.update(
                    record,
                    actions=[
                        UnitRecord.status.set(status),
                        UnitRecord.updated_at.set(at),
                        UnitRecord.updated_by.set(note.actor_id),
                    ],
                    condition=UnitRecord.alert_id.does_not_exist(),
                )
                tx.save(*_audit_entry(note, at))
        except TransactWriteError as error:
            if "ConditionalCheckFailed" in _reasons(error)[-1:]:  # the update comes after the put
                current = self.unit(unit_id)
                raise Conflict(
                    f"Unit {unit_id} is {current.status.replace('_', ' ')} on alert {current.alert_id}; "
                    "its status follows the incident until it is closed or reassigned.",
                    unit_status=current.status,
                    unit_alert_id=current.alert_id,
                ) from None
            raise
        return self.unit(unit_id)

    def set_crew(self, unit_id: str, user_ids: Sequence[str], *, note: AuditNote, at: str) -> Unit:
        """The police accounts that staff the unit (they may act on its assignments)."""
        record = UnitRecord(unit_id)
        crew_action = UnitRecord.crew.set(set(user_ids)) if user_ids else UnitRecord.crew.remove()
        with TransactWrite(connection=_connection()) as tx:
            tx.update(
                record,
                actions=[
                    crew_action,
                    UnitRecord.updated_at.set(at),
                    UnitRecord.updated_by.set(note.actor_id),
                ],
            )
            tx.save(*_audit_entry(note, at))
        return self.unit(unit_id)

    def seed_crew(self, unit_id: str, user_ids: Sequence[str]) -> None:
        """Demo and partner-city seeding: who staffs a unit, without an audit entry (no one acted)."""
        UnitRecord(unit_id, crew=set(user_ids) or None, status=lifecycle.AVAILABLE).save()

    # registrations
    def residents_by_status(
        self, status: str, *, limit: int, cursor: str | None
    ) -> tuple[list[StandingRecord], str | None]:
        """Residents in `status`, oldest registration first (a Query on `by_status`)."""
        start = _decode(cursor, "/cursor") if cursor else None
        if start is not None and (
            not isinstance(start, dict) or start.get("status") != status or not start.get("pk")
        ):
            raise InvalidRequest(
                "The cursor belongs to another listing.",
                errors=[FieldError("/cursor", "not for this status")],
            )
        key = (
            {
                "pk": {"S": start["pk"]},
                "status": {"S": status},
                "created_at": {"S": start["created_at"]},
            }
            if start
            else None
        )
        results = StandingRecord.by_status.query(status, last_evaluated_key=key, page_size=limit + 1)
        page: list[StandingRecord] = []
        more = False
        for record in results:
            if len(page) == limit:
                more = True
                break
            page.append(record)
        next_cursor = None
        if more and page:
            last = page[-1]
            next_cursor = _encode({"pk": last.pk, "status": status, "created_at": last.created_at})
        return page, next_cursor


def _update_alert(tx: TransactWrite, step: Step) -> None:
    record = IncidentRecord(step.alert_id, "ALERT")
    actions: list[Any] = [
        IncidentRecord.timeline.set((IncidentRecord.timeline | []).append([dict(step.entry)]))
    ]
    for name, value in step.sets.items():
        actions.append(getattr(IncidentRecord, name).set(value))
    condition = IncidentRecord.status.is_in(*sorted(step.accept_from))
    if step.expect_unit_id is None:
        condition &= IncidentRecord.unit_id.does_not_exist()
    else:
        condition &= IncidentRecord.unit_id == step.expect_unit_id
    tx.update(record, actions=actions, condition=condition)


def _move_unit(tx: TransactWrite, move: UnitMove, at: str) -> None:
    record = UnitRecord(move.unit_id)
    actions: list[Any] = [UnitRecord.status.set(move.status), UnitRecord.updated_at.set(at)]
    actions.append(UnitRecord.alert_id.set(move.alert_id) if move.alert_id else UnitRecord.alert_id.remove())
    condition: Condition
    if move.expect_alert_id is None:
        condition = UnitRecord.alert_id.does_not_exist()
        if move.expect_free_status:
            condition &= UnitRecord.status.does_not_exist() | (UnitRecord.status == lifecycle.AVAILABLE)
    else:
        condition = UnitRecord.alert_id == move.expect_alert_id
    if move.crew_member:
        condition &= UnitRecord.crew.contains(move.crew_member)
    tx.update(record, actions=actions, condition=condition)


def _change_standing(tx: TransactWrite, change: StandingChange) -> None:
    record = StandingRecord(change.user_id)
    actions: list[Any] = [StandingRecord.status.set(change.status)]
    if change.strike is not None:  # appended in place: a concurrent strike is never overwritten
        actions.append(StandingRecord.strikes.set((StandingRecord.strikes | []).append([change.strike])))
    elif change.strikes is not None:
        actions.append(StandingRecord.strikes.set(list(change.strikes)))  # type: ignore[arg-type]
    if change.status != change.expect_status:
        actions += [
            StandingRecord.reviewed_at.set(change.at),
            StandingRecord.reviewed_by.set(change.by or ""),
        ]
        actions.append(
            StandingRecord.review_reason.set(change.reason)
            if change.reason
            else StandingRecord.review_reason.remove()
        )
    if change.strikes_reset:
        actions.append(StandingRecord.strikes_reset_at.set(change.at))
    condition = (StandingRecord.status == change.expect_status) & (
        StandingRecord.kind.does_not_exist() | (StandingRecord.kind == "resident")
    )
    if change.expect_strikes is not None:
        if change.expect_strikes == 0:
            condition &= StandingRecord.strikes.does_not_exist() | (size(StandingRecord.strikes) == 0)
        else:
            condition &= size(StandingRecord.strikes) == change.expect_strikes
    tx.update(record, actions=actions, condition=condition)


def _audit_entry(note: AuditNote, at: str) -> tuple[audit.AuditRecord, Condition]:
    audit_id = clock.new_id()
    record = audit.AuditRecord(
        note.target_id,
        f"{at}#{audit_id}",
        audit_id=audit_id,
        at=at,
        actor_id=note.actor_id,
        actor_role=note.actor_role,
        action=note.action,
        target_type=note.target_type,
        target_id=note.target_id,
        reason=audit.clean_reason(note.reason),
    )
    return record, audit.AuditRecord.pk.does_not_exist()


def _batch_get(tables: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    dynamodb = client("dynamodb")
    found: dict[str, list[dict[str, Any]]] = {}
    pending = tables
    for _ in range(5):
        answer = dynamodb.batch_get_item(RequestItems=pending)
        for table, items in answer.get("Responses", {}).items():
            found.setdefault(table, []).extend(items)
        pending = answer.get("UnprocessedKeys") or {}
        if not pending:
            return found
    raise RuntimeError("DynamoDB left keys unprocessed five times")


# ------------------------------------------------------------------ cursors
def _encode(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode(cursor: str, path: str) -> Any:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidRequest(
            "The cursor is not one this API gave out; start again without it.",
            errors=[FieldError(path, "malformed cursor")],
        ) from None


def encode_cursor(record: IncidentRecord) -> str:
    return _encode({"a": record.pk, "q": record.queue_status, "o": record.queue_order})


def decode_cursor(cursor: str, partition: str) -> dict[str, Any]:
    data = _decode(cursor, "/cursor")
    if not isinstance(data, dict) or data.get("q") != partition or not data.get("a") or not data.get("o"):
        raise InvalidRequest(
            "The cursor belongs to another listing (open or closed alerts); start again without it.",
            errors=[FieldError("/cursor", "not for this listing")],
        )
    return {
        "pk": {"S": str(data["a"])},
        "sk": {"S": "ALERT"},
        "queue_status": {"S": partition},
        "queue_order": {"S": str(data["o"])},
    }


class SqsNotifier:
    """service.Notifier on the dispatch engineer's queues: deliveries to their channel queue (the SMS sender
    sends them once), a cancellation to the Dispatch queue (the dispatcher tells everyone who was told)."""

    def enqueue(self, deliveries: Sequence[Delivery]) -> None:
        from vigia.adapters.task_queues import SqsTaskQueues

        SqsTaskQueues().enqueue(deliveries)

    def announce_cancellation(self, alert_id: str, cancelled_at: str) -> None:
        from vigia.adapters.task_queues import announce_cancellation

        announce_cancellation(alert_id, cancelled_at)

    def request_police(self, alert_id: str, request: PoliceRequest, *, at: str) -> None:
        """A silent alert's police request goes to the Silent queue (never the Dispatch queue): the Silent
        router opens the envelope and sends the place (docs/silent-alarms.md)."""
        from vigia.adapters import silent_queue
        from vigia.silent.routing import police_requested

        silent_queue.announce(police_requested(alert_id, request, at=at, city_id=settings.get().city_id))
