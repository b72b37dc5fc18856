"""An incident's lifecycle as data: which action takes an alert from which status to which, who may take it,
what each step stamps (times, dispatch and response time) and what it does to the police units.

Pure: the service reads the incident and its units, asks `plan()` for the step, and the store writes the
step atomically with the step's `from` status as the condition, so two operators cannot both act.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

from vigia import clock
from vigia.errors import Conflict, FieldError, Forbidden, InvalidRequest

# ------------------------------------------------------------------ statuses
RECEIVED = "received"  # stored; the protocol has not run yet
DISPATCHED = "dispatched"  # the protocol's deliveries are queued (set by the dispatcher, not by an action)
ACKNOWLEDGED = "acknowledged"  # an operator took it
ASSIGNED = "assigned"  # a community police unit has it
EN_ROUTE = "en_route"
ON_SCENE = "on_scene"
RESOLVED = "resolved"
FALSE_ALARM = "false_alarm"
CANCELLED = "cancelled"
ESCALATED = "escalated"  # handed to the provincial police; the community unit returns to patrol
SILENT_CLOSED = (
    "closed"  # a silent alert the response team closed (its own lifecycle: vigia.silent.lifecycle)
)

STATUSES: tuple[str, ...] = (
    RECEIVED,
    DISPATCHED,
    ACKNOWLEDGED,
    ASSIGNED,
    EN_ROUTE,
    ON_SCENE,
    RESOLVED,
    FALSE_ALARM,
    CANCELLED,
    ESCALATED,
)
TERMINAL = frozenset({RESOLVED, FALSE_ALARM, CANCELLED})  # closed: off the operators' queue
OPEN = tuple(s for s in STATUSES if s not in TERMINAL)
# The main line, in the order an incident lives it: the first time each is reached is stamped, in this order.
MAIN_LINE: tuple[str, ...] = (RECEIVED, DISPATCHED, ACKNOWLEDGED, ASSIGNED, EN_ROUTE, ON_SCENE, RESOLVED)
# The dispatcher moves received → dispatched on its own, at any moment: an operator's step that starts from
# either is taken from whichever the alert has when the write lands.
_BEFORE_DISPATCH = frozenset({RECEIVED, DISPATCHED})

# ------------------------------------------------------------------ actions
ACKNOWLEDGE = "acknowledge"
ASSIGN = "assign"
GO_EN_ROUTE = "en_route"
ARRIVE = "on_scene"
RESOLVE = "resolve"
MARK_FALSE_ALARM = "false_alarm"
CANCEL = "cancel"
ESCALATE = "escalate"

# unit statuses
AVAILABLE, RESPONDING, UNIT_ON_SCENE, OUT_OF_SERVICE = "available", "responding", "on_scene", "out_of_service"
UNIT_STATUSES = (AVAILABLE, RESPONDING, UNIT_ON_SCENE, OUT_OF_SERVICE)

# what an action does to the unit that has the alert
TAKE, KEEP_RESPONDING, KEEP_ON_SCENE, RELEASE = "take", "responding", "on_scene", "release"


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str
    unit: str | None = None  # TAKE, KEEP_RESPONDING, KEEP_ON_SCENE, RELEASE or None (no unit involved)
    needs_unit: bool = False  # only for an alert that has a unit


def _t(sources: set[str], target: str, unit: str | None = None, needs_unit: bool = False) -> Transition:
    return Transition(frozenset(sources), target, unit, needs_unit)


TRANSITIONS: Mapping[str, Transition] = MappingProxyType(
    {
        ACKNOWLEDGE: _t({RECEIVED, DISPATCHED}, ACKNOWLEDGED),
        # from assigned/en_route it is a reassignment: the new unit takes it, the old one is released
        ASSIGN: _t({RECEIVED, DISPATCHED, ACKNOWLEDGED, ASSIGNED, EN_ROUTE}, ASSIGNED, TAKE),
        GO_EN_ROUTE: _t({ASSIGNED}, EN_ROUTE, KEEP_RESPONDING, needs_unit=True),
        ARRIVE: _t({ASSIGNED, EN_ROUTE}, ON_SCENE, KEEP_ON_SCENE, needs_unit=True),
        RESOLVE: _t({ACKNOWLEDGED, ASSIGNED, EN_ROUTE, ON_SCENE, ESCALATED}, RESOLVED, RELEASE),
        MARK_FALSE_ALARM: _t(
            {RECEIVED, DISPATCHED, ACKNOWLEDGED, ASSIGNED, EN_ROUTE, ON_SCENE, ESCALATED},
            FALSE_ALARM,
            RELEASE,
        ),
        CANCEL: _t({RECEIVED, DISPATCHED, ACKNOWLEDGED, ASSIGNED, EN_ROUTE, ESCALATED}, CANCELLED, RELEASE),
        ESCALATE: _t({RECEIVED, DISPATCHED, ACKNOWLEDGED, ASSIGNED, EN_ROUTE, ON_SCENE}, ESCALATED, RELEASE),
    }
)
ACTIONS: tuple[str, ...] = tuple(TRANSITIONS)

# Who may take which action. Police act only on their own unit's assignment (OWN_ASSIGNMENT, route table).
ROLE_ACTIONS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "operator": frozenset(ACTIONS),
        "admin": frozenset(ACTIONS),
        "police": frozenset({GO_EN_ROUTE, ARRIVE, RESOLVE}),
    }
)
# The role an actor acts in, when they have several. response_team acts only on silent alerts (their own
# lifecycle, vigia.silent.lifecycle), and on a silent alert only response_team acts, whatever else they are.
ROLE_PRECEDENCE = ("admin", "operator", "police", "response_team")


def timeline_entry(action: str, at: str, actor: Actor, status: str, note: str | None) -> dict[str, Any]:
    """The timeline's record of a step (public or silent): what, when, who, the status it left, the note."""
    entry: dict[str, Any] = {
        "action": action,
        "at": at,
        "actor_role": actor.role,
        "actor_id": actor.user_id,
        "status": status,
    }
    if note:
        entry["note"] = note
    return entry


