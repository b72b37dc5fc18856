"""A resident's standing: false-alarm strikes, the city's suspension policy, suspending and reinstating.

Formal registration is how the city keeps false alarms down; this is the other half: a resident whose
alerts keep turning out false (the city pack's `false_alarm_policy`, 3 in 90 days by default) is suspended
automatically and told by SMS whom to call; an operator can reinstate them. Pure: no store, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from vigia import clock
from vigia.city import FalseAlarmPolicy
from vigia.errors import Conflict, NotFound

PENDING, APPROVED, REJECTED, SUSPENDED = "pending", "approved", "rejected", "suspended"
RESIDENT_STATUSES = (PENDING, APPROVED, REJECTED, SUSPENDED)

# Which review takes a resident from which status to which (registrations and standing, one table).
REJECT, SUSPEND, REINSTATE = "reject", "suspend", "reinstate"
REVIEWS = {
    REJECT: (PENDING, REJECTED),
    SUSPEND: (APPROVED, SUSPENDED),
    REINSTATE: (SUSPENDED, APPROVED),
}


@dataclass(frozen=True)
class Standing:
    """What the policy needs to know of a resident (their item in the Residents table)."""

    user_id: str
    status: str
    phone: str | None = None
    locale: str | None = None
    strikes: tuple[str, ...] = ()  # when each false alarm was marked (UTC ISO), oldest first
    strikes_reset_at: str | None = None  # a reinstatement forgives the strikes before it


@dataclass(frozen=True)
class StrikeOutcome:
    strikes: tuple[str, ...]  # the resident's strikes after this one (the whole list, kept for the record)
    counted: int  # strikes inside the policy's window, this one included
    suspend: bool  # the policy suspends the resident now

    def reason(self, policy: FalseAlarmPolicy) -> str:
        """Why the resident was suspended, in the city's words (the pack's automatic_suspension_reason)."""
        return policy.reason_text.format_map({"count": self.counted, "days": policy.window_days})


def counted_strikes(standing: Standing, *, now: datetime, policy: FalseAlarmPolicy) -> int:
    """Strikes inside the window that are not forgiven by a reinstatement."""
    since = clock.iso(now - timedelta(days=policy.window_days))
    if standing.strikes_reset_at and standing.strikes_reset_at > since:
        since = standing.strikes_reset_at
    return sum(1 for at in standing.strikes if at > since)


def add_strike(standing: Standing, *, at: str, policy: FalseAlarmPolicy) -> StrikeOutcome:
    """One more false alarm; whether it tips an approved resident into suspension."""
    strikes = (*standing.strikes, at)
    after = Standing(
        standing.user_id, standing.status, standing.phone, standing.locale, strikes, standing.strikes_reset_at
    )
    counted = counted_strikes(after, now=clock.parse_iso(at), policy=policy)
    return StrikeOutcome(strikes, counted, standing.status == APPROVED and counted >= policy.strikes)


def strike_may_suspend(standing: Standing) -> bool:
    """Only an approved resident's strike can tip a suspension, so only hers is written on the condition that
    no other strike landed since it was read (else it is planned again); anyone else's is simply appended."""
    return standing.status == APPROVED


def step_attempts(policy: FalseAlarmPolicy) -> int:
    """How often a step is planned before giving up: three for the alert changing under it, and one more for
    each strike that can land first (after `policy.strikes` of them she is suspended, and strikes no longer
    wait for each other), so operators marking one resident's alerts at once never get a spurious 409."""
    return 3 + policy.strikes + 1


def review(standing: Standing | None, action: str, user_id: str) -> tuple[str, str]:
    """(from, to) statuses for a review of a resident, or the error: 404 unknown, 409 not in that state."""
    if standing is None:
        raise NotFound(f"No resident {user_id}.")
    source, target = REVIEWS[action]
    if standing.status != source:
        raise Conflict(
            f"Cannot {action} a resident who is {standing.status}; only one who is {source}.",
            resident_status=standing.status,
        )
    return source, target
