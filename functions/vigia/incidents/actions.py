"""Taking an action on an alert: read once, plan the step, write it in one transaction, notify.

Every function takes its stores as arguments (incidents.stores names them), so tests pass fakes or the
emulator. The AWS calls an action costs: one read, one transaction, and at most one enqueue.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from vigia.city import CityPack
from vigia.dispatch.protocol import Delivery
from vigia.errors import Conflict, Forbidden, NotFound
from vigia.incidents import lifecycle, notices, standing
from vigia.incidents.lifecycle import Actor, Incident, Step, Unit
from vigia.incidents.standing import StrikeOutcome
from vigia.incidents.stores import AuditNote, IncidentStore, Notifier, StandingChange, StepRefused
from vigia.silent import lifecycle as silent_lifecycle

KEPT_CHANGING = "The alert kept changing while we acted; reload it and try again."


@dataclass(frozen=True)
class Outcome:
    incident: Incident
    step: Step
    notified: tuple[str, ...] = ()  # targets told by SMS/webhook (no recipients: they are personal data)
    suspended: bool = False
    notify_error: str | None = None

    def answer(self) -> dict[str, Any]:
        if self.incident.silent:  # the response team's own lifecycle; nothing of her is in it
            silent = {**silent_lifecycle.view(self.incident), "action": self.step.action}
            silent["notified"] = list(self.notified)
            if self.notify_error:
                silent["notify_error"] = self.notify_error
            return silent
        body = {
            "alert_id": self.incident.alert_id,
            "action": self.step.action,
            **lifecycle.view(self.incident, staff=True),
        }
        body["notified"] = list(self.notified)
        if self.suspended:
            body["sender_suspended"] = True
        if self.notify_error:
            body["notify_error"] = self.notify_error
        return body


def take_action(
    alert_id: str,
    action: str,
    *,
    actor: Actor,
    unit_id: str | None,
    note: str | None,
    pack: CityPack,
    store: IncidentStore,
    notifier: Notifier,
    now: datetime,
    outcome: str | None = None,
    share_contact: bool | None = None,
    reason: str | None = None,
) -> Outcome:
    """An operator's or officer's action on an alert: 404 unknown, 403 not theirs, 409 not now.
    A silent alert is the response team's alone (take_silent_action)."""
    loaded = store.load(alert_id, unit_ids=(unit_id,) if unit_id else ())
    incident = loaded.incident
    if incident is None:
        raise NotFound(f"No alert {alert_id}.")
    if incident.silent:
        return take_silent_action(
            incident,
            action,
            actor=actor,
            unit_id=unit_id,
            note=note,
            outcome=outcome,
            share_contact=share_contact,
            reason=reason,
            pack=pack,
            store=store,
            notifier=notifier,
            now=now,
        )
    silent_only = action not in lifecycle.ACTIONS and action in silent_lifecycle.ACTIONS
    given = [name for name, value in (("outcome", outcome), ("share_contact", share_contact)) if value]
    if (silent_only or given) and actor.role in lifecycle.ROLE_ACTIONS:
        # 409, not 400: a step of the API's, but of a silent alert's lifecycle, and this alert is public
        # (a role with no public step, the response team, meets the lifecycle's own 403 below)
        raise Conflict(
            f"{action if silent_only else given[0]} is only for a silent alert's steps; this one is public.",
            allowed_actions=list(
                lifecycle.allowed_actions(
                    incident.status, has_unit=incident.unit_id is not None, role=actor.role
                )
            ),
        )
    units = dict(loaded.units)
    if unit_id and unit_id in units:
        units[unit_id] = _unless_stale(units[unit_id], store)
    if actor.own_assignment_only and incident.unit_id and incident.unit_id not in units:
        units[incident.unit_id] = store.unit(incident.unit_id)  # whose crew may act on it
    known = frozenset(pack.units)
    # a refusal by the resident's item means another strike landed: plan again (standing.step_attempts)
    for attempt in range(standing.step_attempts(pack.settings.false_alarm_policy)):
        step = lifecycle.plan(
            incident,
            action,
            actor=actor,
            now=now,
            response_target_s=pack.settings.response_target_s,
            units=units,
            unit_id=unit_id,
            note=note,
            known_units=known,
        )
        deliveries, strike, change = _consequences(incident, step, actor, pack, store)
        audit = [AuditNote(actor.user_id, actor.role, action, "alert", alert_id, note)]
        if strike is not None and strike.suspend:  # this strike suspends her (not one already suspended)
            assert change is not None
            audit.append(
                AuditNote(
                    actor.user_id,
                    actor.role,
                    standing.SUSPEND,
                    "resident",
                    change.user_id,
                    strike.reason(pack.settings.false_alarm_policy),
                )
            )
        try:
            store.write(step, audit=audit, deliveries=deliveries, standing_change=change)
            break
        except StepRefused as refused:
            incident, units = _after_refusal(refused, incident, units, actor, store, attempt)
    else:  # pragma: no cover - three refusals in a row: the alert keeps changing under us
        raise Conflict(KEPT_CHANGING)

    after = lifecycle.apply(incident, step)
    notified: list[str] = []
    error = None
    if deliveries:
        try:
            notifier.enqueue(deliveries)
            notified = [d.target for d in deliveries]
        except Exception as failure:  # the step is stored: say so, and that the message did not leave
            error = (
                f"the notification could not be queued ({type(failure).__name__}); call the unit or agency"
            )
    if step.to_status == lifecycle.CANCELLED:
        try:
            notifier.announce_cancellation(alert_id, step.at)  # the dispatcher tells everyone who was told
            notified.append("cancellation")
        except Exception as failure:
            error = (
                f"the cancellation is stored but the dispatcher was not told ({type(failure).__name__}): "
                "those already texted do not know it is cancelled"
            )
    return Outcome(after, step, tuple(notified), bool(strike and strike.suspend), error)