def stamp_field(status: str) -> str:
    """The alert attribute that records when `status` was first reached (received: created_at)."""
    return "created_at" if status == RECEIVED else f"{status}_at"


def allowed_actions(status: str, *, has_unit: bool, role: str | None = None) -> tuple[str, ...]:
    """The actions that can be taken on an alert in `status` (by `role`, if given), in table order."""
    permitted = ROLE_ACTIONS.get(role, frozenset()) if role else frozenset(ACTIONS)
    return tuple(
        action
        for action, t in TRANSITIONS.items()
        if status in t.sources and (has_unit or not t.needs_unit) and action in permitted
    )


# ------------------------------------------------------------------ what the lifecycle reads
@dataclass(frozen=True)
class Incident:
    """An alert as the lifecycle sees it."""

    alert_id: str
    type: str
    priority: int
    silent: bool
    sender_id: str
    created_at: str
    status: str
    block_id: str | None = None
    quadrant_id: str | None = None
    lat: float | None = None
    lon: float | None = None
    unit_id: str | None = None
    stamps: Mapping[str, str] = field(default_factory=dict, hash=False)  # status → first reached at
    timeline: tuple[Mapping[str, Any], ...] = field(default=(), hash=False)
    dispatch_time_s: float | None = None
    response_time_s: float | None = None
    met_target: bool | None = None
    outcome: str | None = None  # a silent alert closed by the response team (vigia.silent.lifecycle)
    # a visitor alert's origin (partner, remote_id, report): its steps go back to the partner as CAP Updates
    visitor: Mapping[str, str] | None = field(default=None, hash=False)

    @property
    def is_open(self) -> bool:
        return self.status not in TERMINAL and self.status != SILENT_CLOSED

    def last_at(self) -> str:
        times = [self.created_at, *self.stamps.values(), *(str(e.get("at") or "") for e in self.timeline)]
        return max(t for t in times if t)


