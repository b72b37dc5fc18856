"""The incident lifecycle's store: it composes the Alerts table (alerts as incidents), the Units table
(police units' live status), the Residents table (standing), the Audit table and the Deliveries table.

Every step is one TransactWriteItems whose conditions are the step's `from` status (and the unit's alert, the
resident's strikes), so two operators can never both act on one alert. Reads are one GetItem or one
BatchGetItem; the queue is a Query on the Alerts table's `by_queue` index, never a Scan.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.transactions import TransactWrite

from vigia.adapters.dynamodb import audit, cursors, residents, units
from vigia.adapters.dynamodb.alerts import SK, AlertRecord, incident, values
from vigia.adapters.dynamodb.batches import batch_get
from vigia.adapters.dynamodb.binding import connection, reasons
from vigia.adapters.dynamodb.deliveries import DeliveryRecord, queued_record
from vigia.adapters.dynamodb.units import UnitRecord
from vigia.dispatch import sending
from vigia.dispatch.protocol import Delivery
from vigia.errors import Conflict
from vigia.incidents import lifecycle
from vigia.incidents.lifecycle import Incident, Step, Unit
from vigia.incidents.queue import QueueFilter
from vigia.incidents.standing import Standing
from vigia.incidents.stores import AuditNote, Loaded, StandingChange, StepRefused
from vigia.residents.registration import UnderReview


class DynamoIncidentStore:
    """service.IncidentStore and service.StandingStore on DynamoDB."""

    # reads
    def incident(self, alert_id: str) -> Incident | None:
        try:
            return _incident(AlertRecord.get(alert_id, SK, consistent_read=True))
        except AlertRecord.DoesNotExist:
            return None

    def load(self, alert_id: str, *, unit_ids: Sequence[str] = ()) -> Loaded:
        if not unit_ids:
            return Loaded(self.incident(alert_id))
        # one BatchGetItem for the alert and the units it names
        found = batch_get(
            [
                (AlertRecord, [{"pk": {"S": alert_id}, "sk": {"S": SK}}]),
                (UnitRecord, [{"unit_id": {"S": u}} for u in dict.fromkeys(unit_ids)]),
            ]
        )
        alerts = found[AlertRecord]
        named = {r.unit_id: units.unit_of(r, r.unit_id) for r in found[UnitRecord]}
        return Loaded(_incident(alerts[0]) if alerts else None, named)

    def unit(self, unit_id: str) -> Unit:
        return units.unit(unit_id)

    def units(self, unit_ids: Iterable[str]) -> list[Unit]:
        """Every named unit's state (one BatchGetItem; a unit never touched is available)."""
        return units.units(unit_ids)

    def incidents(self, alert_ids: Iterable[str]) -> dict[str, Incident]:
        wanted = [(a, SK) for a in dict.fromkeys(alert_ids)]
        return {r.pk: _incident(r) for r in AlertRecord.batch_get(wanted)} if wanted else {}

    def standing(self, user_id: str) -> Standing | None:
        return residents.standing(user_id)

    # the queue
    def queue(self, f: QueueFilter, *, limit: int, cursor: str | None) -> tuple[list[Incident], str | None]:
        """Open (or closed) incidents by priority then age, `limit` at a time; the next page's cursor."""
        partition = "closed" if f.closed else "open"
        start = decode_cursor(cursor, partition) if cursor else None
        conditions: list[Condition] = []
        if f.statuses:
            conditions.append(AlertRecord.status.is_in(*f.statuses))
        if f.types:
            conditions.append(AlertRecord.type.is_in(*f.types))
        if f.zones:
            conditions.append(AlertRecord.quadrant_id.is_in(*f.zones))
        if f.since:
            conditions.append(AlertRecord.created_at >= f.since)
        condition: Condition | None = None
        for c in conditions:
            condition = c if condition is None else condition & c
        results = AlertRecord.by_queue.query(
            partition,
            filter_condition=condition,
            last_evaluated_key=start,
            # a filter is applied after the read: read wider pages so a rare filter costs few Queries
            page_size=min(max(10 * limit, 100), 1000) if condition is not None else limit + 1,
        )
        page: list[AlertRecord] = []
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
        condition = (AlertRecord.silent == True) & AlertRecord.status.is_in(  # noqa: E712 - a condition
            lifecycle.RECEIVED, lifecycle.DISPATCHED
        )
        found: list[Incident] = []
        for priority in sorted(set(priorities)):
            older = AlertRecord.queue_order.between(f"{priority:02d}#", f"{priority:02d}#{created_before}")
            records = AlertRecord.by_queue.query("open", older, filter_condition=condition, page_size=200)
            found.extend(_incident(r) for r in records)
        return found

    def remind(self, alert_id: str, deliveries: Sequence[Delivery], *, at: str) -> bool:
        """Stamps ack_reminded_at and queues the reminder's deliveries in one transaction, on the condition
        that nobody acknowledged it and no other run reminded it; False (nothing written) otherwise."""
        record = AlertRecord(alert_id, SK)
        condition = AlertRecord.ack_reminded_at.does_not_exist() & AlertRecord.status.is_in(
            lifecycle.RECEIVED, lifecycle.DISPATCHED
        )
        try:
            with TransactWrite(connection=connection()) as tx:
                tx.update(record, actions=[AlertRecord.ack_reminded_at.set(at)], condition=condition)
                for delivery in deliveries:
                    tx.save(queued_record(delivery, at), condition=DeliveryRecord.pk.does_not_exist())
        except TransactWriteError as error:
            if "ConditionalCheckFailed" in reasons(error):
                return False
            raise
        return True

    def unsent(self, alert_id: str, kind: str) -> set[str]:
        """One strongly consistent Query of the alert's deliveries: the keys of `kind` not sent yet."""
        waiting = (sending.QUEUED, sending.FAILED, sending.DEAD_LETTER)
        return {
            r.sk
            for r in DeliveryRecord.query(alert_id, consistent_read=True)
            if r.kind == kind and r.status in waiting
        }

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
            with TransactWrite(connection=connection()) as tx:
                _update_alert(tx, step)
                updates.append(("alert", None))
                for move in step.unit_moves:
                    units.move(tx, move, step.at)
                    updates.append(("unit", move.unit_id))
                if standing_change is not None:
                    residents.change_standing(tx, standing_change)
                    updates.append(("resident", None))
                for note in audit:
                    tx.save(*_audit_entry(note, step.at))
                    puts.append(("audit", None))
                for delivery in deliveries:
                    tx.save(queued_record(delivery, step.at))
                    puts.append(("delivery", None))
        except TransactWriteError as error:
            why = list(zip(puts + updates, reasons(error), strict=False))
            for (what, unit_id), code in why:
                if code == "ConditionalCheckFailed":
                    raise StepRefused(what, unit_id) from None
            if (("resident", None), "TransactionConflict") in why:  # another strike in flight on her item
                raise StepRefused("resident") from None
            raise

    def review(self, change: StandingChange, *, audit: AuditNote, deliveries: Sequence[Delivery]) -> None:
        try:
            with TransactWrite(connection=connection()) as tx:
                residents.change_standing(tx, change)
                tx.save(*_audit_entry(audit, change.at))
                for delivery in deliveries:
                    tx.save(queued_record(delivery, change.at))
        except TransactWriteError as error:
            if "ConditionalCheckFailed" in reasons(error)[-1:]:  # the update comes after the puts
                raise StepRefused("resident") from None
            raise

    def set_unit_status(self, unit_id: str, status: str, *, note: AuditNote, at: str) -> Unit:
        """available ↔ out_of_service, for a unit that has no alert; Conflict otherwise."""
        record = UnitRecord(unit_id)
        try:
            with TransactWrite(connection=connection()) as tx:
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
            if "ConditionalCheckFailed" in reasons(error)[-1:]:  # the update comes after the put
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
        with TransactWrite(connection=connection()) as tx:
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
        units.seed_crew(unit_id, user_ids)

    # registrations
    def residents_by_status(
        self, status: str, *, limit: int, cursor: str | None
    ) -> tuple[list[UnderReview], str | None]:
        """Residents in `status`, oldest registration first (a Query on `by_status`)."""
        return residents.by_status(status, limit=limit, cursor=cursor)


