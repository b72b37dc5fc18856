"""UnitsTable: a community police unit's live status (the units themselves are in the city pack); `crew`
holds the police accounts that staff it. The lifecycle moves a unit with its alert (dynamodb.incidents)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pynamodb.attributes import UnicodeAttribute, UnicodeSetAttribute
from pynamodb.expressions.condition import Condition
from pynamodb.transactions import TransactWrite

from vigia.adapters.dynamodb.binding import Record, table, unbound
from vigia.incidents import lifecycle
from vigia.incidents.lifecycle import Unit, UnitMove


@table("units_table")
class UnitRecord(Record):
    Meta = unbound()
    unit_id = UnicodeAttribute(hash_key=True)
    status = UnicodeAttribute(null=True)
    alert_id = UnicodeAttribute(null=True)
    crew = UnicodeSetAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)
    updated_by = UnicodeAttribute(null=True)


def unit_of(record: UnitRecord | None, unit_id: str) -> Unit:
    """The unit's state; a unit never touched is available."""
    if record is None:
        return Unit(unit_id)
    return Unit(
        unit_id=record.unit_id,
        status=record.status or lifecycle.AVAILABLE,
        alert_id=record.alert_id,
        crew=frozenset(record.crew or ()),
        updated_at=record.updated_at,
    )


def unit(unit_id: str) -> Unit:
    try:
        return unit_of(UnitRecord.get(unit_id, consistent_read=True), unit_id)
    except UnitRecord.DoesNotExist:
        return Unit(unit_id)


def units(unit_ids: Iterable[str]) -> list[Unit]:
    """Every named unit's state (one BatchGetItem)."""
    wanted = list(dict.fromkeys(unit_ids))
    found = {r.unit_id: r for r in UnitRecord.batch_get(wanted)} if wanted else {}
    return [unit_of(found.get(u), u) for u in wanted]


def move(tx: TransactWrite, change: UnitMove, at: str) -> None:
    """A unit following its alert, on the condition it is (still) where the step expects it."""
    record = UnitRecord(change.unit_id)
    actions: list[Any] = [UnitRecord.status.set(change.status), UnitRecord.updated_at.set(at)]
    actions.append(
        UnitRecord.alert_id.set(change.alert_id) if change.alert_id else UnitRecord.alert_id.remove()
    )
    condition: Condition
    if change.expect_alert_id is None:
        condition = UnitRecord.alert_id.does_not_exist()
        if change.expect_free_status:
            condition &= UnitRecord.status.does_not_exist() | (UnitRecord.status == lifecycle.AVAILABLE)
    else:
        condition = UnitRecord.alert_id == change.expect_alert_id
    if change.crew_member:
        condition &= UnitRecord.crew.contains(change.crew_member)
    tx.update(record, actions=actions, condition=condition)


def seed_crew(unit_id: str, user_ids: Iterable[str]) -> None:
    """Demo and partner-city seeding: who staffs a unit, without an audit entry (no one acted)."""
    UnitRecord(unit_id, crew=set(user_ids) or None, status=lifecycle.AVAILABLE).save()