@dataclass(frozen=True)
class Unit:
    """A police unit's live state (its item; a unit never touched is available with no crew)."""

    unit_id: str
    status: str = AVAILABLE
    alert_id: str | None = None
    crew: frozenset[str] = frozenset()
    updated_at: str | None = None

    def busy_with(self) -> str | None:
        return self.alert_id if self.status in (RESPONDING, UNIT_ON_SCENE) and self.alert_id else None


@dataclass(frozen=True)
class Actor:
    user_id: str
    role: str  # the role they act in (ROLE_PRECEDENCE)
    own_assignment_only: bool = False  # police: only alerts their unit has
    roles: frozenset[str] = frozenset()  # every role they have (a silent alert asks for response_team)


# ------------------------------------------------------------------ what a step writes
@dataclass(frozen=True)
class UnitMove:
    """Sets a unit's status (and the alert it has), on the condition it still has `expect_alert_id`."""

    unit_id: str
    status: str
    alert_id: str | None  # the alert the unit has after the move (None: free)
    expect_alert_id: str | None  # the condition: the alert it has now (None: it is free)
    expect_free_status: bool = (
        False  # with expect_alert_id None: also that it is available, not out of service
    )
    crew_member: str | None = None  # the condition: this police officer is in its crew


@dataclass(frozen=True)
class Step:
    alert_id: str
    action: str
    from_status: str
    to_status: str
    accept_from: frozenset[str]  # the condition on the alert's status when the write lands
    expect_unit_id: str | None  # the condition on the alert's unit (the one the plan saw)
    at: str
    sets: Mapping[str, Any]  # alert attributes to set
    entry: Mapping[str, Any]  # the timeline entry to append
    unit_moves: tuple[UnitMove, ...] = ()
    unit_id: str | None = None  # the unit that has the alert after the step

    @property
    def closes(self) -> bool:
        return self.to_status in TERMINAL


def seconds_between(start: str, end: str) -> float:
    return round((clock.parse_iso(end) - clock.parse_iso(start)).total_seconds(), 3)


def _later(now: datetime, incident: Incident) -> str:
    """Now, or the incident's last moment if a clock behind it would put the step before what came first."""
    return max(clock.iso(now), incident.last_at())


