"""Running an incident: read once, plan the step (lifecycle.plan), write it in one transaction, notify.

Every function takes its stores as arguments (the adapters implement the Protocols below), so tests pass
fakes or the emulator. The AWS calls an action costs: one read, one transaction, and at most one enqueue.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

from vigia import clock
from vigia.city import CityPack
from vigia.dispatch.protocol import Delivery
from vigia.errors import Conflict, FieldError, Forbidden, InvalidRequest, NotFound
from vigia.incidents import lifecycle, notices, standing
from vigia.incidents.lifecycle import Actor, Incident, Step, Unit
from vigia.incidents.standing import Standing, StrikeOutcome
from vigia.silent import lifecycle as silent_lifecycle

FALSE_ALARM_POLICY_ACTOR = "false_alarm_policy"


@dataclass(frozen=True)
class AuditNote:
    """One audit entry the step's transaction writes (see adapters/audit.py)."""

    actor_id: str
    actor_role: str
    action: str
    target_type: str  # "alert", "resident" or "unit"
    target_id: str
    reason: str | None = None


@dataclass(frozen=True)
class StandingChange:
    """A resident's item after a strike or a review, written on the condition it still has `expect_status`
    and `expect_strikes` strikes (so two concurrent false alarms cannot both miss a suspension).

    `strike` is the one false alarm this change adds: appended to the stored list (never a rewrite of it), so
    a strike written without `expect_strikes` (a resident who is not approved) cannot erase another."""

    user_id: str
    expect_status: str
    status: str
    at: str
    strikes: tuple[str, ...] | None = None
    expect_strikes: int | None = None
    strike: str | None = None
    reason: str | None = None
    by: str | None = None
    strikes_reset: bool = False


@dataclass(frozen=True)
class Loaded:
    incident: Incident | None
    units: Mapping[str, Unit] = field(default_factory=dict)


class StepRefused(Exception):
    """A condition of the step's transaction failed: `what` is "alert", "unit" (with its id) or "resident"."""

    def __init__(self, what: str, unit_id: str | None = None) -> None:
        super().__init__(what)
        self.what = what
        self.unit_id = unit_id


class IncidentStore(Protocol):
    def load(self, alert_id: str, *, unit_ids: Sequence[str] = ()) -> Loaded:
        """The incident and the named units' states, in one read (absent units are left out)."""
        ...

    def incident(self, alert_id: str) -> Incident | None: ...

    def unit(self, unit_id: str) -> Unit: ...

    def standing(self, user_id: str) -> Standing | None: ...

    def write(
        self,
        step: Step,
        *,
        audit: Sequence[AuditNote],
        deliveries: Sequence[Delivery],
        standing_change: StandingChange | None = None,
    ) -> None:
        """The step, its audit entries, its deliveries (queued) and a standing change, in one transaction.
        Raises StepRefused when a condition failed."""
        ...