def take_silent_action(
    incident: Incident,
    action: str,
    *,
    actor: Actor,
    unit_id: str | None,
    note: str | None,
    outcome: str | None,
    share_contact: bool | None,
    reason: str | None,
    pack: CityPack,
    store: IncidentStore,
    notifier: Notifier,
    now: datetime,
) -> Outcome:
    """The response team's step on a silent alert (403 naming the rule for anyone else, whatever they ask).

    No delivery is queued here and nothing goes to the Dispatch queue: request_police hands the request
    to the Silent router, the only function besides the team's own reads that may open the envelope.
    """
    if silent_lifecycle.RESPONSE_TEAM in actor.roles and actor.role != silent_lifecycle.RESPONSE_TEAM:
        actor = replace(actor, role=silent_lifecycle.RESPONSE_TEAM, own_assignment_only=False)
    for attempt in range(3):
        step = silent_lifecycle.plan(
            incident,
            action,
            actor=actor,
            now=now,
            outcome=outcome,
            unit_id=unit_id,
            share_contact=share_contact,
            reason=reason,
            note=note,
            known_units=frozenset(pack.units),
        )
        audit_reason = reason if action == silent_lifecycle.REQUEST_POLICE else (note or reason)
        audit = [AuditNote(actor.user_id, actor.role, action, "alert", incident.alert_id, audit_reason)]
        try:
            store.write(step, audit=audit, deliveries=())
            break
        except StepRefused:
            fresh = store.incident(incident.alert_id)
            if fresh is None:
                raise NotFound(f"No alert {incident.alert_id}.") from None
            if attempt >= 1 and fresh.status == incident.status:
                raise Conflict(KEPT_CHANGING) from None
            incident = fresh
    else:  # pragma: no cover - three refusals in a row
        raise Conflict(KEPT_CHANGING)
    after = silent_lifecycle.apply(incident, step)
    notified: tuple[str, ...] = ()
    error = None
    if action == silent_lifecycle.REQUEST_POLICE:
        request = silent_lifecycle.PoliceRequest(bool(share_contact), unit_id, str(reason))
        try:
            notifier.request_police(incident.alert_id, request, at=step.at)
            notified = ("police",)
        except Exception as failure:  # the step is stored and audited: say the request did not leave
            error = f"the police request could not be queued ({type(failure).__name__}); call the police unit"
    return Outcome(after, step, notified, False, error)