def plan(
    incident: Incident,
    action: str,
    *,
    actor: Actor,
    now: datetime,
    response_target_s: int,
    units: Mapping[str, Unit],
    unit_id: str | None = None,
    note: str | None = None,
    known_units: frozenset[str] | None = None,
) -> Step:
    """The step `action` makes, or the domain error a caller sees (400 bad request, 403 role, 409 status).

    `units` holds the live state of `unit_id` (absent: available, no crew) and, when it was read, of the
    alert's own unit.
    """
    transition = TRANSITIONS.get(action)
    if transition is None and actor.role in ROLE_ACTIONS:
        raise InvalidRequest(
            f"Unknown action {action!r}; one of {', '.join(ACTIONS)}.",
            errors=[FieldError("/action", "unknown action")],
        )
    if transition is None or action not in ROLE_ACTIONS.get(actor.role, frozenset()):
        raise Forbidden(
            f"A {actor.role} cannot {action.replace('_', ' ')} an alert; "
            f"allowed: {', '.join(sorted(ROLE_ACTIONS.get(actor.role, ()))) or 'none'}.",
            allowed_actions=sorted(ROLE_ACTIONS.get(actor.role, ())),
        )
    if action == ASSIGN:
        if not unit_id:
            raise InvalidRequest(
                "Assigning needs the unit: give unit_id.",
                errors=[FieldError("/unit_id", "required to assign")],
            )
        if known_units is not None and unit_id not in known_units:
            raise InvalidRequest(
                f"Unknown unit {unit_id!r}; the city's units are {', '.join(sorted(known_units))}.",
                errors=[FieldError("/unit_id", "unknown unit")],
            )
    elif unit_id:
        raise InvalidRequest(
            f"unit_id is only for assign, not {action}.", errors=[FieldError("/unit_id", "only for assign")]
        )
    if actor.own_assignment_only:
        # checked before the status, so an officer learns nothing from another unit's alert but "not yours";
        # the write's condition checks the crew again, in case it changes meanwhile
        crew = units.get(incident.unit_id) if incident.unit_id else None
        if incident.unit_id is None or (crew is not None and actor.user_id not in crew.crew):
            raise Forbidden("This alert is not assigned to your unit.")

    has_unit = incident.unit_id is not None
    if incident.status not in transition.sources or (transition.needs_unit and not has_unit):
        allowed = allowed_actions(incident.status, has_unit=has_unit, role=actor.role)
        raise Conflict(
            f"Cannot {action.replace('_', ' ')} an alert that is {incident.status.replace('_', ' ')}"
            + (" and has no unit" if transition.needs_unit and not has_unit else "")
            + f"; allowed now: {', '.join(allowed) or 'nothing (it is closed)'}.",
            alert_status=incident.status,
            allowed_actions=list(allowed),
        )

    at = _later(now, incident)
    target = transition.target
    sets: dict[str, Any] = {"status": target}
    field_name = stamp_field(target)
    if field_name not in ("created_at",) and target not in incident.stamps:
        sets[field_name] = at
    if target in TERMINAL:
        sets["queue_status"] = "closed"

    moves: list[UnitMove] = []
    unit_after = incident.unit_id
    if transition.unit == TAKE:
        assert unit_id is not None
        if unit_id == incident.unit_id:
            raise Conflict(
                f"Unit {unit_id} already has this alert.",
                alert_status=incident.status,
                allowed_actions=list(allowed_actions(incident.status, has_unit=True, role=actor.role)),
            )
        taken = units.get(unit_id) or Unit(unit_id)
        if taken.status == OUT_OF_SERVICE:
            raise Conflict(f"Unit {unit_id} is out of service.", unit_status=taken.status)
        busy = taken.busy_with()
        if busy is not None and busy != incident.alert_id:
            raise Conflict(
                f"Unit {unit_id} is {taken.status.replace('_', ' ')} on alert {busy}.",
                unit_status=taken.status,
                unit_alert_id=busy,
            )
        moves.append(
            UnitMove(
                unit_id,
                RESPONDING,
                incident.alert_id,
                expect_alert_id=taken.alert_id,
                expect_free_status=taken.alert_id is None,
            )
        )
        if incident.unit_id is not None:
            moves.extend(_release(incident, units))
        sets["unit_id"] = unit_id
        unit_after = unit_id
        if incident.dispatch_time_s is None:
            sets["dispatch_time_s"] = seconds_between(incident.created_at, at)
    elif transition.unit in (KEEP_RESPONDING, KEEP_ON_SCENE) and incident.unit_id is not None:
        if _still_has(incident, units):
            moves.append(
                UnitMove(
                    incident.unit_id,
                    RESPONDING if transition.unit == KEEP_RESPONDING else UNIT_ON_SCENE,
                    incident.alert_id,
                    expect_alert_id=incident.alert_id,
                    crew_member=actor.user_id if actor.own_assignment_only else None,
                )
            )
        if target == ON_SCENE and incident.response_time_s is None:
            response = seconds_between(incident.created_at, at)
            sets["response_time_s"] = response
            sets["met_target"] = response <= response_target_s
    elif transition.unit == RELEASE and incident.unit_id is not None:
        moves.extend(
            _release(incident, units, crew_member=actor.user_id if actor.own_assignment_only else None)
        )

    entry = timeline_entry(action, at, actor, target, note)
    if action == ASSIGN:
        entry["unit_id"] = unit_id
    accept = (
        _BEFORE_DISPATCH & transition.sources
        if incident.status in _BEFORE_DISPATCH
        else frozenset({incident.status})
    )
    return Step(
        alert_id=incident.alert_id,
        action=action,
        from_status=incident.status,
        to_status=target,
        accept_from=accept,
        expect_unit_id=incident.unit_id,
        at=at,
        sets=MappingProxyType(sets),
        entry=MappingProxyType(entry),
        unit_moves=tuple(moves),
        unit_id=unit_after,
    )


