"""A silent alert's own lifecycle, run by the response team alone: acknowledge, contact, request_police,
close.

Pure, like incidents.lifecycle: `plan()` returns the same Step the incident store writes (one transaction,
the step's `from` status as the condition). Nobody but the response team may take any action on a silent
alert, and none of these steps ever involves a community-police assignment or the public dispatcher.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from types import MappingProxyType
from typing import Any

from vigia.errors import Conflict, FieldError, Forbidden, InvalidRequest
from vigia.incidents.lifecycle import (
    DISPATCHED,
    RECEIVED,
    Actor,
    Incident,
    Step,
    _later,
    stamp_field,
    timeline_entry,
)

RESPONSE_TEAM = "response_team"
RULE = "silent-alert-belongs-to-response-team"  # named in every 403 (docs/silent-alarms.md)

# ------------------------------------------------------------------ statuses
ACKNOWLEDGED = "acknowledged"  # someone of the team has it
IN_CONTACT = "in_contact"  # the team reached her (or is trying)
CLOSED = "closed"  # the team closed it with an outcome: off GET /v1/silent-alerts
STATUSES: tuple[str, ...] = (RECEIVED, DISPATCHED, ACKNOWLEDGED, IN_CONTACT, CLOSED)
OPEN = frozenset(STATUSES) - {CLOSED}
# Stamped the first time each is reached (received is created_at).
POLICE_REQUESTED = (
    "police_requested"  # not a status: stamped (police_requested_at) the first time police are asked
)
ACK_REMINDED = (
    "ack_reminded"  # not a status: the ack watch sent it to the team again (vigia.silent.ack_watch)
)
STAMPED: tuple[str, ...] = (ACKNOWLEDGED, IN_CONTACT, CLOSED, POLICE_REQUESTED, ACK_REMINDED)

# ------------------------------------------------------------------ actions
ACKNOWLEDGE, CONTACT, REQUEST_POLICE, CLOSE = "acknowledge", "contact", "request_police", "close"
OUTCOMES: tuple[str, ...] = ("safe", "referred", "unreachable", "no_action_needed")
KEEP = None  # the target of an action that records itself but keeps the status


@dataclass(frozen=True)
class SilentTransition:
    sources: frozenset[str]
    target: str | None  # KEEP: the status stays; the step is recorded in the timeline and stamped
    stamp: str | None = None  # what a KEEP step stamps the first time (`<stamp>_at`)


TRANSITIONS: Mapping[str, SilentTransition] = MappingProxyType(
    {
        ACKNOWLEDGE: SilentTransition(frozenset({RECEIVED, DISPATCHED}), ACKNOWLEDGED),
        CONTACT: SilentTransition(frozenset({RECEIVED, DISPATCHED, ACKNOWLEDGED}), IN_CONTACT),
        # at any point before closing, as often as the team needs (another car, her contact shared later)
        REQUEST_POLICE: SilentTransition(frozenset(OPEN), KEEP, stamp=POLICE_REQUESTED),
        CLOSE: SilentTransition(frozenset(OPEN), CLOSED),
    }
)
ACTIONS: tuple[str, ...] = tuple(TRANSITIONS)
# Who may take which action on a silent alert: the response team, all of them; nobody else, none.
ROLE_ACTIONS: Mapping[str, frozenset[str]] = MappingProxyType({RESPONSE_TEAM: frozenset(ACTIONS)})


def allowed_actions(status: str, role: str | None = RESPONSE_TEAM) -> tuple[str, ...]:
    """What `role` may do now on a silent alert in `status`, in table order (nothing for any other role)."""
    permitted = ROLE_ACTIONS.get(role or "", frozenset())
    return tuple(a for a, t in TRANSITIONS.items() if status in t.sources and a in permitted)


@dataclass(frozen=True)
class PoliceRequest:
    """What `request_police` asks of the Silent router: the place to police; her contact only if shared."""

    share_contact: bool
    unit_id: str | None
    reason: str


def refuse_others(actor: Actor, action: str) -> None:
    """403 naming the rule for anyone but the response team, whatever the action."""
    if actor.role != RESPONSE_TEAM:
        raise Forbidden(
            f"A silent alert belongs to the response team, from the tap to its close: a {actor.role} "
            f"cannot {action.replace('_', ' ')} it.",
            rule=RULE,
            allowed_actions=[],
        )


def plan(
    incident: Incident,
    action: str,
    *,
    actor: Actor,
    now: datetime,
    outcome: str | None = None,
    unit_id: str | None = None,
    share_contact: bool | None = None,
    reason: str | None = None,
    note: str | None = None,
    known_units: frozenset[str] | None = None,
) -> Step:
    """The step `action` makes on a silent alert, or the error a caller sees (403 rule, 400, 409 now)."""
    refuse_others(actor, action)
    transition = TRANSITIONS.get(action)
    if transition is None:
        # 409, not 400: the action is one of the API's; this alert's own lifecycle (silent) has no such step
        raise Conflict(
            f"A silent alert takes {', '.join(ACTIONS)}; not {action!r}.",
            allowed_actions=list(allowed_actions(incident.status)),
        )
    if action == CLOSE:
        if outcome not in OUTCOMES:
            raise InvalidRequest(
                f"Closing a silent alert needs an outcome: one of {', '.join(OUTCOMES)}.",
                errors=[
                    FieldError("/outcome", "required to close" if outcome is None else "unknown outcome")
                ],
            )
    elif outcome is not None:
        raise InvalidRequest("outcome is only for close.", errors=[FieldError("/outcome", "only for close")])
    if action == REQUEST_POLICE:
        if not (reason or "").strip():
            raise InvalidRequest(
                "Requesting police opens her alert to them: say why in the X-Reason header (audited).",
                errors=[FieldError("/X-Reason", "required for request_police")],
            )
        if unit_id and known_units is not None and unit_id not in known_units:
            raise InvalidRequest(
                f"Unknown unit {unit_id!r}; the city's units are {', '.join(sorted(known_units))}.",
                errors=[FieldError("/unit_id", "unknown unit")],
            )
    else:
        if unit_id:
            raise InvalidRequest(
                f"unit_id is only for request_police on a silent alert, not {action}.",
                errors=[FieldError("/unit_id", "only for request_police")],
            )
        if share_contact is not None:
            raise InvalidRequest(
                "share_contact is only for request_police.",
                errors=[FieldError("/share_contact", "only for request_police")],
            )
    if incident.status not in transition.sources:
        allowed = allowed_actions(incident.status)
        raise Conflict(
            f"Cannot {action.replace('_', ' ')} a silent alert that is {incident.status.replace('_', ' ')}"
            f"; allowed now: {', '.join(allowed) or 'nothing (it is closed)'}.",
            alert_status=incident.status,
            allowed_actions=list(allowed),
        )

    at = _later(now, incident)
    target = transition.target or incident.status
    sets: dict[str, Any] = {"status": target}
    if transition.target is not None and target not in incident.stamps:
        sets[stamp_field(target)] = at
    if transition.stamp and transition.stamp not in incident.stamps:
        sets[stamp_field(transition.stamp)] = at
    if target == CLOSED:
        sets["queue_status"] = "closed"  # off GET /v1/silent-alerts (and the operators' open queue)
        sets["outcome"] = outcome
    entry = timeline_entry(action, at, actor, target, note)
    if outcome:
        entry["outcome"] = outcome
    if action == REQUEST_POLICE:
        entry["share_contact"] = bool(share_contact)
        if unit_id:
            entry["unit_id"] = unit_id  # the car police were asked to send: never the alert's unit
    # The router moves received → dispatched at any moment: a step that sets a new status may land on
    # either; a step that keeps the status must find the one it keeps.
    accept = (
        frozenset({RECEIVED, DISPATCHED}) & transition.sources
        if incident.status in (RECEIVED, DISPATCHED) and transition.target is not None
        else frozenset({incident.status})
    )
    return Step(
        alert_id=incident.alert_id,
        action=action,
        from_status=incident.status,
        to_status=target,
        accept_from=accept,
        expect_unit_id=None,  # a silent alert never has a unit
        at=at,
        sets=MappingProxyType(sets),
        entry=MappingProxyType(entry),
    )


def apply(incident: Incident, step: Step) -> Incident:
    """The silent alert as it is after `step` (what the store now holds)."""
    stamps = dict(incident.stamps)
    for name in STAMPED:
        if stamp_field(name) in step.sets:
            stamps[name] = step.sets[stamp_field(name)]
    return replace(
        incident,
        status=step.to_status,
        stamps=stamps,
        timeline=(*incident.timeline, dict(step.entry)),
        outcome=step.sets.get("outcome", incident.outcome),
    )


def view(incident: Incident) -> dict[str, Any]:
    """What the response team's answer to a step says: status, stamps, outcome, the timeline (no identity)."""
    timeline = sorted(incident.timeline, key=lambda e: str(e.get("at") or ""))
    return {
        "alert_id": incident.alert_id,
        "silent": True,
        "status": incident.status,
        "outcome": incident.outcome,
        "times": {
            RECEIVED: incident.created_at,
            **{s: incident.stamps[s] for s in STAMPED if s in incident.stamps},
        },
        "timeline": [{k: v for k, v in dict(e).items() if v is not None} for e in timeline],
        "allowed_actions": list(allowed_actions(incident.status)),
        "queue_status": "closed" if incident.status == CLOSED else "open",
    }
