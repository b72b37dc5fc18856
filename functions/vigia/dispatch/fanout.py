"""Running an alert's protocol: read what the protocol needs, record every delivery, enqueue, mark dispatched.

Each step is safe to repeat: deliveries are recorded with a condition, a task enqueued twice is
sent once (see sending.py), and the alert is marked dispatched only after every task is enqueued —
so a crash anywhere means SQS hands the event back and the dispatch finishes, never doubles.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from vigia import clock
from vigia.alerts.model import Alert
from vigia.city import CityPack
from vigia.dispatch import protocol, roaming
from vigia.dispatch.protocol import Delivery, Neighbour, Plan, Sender, Told
from vigia.dispatch.sending import CANCELLED, SENDING, SENT

CANCELLED_ALERT = "cancelled"


class AlertNotFound(Exception):
    """The event names an alert the store does not have: refused, so it lands in the DLQ."""


class SilentAlertRefused(Exception):
    """The public dispatcher never touches a silent alert (its place is sealed, its people are the response
    team's): an event about one is refused without reading or writing it, so it lands in the DLQ."""


class UnknownAlertType(Exception):
    """The alert's type is not in the city pack (the pack changed under a queued alert)."""


@dataclass(frozen=True)
class DispatchState:
    alert: Alert
    dispatched_at: str | None
    cancelled_at: str | None
    first_attempt: bool = False  # no earlier attempt can have recorded deliveries for this alert
    fanned_out_at: str | None = None  # the protocol ran on an alert that had moved on (no dispatched_at)

    @property
    def done(self) -> bool:
        """The protocol has run to the end once: a repeat of the event changes nothing."""
        return bool(self.dispatched_at or self.fanned_out_at)


class DispatchInProgress(Exception):
    """Another attempt holds the alert's dispatch lease; SQS hands the event back after it ends."""


@dataclass(frozen=True)
class RecordedDelivery:
    key: str
    kind: str
    channel: str
    target: str
    recipient: str
    locale: str | None
    status: str


class DispatchStore(Protocol):
    def alert(self, alert_id: str) -> DispatchState | None: ...

    def begin(self, alert_id: str, *, now_s: float, lease_s: int) -> DispatchState | None:
        """Takes the alert's dispatch lease (one attempt at a time) and counts the attempt; None if no
        such alert. Raises DispatchInProgress while another attempt holds the lease."""
        ...

    def release(self, alert_id: str) -> None:
        """Gives the lease back after a failed attempt, so the retry need not wait for it to expire."""
        ...

    def sender(self, user_id: str) -> Sender | None: ...

    def neighbours(self, block_id: str) -> list[Neighbour]:
        """Approved residents whose home block is `block_id` (an index Query, never a Scan)."""
        ...

    def record(self, deliveries: Sequence[Delivery], *, at: str, fresh: bool = False) -> None:
        """Puts each delivery `queued` unless it is already recorded (a condition, never an overwrite).
        `fresh`: the first attempt of an alert, under its lease: nothing can be recorded yet, so the
        records go in batches of 25 (one call each) instead of one conditional put each."""
        ...

    def mark_dispatched(self, alert_id: str, *, at: str) -> str:
        """Marks the fan-out done; stamps dispatched_at (and status received → dispatched) only while the
        alert is still `received`: lifecycle times stay in lifecycle order. Returns the status after."""
        ...

    def deliveries(self, alert_id: str) -> list[RecordedDelivery]: ...

    def withdraw(self, alert_id: str, key: str, *, at: str) -> bool:
        """queued/failed → cancelled so no sender sends it; False when it already went (or is going) out."""
        ...


class TaskQueues(Protocol):
    def enqueue(self, deliveries: Sequence[Delivery]) -> None:
        """Sends each delivery to its channel's queue, in batches of ten."""
        ...


@dataclass(frozen=True)
class Outcome:
    alert_id: str
    result: str  # dispatched | already_dispatched | cancelled_before_dispatch | cancellation_sent
    counts: dict[str, int]
    notes: tuple[str, ...] = ()


def _counts(plan: Plan) -> dict[str, int]:
    return {channel: len(items) for channel, items in sorted(plan.by_channel().items())}


DISPATCH_LEASE_S = 45  # longer than DispatchFunction's timeout (30 s): an attempt past it is dead


def dispatch_alert(
    alert_id: str, *, pack: CityPack, store: DispatchStore, queues: TaskQueues, now: datetime
) -> Outcome:
    state = store.begin(alert_id, now_s=now.timestamp(), lease_s=DISPATCH_LEASE_S)
    if state is None:
        raise AlertNotFound(alert_id)
    try:
        outcome = _run_protocol(state, pack=pack, store=store, queues=queues, now=now)
    except Exception:
        with contextlib.suppress(Exception):  # if this fails too, the lease expires on its own
            store.release(alert_id)
        raise
    if outcome.result != "dispatched":  # nothing marked it: give the lease back, or a repeat of the event
        store.release(alert_id)  # (a relay that published twice) fails DispatchInProgress until it expires
    return outcome


def _run_protocol(
    state: DispatchState, *, pack: CityPack, store: DispatchStore, queues: TaskQueues, now: datetime
) -> Outcome:
    alert_id = state.alert.alert_id
    if state.done:
        return Outcome(alert_id, "already_dispatched", {})
    alert = state.alert
    if state.cancelled_at or alert.status == CANCELLED_ALERT:
        return Outcome(alert_id, "cancelled_before_dispatch", {})
    alert_type = pack.alert_types.get(alert.type)
    if alert_type is None:
        raise UnknownAlertType(alert.type)
    if alert.roaming:  # raised in a partner city: the partner's protocol runs there, not ours here
        plan = roaming.plan_roaming(alert, alert_type, pack, sender=store.sender(alert.sender_id))
    else:
        steps, _ = protocol.steps_to_run(alert, alert_type)
        sender = _sender_of(alert, store) if protocol.needs_sender(steps) else None
        neighbours: list[Neighbour] = []
        if protocol.needs_neighbours(steps) and alert.block_id:
            neighbours = store.neighbours(alert.block_id)
        plan = protocol.plan_alert(alert, alert_type, pack, sender=sender, neighbours=neighbours)
    at = clock.iso(now)
    store.record(plan.deliveries, at=at, fresh=state.first_attempt)
    queues.enqueue(plan.deliveries)
    status = store.mark_dispatched(alert_id, at=at)
    if status == CANCELLED_ALERT:  # cancelled while we fanned out: the cancellation may have missed some
        dispatch_cancellation(alert_id, pack=pack, store=store, queues=queues, now=now)
    return Outcome(alert_id, "dispatched", _counts(plan), plan.notes)


def _sender_of(alert: Alert, store: DispatchStore) -> Sender | None:
    """Who the protocol's texts name: the resident who sent it, or, for a visitor alert (docs/roaming.md),
    the caller name and callback phone of the partner's Report. A visitor has no home here, so no address:
    the texts never say "at her home"."""
    if alert.visitor is not None:
        visitor = alert.visitor
        return Sender(alert.sender_id, visitor.caller_name, visitor.callback_phone, address="", locale=None)
    return store.sender(alert.sender_id)


def dispatch_cancellation(
    alert_id: str, *, pack: CityPack, store: DispatchStore, queues: TaskQueues, now: datetime
) -> Outcome:
    """Withdraws what has not gone out yet and tells everyone who was told that the alert is cancelled."""
    state = store.alert(alert_id)
    if state is None:
        raise AlertNotFound(alert_id)
    alert = state.alert
    alert_type = pack.alert_types.get(alert.type)
    if alert_type is None:
        raise UnknownAlertType(alert.type)
    at = clock.iso(now)
    told: list[Told] = []
    for record in store.deliveries(alert_id):
        if record.kind != protocol.ALERT or record.status == CANCELLED:
            continue
        # Not out yet: withdraw it. If the withdrawal loses the race, a sender got there first.
        went_out = record.status in (SENT, SENDING) or not store.withdraw(alert_id, record.key, at=at)
        if went_out or record.channel == protocol.SIREN:  # a stop is harmless; a siren left sounding is not
            told.append(Told(record.channel, record.target, record.recipient, record.locale))
    cancelled_at = clock.parse_iso(state.cancelled_at) if state.cancelled_at else now
    plan = protocol.plan_cancel(alert, alert_type, pack, told, cancelled_at=cancelled_at)
    for partner in dict.fromkeys(t.recipient for t in told if t.channel == protocol.FEDERATION):
        cancel = roaming.plan_cancel(alert, pack, partner, cancelled_at=cancelled_at)
        plan = Plan(plan.deliveries + cancel.deliveries, plan.notes)
    store.record(plan.deliveries, at=at)
    queues.enqueue(plan.deliveries)
    return Outcome(alert_id, "cancellation_sent", _counts(plan), plan.notes)