def _still_has(incident: Incident, units: Mapping[str, Unit]) -> bool:
    """Whether the alert's unit still has it: assumed when its state was not read (the write's condition
    checks it); a unit read to have moved on (freed when the sender cancelled) is left alone."""
    assert incident.unit_id is not None
    current = units.get(incident.unit_id)
    return current is None or current.alert_id == incident.alert_id


def _release(incident: Incident, units: Mapping[str, Unit], crew_member: str | None = None) -> list[UnitMove]:
    """Frees the alert's unit, if the unit still has this alert (it may have moved on already)."""
    assert incident.unit_id is not None
    if not _still_has(incident, units):
        return []
    return [
        UnitMove(
            incident.unit_id, AVAILABLE, None, expect_alert_id=incident.alert_id, crew_member=crew_member
        )
    ]


def apply(incident: Incident, step: Step) -> Incident:
    """The incident as it is after `step` (what the store will hold); used by tests and the answer."""
    stamps = dict(incident.stamps)
    for status in STATUSES:
        name = stamp_field(status)
        if name in step.sets and status != RECEIVED:
            stamps[status] = step.sets[name]
    return Incident(
        alert_id=incident.alert_id,
        type=incident.type,
        priority=incident.priority,
        silent=incident.silent,
        sender_id=incident.sender_id,
        created_at=incident.created_at,
        status=step.to_status,
        block_id=incident.block_id,
        quadrant_id=incident.quadrant_id,
        lat=incident.lat,
        lon=incident.lon,
        unit_id=step.unit_id,
        stamps=stamps,
        timeline=(*incident.timeline, dict(step.entry)),
        dispatch_time_s=step.sets.get("dispatch_time_s", incident.dispatch_time_s),
        response_time_s=step.sets.get("response_time_s", incident.response_time_s),
        met_target=step.sets.get("met_target", incident.met_target),
    )


def acting_as(user_id: str, roles: frozenset[str]) -> Actor | None:
    """How a caller acts on incidents: the first of their roles that may act; police only on their unit's."""
    for role in ROLE_PRECEDENCE:
        if role in roles:
            return Actor(user_id, role, own_assignment_only=role == "police", roles=frozenset(roles))
    return None


def view(incident: Incident, *, staff: bool) -> dict[str, Any]:
    """What GET /v1/alerts/{id} adds about the lifecycle; a resident sees steps, not who took them."""
    timeline = sorted(incident.timeline, key=lambda e: str(e.get("at") or ""))
    entries = []
    for e in timeline:
        entry = {"action": e.get("action"), "at": e.get("at"), "actor_role": e.get("actor_role")}
        if staff:
            actor = e.get("actor_id") or e.get("actor")
            entry.update({"actor_id": actor, "note": e.get("note"), "unit_id": e.get("unit_id")})
            entry = {k: v for k, v in entry.items() if v is not None}
        entries.append(entry)
    out: dict[str, Any] = {
        "status": incident.status,
        "timeline": entries,
        "times": {
            RECEIVED: incident.created_at,
            **{s: incident.stamps[s] for s in STATUSES if s in incident.stamps and s != RECEIVED},
        },
    }
    if staff:
        out["unit_id"] = incident.unit_id
        out["queue_status"] = "closed" if incident.status in TERMINAL else "open"
    for name in ("dispatch_time_s", "response_time_s", "met_target"):
        value = getattr(incident, name)
        if value is not None:
            out[name] = value
    return out