def _incident(record: AlertRecord) -> Incident:
    return incident(values(record))


def _update_alert(tx: TransactWrite, step: Step) -> None:
    record = AlertRecord(step.alert_id, SK)
    actions: list[Any] = [AlertRecord.timeline.set((AlertRecord.timeline | []).append([dict(step.entry)]))]
    for name, value in step.sets.items():
        actions.append(getattr(AlertRecord, name).set(value))
    condition = AlertRecord.status.is_in(*sorted(step.accept_from))
    if step.expect_unit_id is None:
        condition &= AlertRecord.unit_id.does_not_exist()
    else:
        condition &= AlertRecord.unit_id == step.expect_unit_id
    tx.update(record, actions=actions, condition=condition)


def _audit_entry(note: AuditNote, at: str) -> tuple[audit.AuditRecord, Condition]:
    entry = audit.entry(
        note.actor_id, note.actor_role, note.action, note.target_type, note.target_id, note.reason, at
    )
    return audit.record_of(entry), audit.appended()


# ------------------------------------------------------------------ the queue's cursor
def encode_cursor(record: AlertRecord) -> str:
    return cursors.encode({"a": record.pk, "q": record.queue_status, "o": record.queue_order})


def decode_cursor(cursor: str, partition: str) -> dict[str, Any]:
    data = cursors.decode(cursor)
    if not isinstance(data, dict) or data.get("q") != partition or not data.get("a") or not data.get("o"):
        raise cursors.foreign(
            "The cursor belongs to another listing (open or closed alerts); start again without it.",
            "not for this listing",
        )
    return {
        "pk": {"S": str(data["a"])},
        "sk": {"S": SK},
        "queue_status": {"S": partition},
        "queue_order": {"S": str(data["o"])},
    }
