"""What running an incident reads and writes through: the stores' and the notifier's Protocols (the adapters
implement them, tests pass fakes) and the records a step's one transaction carries."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from vigia.dispatch.protocol import Delivery
from vigia.incidents.lifecycle import Incident, Step, Unit
from vigia.incidents.standing import Standing
from vigia.silent import lifecycle as silent_lifecycle


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


class StandingStore(Protocol):
    def standing(self, user_id: str) -> Standing | None: ...

    def review(self, change: StandingChange, *, audit: AuditNote, deliveries: Sequence[Delivery]) -> None:
        """The change, its audit entry and its notice in one transaction; StepRefused("resident") if the
        resident's status moved meanwhile."""
        ...