def _unless_stale(unit: Unit, store: IncidentStore) -> Unit:
    """A unit whose alert was closed without it (the sender cancelled) is available again."""
    busy = unit.busy_with()
    if busy is None:
        return unit
    other = store.incident(busy)
    if other is None or not other.is_open or other.unit_id != unit.unit_id:
        return replace(unit, status=lifecycle.AVAILABLE)  # still has alert_id: the write expects it
    return unit


def _after_refusal(
    refused: StepRefused,
    incident: Incident,
    units: dict[str, Unit],
    actor: Actor,
    store: IncidentStore,
    attempt: int,
) -> tuple[Incident, dict[str, Unit]]:
    """What changed under the step: a new status (409 with the allowed actions), a unit moved on, or a
    concurrent strike (plan again)."""
    fresh = store.incident(incident.alert_id)
    if fresh is None:
        raise NotFound(f"No alert {incident.alert_id}.")
    if refused.what == "unit" and refused.unit_id:
        unit = store.unit(refused.unit_id)
        if actor.own_assignment_only and refused.unit_id == fresh.unit_id and actor.user_id not in unit.crew:
            raise Forbidden("This alert is not assigned to your unit.", alert_unit=fresh.unit_id)
        units[refused.unit_id] = _unless_stale(unit, store)
    elif (
        refused.what == "alert"
        and (fresh.status, fresh.unit_id) == (incident.status, incident.unit_id)
        and attempt >= 1
    ):
        raise Conflict(KEPT_CHANGING)
    return fresh, units


def _consequences(
    incident: Incident, step: Step, actor: Actor, pack: CityPack, store: IncidentStore
) -> tuple[list[Delivery], StrikeOutcome | None, StandingChange | None]:
    """The SMS a step sends and, for a false alarm, the sender's strike (and suspension)."""
    deliveries: list[Delivery] = []
    strike: StrikeOutcome | None = None
    change: StandingChange | None = None
    if step.action == lifecycle.ASSIGN and step.unit_id:
        sms = notices.unit_assignment(incident, step.unit_id, pack)
        if sms is not None:
            deliveries.append(sms)
    if step.action == lifecycle.ESCALATE:
        cap = notices.escalation_to_cad(incident, pack)
        if cap is not None:
            deliveries.append(cap)
    # recorded in the step's own transaction: each status a visitor alert reaches goes back to its partner
    update = notices.partner_update(incident, step.to_status, step.at, pack)
    if update is not None:
        deliveries.append(update)
    if step.action == lifecycle.MARK_FALSE_ALARM and not incident.silent:
        # A silent alert (gender or intrafamily violence) never counts against its sender: a victim must
        # never fear losing the one quiet way to ask for help.
        sender = store.standing(incident.sender_id)
        if sender is not None:
            policy = pack.settings.false_alarm_policy
            strike = standing.add_strike(sender, at=step.at, policy=policy)
            change = StandingChange(
                user_id=sender.user_id,
                expect_status=sender.status,
                status=standing.SUSPENDED if strike.suspend else sender.status,
                at=step.at,
                strikes=strike.strikes,
                strike=step.at,
                expect_strikes=len(sender.strikes) if standing.strike_may_suspend(sender) else None,
                reason=strike.reason(policy) if strike.suspend else None,
                by=actor.user_id if strike.suspend else None,
            )
            if strike.suspend:
                sms = notices.standing_notice(
                    about=incident.alert_id,
                    user_id=sender.user_id,
                    phone=sender.phone,
                    locale=sender.locale,
                    status=standing.SUSPENDED,
                    reason=strike.reason(policy),
                    pack=pack,
                )
                if sms is not None:
                    deliveries.append(sms)
    return deliveries, strike, change