class Notifier(Protocol):
    def enqueue(self, deliveries: Sequence[Delivery]) -> None: ...

    def announce_cancellation(self, alert_id: str, cancelled_at: str) -> None: ...

    def request_police(self, alert_id: str, request: silent_lifecycle.PoliceRequest, *, at: str) -> None:
        """Hands a silent alert's police request to the Silent router (the one that may unseal it)."""
        ...


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
    for name, value in (("outcome", outcome), ("share_contact", share_contact)):
        if value is not None:
            raise InvalidRequest(
                f"{name} is only for a silent alert's steps.",
                errors=[FieldError(f"/{name}", "silent alerts only")],
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
        raise Conflict("The alert kept changing while we acted; reload it and try again.")

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
                raise Conflict("The alert kept changing while we acted; reload it and try again.") from None
            incident = fresh
    else:  # pragma: no cover - three refusals in a row
        raise Conflict("The alert kept changing while we acted; reload it and try again.")
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
        raise Conflict("The alert kept changing while we acted; reload it and try again.")
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


# ------------------------------------------------------------------ residents: reviews and standing
class StandingStore(Protocol):
    def standing(self, user_id: str) -> Standing | None: ...

    def review(self, change: StandingChange, *, audit: AuditNote, deliveries: Sequence[Delivery]) -> None:
        """The change, its audit entry and its notice in one transaction; StepRefused("resident") if the
        resident's status moved meanwhile."""
        ...


def review_resident(
    user_id: str,
    action: str,
    *,
    actor: Actor,
    reason: str | None,
    pack: CityPack,
    store: StandingStore,
    notifier: Notifier,
    now: datetime,
) -> dict[str, Any]:
    """Reject a pending registration, suspend an approved resident or reinstate a suspended one."""
    current = store.standing(user_id)
    if current is not None and current.status not in standing.RESIDENT_STATUSES:
        current = None  # not a resident's record
    source, target = standing.review(current, action, user_id)
    assert current is not None
    at = clock.iso(now)
    change = StandingChange(
        user_id=user_id,
        expect_status=source,
        status=target,
        at=at,
        reason=reason,
        by=actor.user_id,
        strikes_reset=action == standing.REINSTATE,
    )
    sms = notices.standing_notice(
        about=notices.resident_subject(user_id),
        user_id=user_id,
        phone=current.phone,
        locale=current.locale,
        status=target,
        reason=reason,
        pack=pack,
    )
    deliveries = [sms] if sms is not None else []
    try:
        store.review(
            change,
            audit=AuditNote(actor.user_id, actor.role, action, "resident", user_id, reason),
            deliveries=deliveries,
        )
    except StepRefused:
        now_is = store.standing(user_id)
        standing.review(now_is, action, user_id)  # raises the 409 (or 404) that explains it
        raise Conflict("The resident changed while we acted; try again.") from None
    answer: dict[str, Any] = {"user_id": user_id, "status": target, "at": at}
    if reason:
        answer["reason"] = reason
    if deliveries:
        try:
            notifier.enqueue(deliveries)
            answer["notified"] = True
        except Exception as failure:
            answer["notified"] = False
            answer["notify_error"] = f"the SMS could not be queued ({type(failure).__name__}); it is recorded"
    else:
        answer["notified"] = False
    return answer


# ------------------------------------------------------------------ the queue
@dataclass(frozen=True)
class QueueFilter:
    statuses: frozenset[str]
    types: frozenset[str]
    zones: frozenset[str]
    since: str | None
    closed: bool  # the closed partition (terminal statuses) rather than the open one


def queue_filter(
    *, status: str | None, type_: str | None, since: str | None, zone: str | None, pack: CityPack
) -> QueueFilter:
    """The queue's query parameters checked against the lifecycle and the city pack; 400 names the field."""

    def listed(raw: str | None) -> frozenset[str]:
        return frozenset(x.strip() for x in (raw or "").split(",") if x.strip())

    statuses = listed(status)
    unknown = statuses - set(lifecycle.STATUSES)
    if unknown:
        raise InvalidRequest(
            f"Unknown status {', '.join(sorted(unknown))}; one of {', '.join(lifecycle.STATUSES)}.",
            errors=[FieldError("/status", "unknown status")],
        )
    closed = bool(statuses) and statuses <= lifecycle.TERMINAL
    if statuses and not closed and statuses & lifecycle.TERMINAL:
        raise InvalidRequest(
            "Ask for open statuses or closed ones (resolved, false_alarm, cancelled), not both at once.",
            errors=[FieldError("/status", "mixes open and closed statuses")],
        )
    types = listed(type_)
    if types - set(pack.alert_types):
        raise InvalidRequest(
            f"Unknown alert type {', '.join(sorted(types - set(pack.alert_types)))}.",
            errors=[FieldError("/type", "unknown alert type")],
        )
    zones = listed(zone)
    if zones - set(pack.quadrants):
        raise InvalidRequest(
            f"Unknown zone {', '.join(sorted(zones - set(pack.quadrants)))}; zones are the city's quadrants.",
            errors=[FieldError("/zone", "unknown quadrant")],
        )
    if since is not None:
        try:
            since = clock.iso(clock.parse_iso(since))
        except ValueError:
            raise InvalidRequest(
                f"since must be a UTC ISO-8601 time such as 2026-03-01T12:00:00Z, not {since!r}.",
                errors=[FieldError("/since", "not an ISO-8601 time")],
            ) from None
    return QueueFilter(statuses, types, zones, since, closed)


def queue_item(incident: Incident, *, now: datetime, role: str | None = None) -> dict[str, Any]:
    """One row of the operators' queue; a silent alert shows its zone, never its sender or exact place, and
    offers no action: it is the response team's (`handled_by`)."""
    row: dict[str, Any] = {
        "alert_id": incident.alert_id,
        "type": incident.type,
        "priority": incident.priority,
        "silent": incident.silent,
        "status": incident.status,
        "created_at": incident.created_at,
        "age_s": max(0, int((now - clock.parse_iso(incident.created_at)).total_seconds())),
        "block_id": incident.block_id,
        "quadrant_id": incident.quadrant_id,
        "unit_id": incident.unit_id,
    }
    if incident.silent:
        row["actions"] = []
        row["handled_by"] = silent_lifecycle.RESPONSE_TEAM
    else:
        row["actions"] = list(
            lifecycle.allowed_actions(incident.status, has_unit=incident.unit_id is not None, role=role)
        )
    if not incident.silent and incident.lat is not None:
        row["location"] = {"lat": incident.lat, "lon": incident.lon}
    for name in ("dispatch_time_s", "response_time_s", "met_target"):
        value = getattr(incident, name)
        if value is not None:
            row[name] = value
    return row


def unit_item(unit: Unit, pack: CityPack, *, now: datetime) -> dict[str, Any]:
    """A police unit as operators see it: its live status, its alert, and whether it is on shift now."""
    info = pack.units.get(unit.unit_id)
    local = now.astimezone(pack.zone_info).time()
    return {
        "unit_id": unit.unit_id,
        "name": info.name if info else None,
        "quadrant_id": info.quadrant_id if info else None,
        "status": unit.status,
        "alert_id": unit.alert_id,
        "on_duty": info.on_duty(local) if info else None,
        "crew_size": len(unit.crew),
        "updated_at": unit.updated_at,
    }
