"""The incident lifecycle as data: transitions, roles, stamps and units, for any sequence of actions."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vigia import clock
from vigia.errors import Conflict, Forbidden, InvalidRequest
from vigia.incidents import lifecycle
from vigia.incidents.lifecycle import Actor, Incident, Unit

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
UNITS = frozenset({"GC-01", "GC-02", "GC-03"})
OPERATOR = Actor("op-1", "operator")
OFFICER = Actor("officer-1", "police", own_assignment_only=True)


def new_incident(**kw):
    base = {
        "alert_id": "A1",
        "type": "robbery",
        "priority": 2,
        "silent": False,
        "sender_id": "r-1",
        "created_at": clock.iso(T0),
        "status": "received",
        "lat": -32.92,
        "lon": -68.84,
    }
    return Incident(**{**base, **kw})


def step(incident, action, *, actor=OPERATOR, at=T0, units=None, unit_id=None, target=420):
    return lifecycle.plan(
        incident,
        action,
        actor=actor,
        now=at,
        response_target_s=target,
        units=units or {},
        unit_id=unit_id,
        known_units=UNITS,
    )


def test_the_main_line_runs_received_to_resolved_with_dispatch_and_response_times():
    # Given a robbery alert received at 12:00
    incident = new_incident()
    # When an operator acknowledges at +30 s, assigns GC-01 at +60 s, and the car is on scene at +6 min
    for action, seconds, unit in (
        ("acknowledge", 30, None),
        ("assign", 60, "GC-01"),
        ("en_route", 90, None),
        ("on_scene", 360, None),
        ("resolve", 900, None),
    ):
        s = step(incident, action, at=T0 + timedelta(seconds=seconds), unit_id=unit)
        incident = lifecycle.apply(incident, s)
    # Then each status was stamped once, and the times are measured from receipt
    assert incident.status == "resolved"
    assert list(incident.stamps) == ["acknowledged", "assigned", "en_route", "on_scene", "resolved"]
    assert incident.dispatch_time_s == 60
    assert incident.response_time_s == 360
    assert incident.met_target is True


def test_a_response_slower_than_the_citys_target_is_marked_as_missing_it():
    incident = lifecycle.apply(new_incident(), step(new_incident(), "assign", unit_id="GC-01"))
    arrived = step(incident, "on_scene", at=T0 + timedelta(minutes=9))
    assert arrived.sets["response_time_s"] == 540
    assert arrived.sets["met_target"] is False


def test_assigning_takes_a_free_unit_and_reassigning_releases_the_first():
    s = step(new_incident(), "assign", unit_id="GC-01")
    assert s.unit_moves == (
        lifecycle.UnitMove("GC-01", "responding", "A1", expect_alert_id=None, expect_free_status=True),
    )
    incident = lifecycle.apply(new_incident(), s)
    again = step(incident, "assign", unit_id="GC-02")
    assert [(m.unit_id, m.status, m.expect_alert_id) for m in again.unit_moves] == [
        ("GC-02", "responding", None),
        ("GC-01", "available", "A1"),
    ]
    assert "dispatch_time_s" not in again.sets  # dispatch time is the first assignment's


@pytest.mark.parametrize(
    ("unit", "message"),
    [
        (Unit("GC-01", "responding", "OTHER"), "responding on alert OTHER"),
        (Unit("GC-01", "out_of_service"), "out of service"),
    ],
)
def test_a_busy_or_out_of_service_unit_is_not_assignable(unit, message):
    with pytest.raises(Conflict, match=message):
        step(new_incident(), "assign", unit_id="GC-01", units={"GC-01": unit})


def test_unknown_or_missing_units_are_bad_requests_naming_unit_id():
    for unit_id in (None, "GC-99"):
        with pytest.raises(InvalidRequest) as caught:
            step(new_incident(), "assign", unit_id=unit_id)
        assert caught.value.errors[0].path == "/unit_id"
    with pytest.raises(InvalidRequest):
        step(new_incident(), "acknowledge", unit_id="GC-01")


def test_an_invalid_step_is_a_conflict_listing_what_is_allowed_now():
    with pytest.raises(Conflict) as caught:
        step(new_incident(), "on_scene")
    assert caught.value.extra["allowed_actions"] == [
        "acknowledge",
        "assign",
        "false_alarm",
        "cancel",
        "escalate",
    ]
    closed = new_incident(status="resolved")
    with pytest.raises(Conflict) as caught:
        step(closed, "acknowledge")
    assert caught.value.extra["allowed_actions"] == []


def test_police_only_move_their_own_assignment_forward():
    for action in ("acknowledge", "assign", "false_alarm", "cancel", "escalate"):
        with pytest.raises(Forbidden):
            step(new_incident(), action, actor=OFFICER, unit_id="GC-01" if action == "assign" else None)
    with pytest.raises(Forbidden, match="not assigned to your unit"):
        step(new_incident(status="acknowledged"), "en_route", actor=OFFICER)
    assigned = new_incident(status="assigned", unit_id="GC-01")
    others = {"GC-01": Unit("GC-01", "responding", "A1", frozenset({"officer-2"}))}
    with pytest.raises(Forbidden):
        step(assigned, "en_route", actor=OFFICER, units=others)
    with pytest.raises(Forbidden):  # not theirs: they learn that, not the alert's status
        step(new_incident(status="resolved", unit_id="GC-01"), "en_route", actor=OFFICER, units=others)
    s = step(assigned, "en_route", actor=OFFICER)
    # the write checks the officer is in the unit's crew
    assert s.unit_moves[0].crew_member == "officer-1"
    assert s.entry["actor_role"] == "police"


def test_a_step_taken_by_a_clock_behind_the_last_one_is_not_put_before_it():
    incident = new_incident(
        status="acknowledged", stamps={"acknowledged": clock.iso(T0 + timedelta(minutes=2))}
    )
    s = step(incident, "assign", at=T0 + timedelta(minutes=1), unit_id="GC-01")
    assert s.at == clock.iso(T0 + timedelta(minutes=2))
    assert s.sets["dispatch_time_s"] == 120


def test_an_operator_step_before_dispatch_accepts_either_received_or_dispatched():
    # the dispatcher may move received → dispatched between the read and the write
    assert step(new_incident(), "acknowledge").accept_from == {"received", "dispatched"}
    assert step(new_incident(status="acknowledged"), "assign", unit_id="GC-01").accept_from == {
        "acknowledged"
    }


def test_the_request_schema_lists_exactly_the_lifecycle_actions():
    from vigia.silent import lifecycle as silent_lifecycle

    schema = json.loads((ROOT / "schemas/requests/incident-action.json").read_text())
    # a public alert's actions, then the ones only a silent alert's lifecycle has
    both = tuple(dict.fromkeys((*lifecycle.ACTIONS, *silent_lifecycle.ACTIONS)))
    assert tuple(schema["properties"]["action"]["enum"]) == both
    assert tuple(schema["properties"]["outcome"]["enum"]) == silent_lifecycle.OUTCOMES


def test_every_transition_is_between_declared_statuses():
    for transition in lifecycle.TRANSITIONS.values():
        assert transition.sources <= set(lifecycle.STATUSES)
        assert transition.target in lifecycle.STATUSES
    assert not any(s in lifecycle.TERMINAL for t in lifecycle.TRANSITIONS.values() for s in t.sources)


def test_the_sender_sees_steps_and_staff_see_who_took_them():
    incident = lifecycle.apply(new_incident(), step(new_incident(), "acknowledge"))
    mine = lifecycle.view(incident, staff=False)
    assert mine["timeline"] == [{"action": "acknowledge", "at": clock.iso(T0), "actor_role": "operator"}]
    assert "unit_id" not in mine
    theirs = lifecycle.view(incident, staff=True)
    assert theirs["timeline"][0]["actor_id"] == "op-1"
    assert theirs["times"] == {"received": clock.iso(T0), "acknowledged": clock.iso(T0)}


# ------------------------------------------------------------------ properties
ACTORS = st.sampled_from([OPERATOR, Actor("admin-1", "admin"), OFFICER, Actor("x", "analyst")])
MOVES = st.lists(
    st.tuples(
        st.sampled_from([*lifecycle.ACTIONS, "teleport"]),
        ACTORS,
        st.sampled_from([None, "GC-01", "GC-02", "GC-03", "GC-99"]),
        st.integers(min_value=-120, max_value=900),  # clocks disagree: a step may claim an earlier time
    ),
    max_size=25,
)


@settings(max_examples=300, deadline=None)
@given(MOVES)
def test_no_sequence_of_actions_reaches_an_undeclared_state_or_goes_back_in_time(moves):
    incident = new_incident()
    units: dict[str, Unit] = {}
    now = T0
    for action, actor, unit_id, dt in moves:
        now = now + timedelta(seconds=dt)
        if actor.own_assignment_only and incident.unit_id:  # the officer crews whichever unit has it
            units[incident.unit_id] = Unit(
                incident.unit_id, "responding", incident.alert_id, frozenset({"officer-1"})
            )
        try:
            s = step(incident, action, actor=actor, at=now, unit_id=unit_id, units=units)
        except (Conflict, Forbidden, InvalidRequest):
            continue
        before = incident
        incident = lifecycle.apply(incident, s)
        for move in s.unit_moves:
            units[move.unit_id] = Unit(move.unit_id, move.status, move.alert_id)
        # only declared statuses, reached only by the table's transitions
        assert incident.status in lifecycle.STATUSES
        assert before.status in lifecycle.TRANSITIONS[action].sources
        assert incident.status == lifecycle.TRANSITIONS[action].target
        # the timeline never goes back in time, and a status is stamped when first reached, never again
        times = [e["at"] for e in incident.timeline]
        assert times == sorted(times)
        assert all(before.stamps[k] == v for k, v in incident.stamps.items() if k in before.stamps)
        # the main line's stamps are in the main line's order
        line = [incident.stamps[x] for x in lifecycle.MAIN_LINE if x in incident.stamps]
        assert line == sorted(line)
        assert incident.created_at <= min(incident.stamps.values())
        # a closed alert's unit is free; an open alert with a unit has that unit on it
        if incident.unit_id and incident.status in ("assigned", "en_route", "on_scene"):
            assert units[incident.unit_id].alert_id == incident.alert_id
        if not incident.is_open or incident.status == "escalated":
            assert all(u.alert_id != incident.alert_id for u in units.values())
        if incident.response_time_s is not None and incident.dispatch_time_s is not None:
            assert 0 <= incident.dispatch_time_s <= incident.response_time_s


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(lifecycle.STATUSES), st.booleans())
def test_the_allowed_actions_are_exactly_those_that_succeed(status, has_unit):
    incident = new_incident(status=status, unit_id="GC-01" if has_unit else None)
    allowed = set(lifecycle.allowed_actions(status, has_unit=has_unit, role="operator"))
    for action in lifecycle.ACTIONS:
        unit_id = "GC-02" if action == "assign" else None
        try:
            step(incident, action, unit_id=unit_id)
            succeeded = True
        except Conflict:
            succeeded = False
        assert succeeded == (action in allowed), (status, action)
