"""Running an incident against in-memory stores: one read, one conditional write, then the notifications."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from tests.support import godoy_cruz_pack
from vigia import clock
from vigia.errors import Conflict, Forbidden
from vigia.incidents import lifecycle, service
from vigia.incidents.lifecycle import Actor, Incident, Unit
from vigia.incidents.service import Loaded, StepRefused
from vigia.incidents.standing import Standing

PACK = godoy_cruz_pack()
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
OPERATOR = Actor("op-1", "operator")


class FakeStore:
    """service.IncidentStore in memory, with the adapter's conditions: the write fails if what the step
    expects (the alert's status and unit, each unit's alert and crew, the sender's strikes) changed."""

    def __init__(self, *incidents: Incident) -> None:
        self.incidents = {i.alert_id: i for i in incidents}
        self.units: dict[str, Unit] = {}
        self.residents: dict[str, Standing] = {}
        self.written: list[tuple] = []
        self.before_write = None  # a hook: what another operator does between our read and our write

    def load(self, alert_id, *, unit_ids=()):
        return Loaded(self.incidents.get(alert_id), {u: self.units[u] for u in unit_ids if u in self.units})

    def incident(self, alert_id):
        return self.incidents.get(alert_id)

    def unit(self, unit_id):
        return self.units.get(unit_id, Unit(unit_id))

    def standing(self, user_id):
        return self.residents.get(user_id)

    def write(self, step, *, audit, deliveries, standing_change=None):
        if self.before_write:
            hook, self.before_write = self.before_write, None
            hook()
        current = self.incidents[step.alert_id]
        if current.status not in step.accept_from or current.unit_id != step.expect_unit_id:
            raise StepRefused("alert")
        for move in step.unit_moves:
            unit = self.unit(move.unit_id)
            if unit.alert_id != move.expect_alert_id or (
                move.crew_member and move.crew_member not in unit.crew
            ):
                raise StepRefused("unit", move.unit_id)
        if standing_change is not None:
            resident = self.residents[standing_change.user_id]
            if len(resident.strikes) != standing_change.expect_strikes:
                raise StepRefused("resident")
            self.residents[resident.user_id] = replace(
                resident, status=standing_change.status, strikes=standing_change.strikes or ()
            )
        self.incidents[step.alert_id] = lifecycle.apply(current, step)
        for move in step.unit_moves:
            self.units[move.unit_id] = Unit(
                move.unit_id, move.status, move.alert_id, self.unit(move.unit_id).crew
            )
        self.written.append((step.action, [a.action for a in audit], [d.target for d in deliveries]))


class FakeNotifier:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.sent: list[str] = []
        self.cancelled: list[str] = []

    def enqueue(self, deliveries):
        if self.fail:
            raise ConnectionError("SQS is down")
        self.sent += [d.target for d in deliveries]

    def announce_cancellation(self, alert_id, cancelled_at):
        if self.fail:
            raise ConnectionError("SQS is down")
        self.cancelled.append(alert_id)


def incident(**kw):
    block = next(iter(PACK.blocks.values()))
    base = {
        "alert_id": "A1",
        "type": "robbery",
        "priority": 2,
        "silent": False,
        "sender_id": "r-1",
        "created_at": clock.iso(T0),
        "status": "received",
        "block_id": block.block_id,
        "quadrant_id": block.quadrant_id,
        "lat": block.centroid[0],
        "lon": block.centroid[1],
    }
    return Incident(**{**base, **kw})


def act(store, notifier, action, *, actor=OPERATOR, unit_id=None, at=T0):
    return service.take_action(
        "A1",
        action,
        actor=actor,
        unit_id=unit_id,
        note=None,
        pack=PACK,
        store=store,
        notifier=notifier,
        now=at,
    )


def test_assigning_writes_once_then_texts_the_car():
    store, notifier = FakeStore(incident()), FakeNotifier()
    outcome = act(store, notifier, "assign", unit_id="GC-01")
    assert store.written == [("assign", ["assign"], ["assigned_unit"])]
    assert notifier.sent == ["assigned_unit"]
    assert store.units["GC-01"].status == "responding"
    assert outcome.answer()["notified"] == ["assigned_unit"]


def test_a_step_stored_whose_message_could_not_be_queued_says_so_instead_of_failing():
    store, notifier = FakeStore(incident()), FakeNotifier(fail=True)
    outcome = act(store, notifier, "assign", unit_id="GC-01")
    assert store.incidents["A1"].status == "assigned"
    assert "could not be queued" in outcome.answer()["notify_error"]
    cancelled = act(store, notifier, "cancel")
    assert cancelled.incident.status == "cancelled"
    assert "dispatcher was not told" in cancelled.answer()["notify_error"]


def test_when_another_operator_acts_first_the_second_gets_409_with_what_is_allowed_now():
    store, notifier = FakeStore(incident()), FakeNotifier()

    def someone_else_resolves_it():
        store.incidents["A1"] = replace(store.incidents["A1"], status="cancelled")

    store.before_write = someone_else_resolves_it
    with pytest.raises(Conflict) as caught:
        act(store, notifier, "acknowledge")
    assert caught.value.extra["allowed_actions"] == []
    assert store.written == []


def test_the_dispatcher_moving_the_alert_on_does_not_fail_the_operator():
    store, notifier = FakeStore(incident()), FakeNotifier()
    store.before_write = lambda: store.incidents.update(
        A1=replace(store.incidents["A1"], status="dispatched")
    )
    assert act(store, notifier, "acknowledge").incident.status == "acknowledged"


def test_a_unit_whose_alert_was_cancelled_by_its_sender_is_assignable():
    store, notifier = (
        FakeStore(incident(), incident(alert_id="OLD", status="cancelled", unit_id="GC-01")),
        FakeNotifier(),
    )
    store.units["GC-01"] = Unit("GC-01", "responding", "OLD")
    assert act(store, notifier, "assign", unit_id="GC-01").incident.unit_id == "GC-01"
    store2 = FakeStore(incident(), incident(alert_id="LIVE", status="en_route", unit_id="GC-01"))
    store2.units["GC-01"] = Unit("GC-01", "responding", "LIVE")
    with pytest.raises(Conflict, match="on alert LIVE"):
        act(store2, notifier, "assign", unit_id="GC-01")


def test_an_officer_taken_off_the_crew_meanwhile_is_refused():
    officer = Actor("officer-1", "police", own_assignment_only=True)
    store, notifier = FakeStore(incident(status="assigned", unit_id="GC-01")), FakeNotifier()
    store.units["GC-01"] = Unit("GC-01", "responding", "A1", frozenset({"officer-1"}))
    store.before_write = lambda: store.units.update({"GC-01": Unit("GC-01", "responding", "A1", frozenset())})
    with pytest.raises(Forbidden):
        act(store, notifier, "en_route", actor=officer)


def test_two_false_alarms_at_once_both_count_and_the_third_strike_still_suspends():
    store, notifier = FakeStore(incident(status="acknowledged")), FakeNotifier()
    store.residents["r-1"] = Standing(
        "r-1", "approved", "+5492615550000", "es-AR", (clock.iso(T0 - timedelta(days=1)),)
    )

    def a_concurrent_strike():
        r = store.residents["r-1"]
        store.residents["r-1"] = replace(r, strikes=(*r.strikes, clock.iso(T0 - timedelta(hours=1))))

    store.before_write = a_concurrent_strike
    outcome = act(store, notifier, "false_alarm")
    assert outcome.suspended
    assert store.residents["r-1"].status == "suspended"
    assert len(store.residents["r-1"].strikes) == 3
    assert store.written == [("false_alarm", ["false_alarm", "suspend"], ["resident_suspended"])]
