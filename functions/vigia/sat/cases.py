"""A SAT case's lifecycle and who may see it, pure: one transition table, one visibility rule."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from vigia.callers import Caller
from vigia.errors import Conflict, FieldError, Forbidden, NotFound, Unprocessable

TEAM = "sat_team"
COORDINATOR = "sat_coordinator"
# open → in_follow_up → re_engaged | transferred | closed; a case may also be closed or transferred before
# any follow-up (the student moved away). The last three end the case: its retention starts then.
TRANSITIONS: Mapping[str, frozenset[str]] = {
    "open": frozenset({"in_follow_up", "transferred", "closed"}),
    "in_follow_up": frozenset({"re_engaged", "transferred", "closed"}),
    "re_engaged": frozenset(),
    "transferred": frozenset(),
    "closed": frozenset(),
}
ENDED = frozenset(s for s, after in TRANSITIONS.items() if not after)
EVENT_KINDS = ("home_visit", "contact", "support", "note")


@dataclass(frozen=True)
class Case:
    case_id: str
    student: str
    school: str
    course: str
    quadrant: str | None
    status: str
    rule: str
    evidence: Mapping[str, Any]
    opened_at: str
    opened_week: str
    updated_at: str
    assigned_to: str | None = None
    outcome: str | None = None
    closed_at: str | None = None

    @property
    def ended(self) -> bool:
        return self.status in ENDED

    def view(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "student": self.student,
            "school": self.school,
            "course": self.course,
            "quadrant": self.quadrant,
            "status": self.status,
            "rule": self.rule,
            "evidence": dict(self.evidence),
            "opened_at": self.opened_at,
            "opened_week": self.opened_week,
            "assigned_to": self.assigned_to,
            "outcome": self.outcome,
            "closed_at": self.closed_at,
            "updated_at": self.updated_at,
            "allowed_statuses": sorted(TRANSITIONS[self.status]),
        }


def may_read(who: Caller, case: Case) -> bool:
    """The coordinator reads every case; a professional only the cases assigned to her. Anyone else: none
    (the route table already refuses them)."""
    if who.has(COORDINATOR):
        return True
    return who.has(TEAM) and case.assigned_to == who.user_id


def visible(who: Caller, case: Case | None, case_id: str) -> Case:
    """The case if `who` may read it; 404 otherwise, so a professional learns nothing of another's case."""
    if case is None or not may_read(who, case):
        raise NotFound(f"No SAT case {case_id}.")
    return case


def assign(who: Caller, case: Case, assignee: str, assignee_is_sat: bool, now: str) -> Case:
    if not who.has(COORDINATOR):
        raise Forbidden("Only the SAT coordinator assigns cases.", rule="sat-coordinator-assigns")
    if case.ended:
        raise Conflict(f"The case is {case.status}: it cannot be assigned.", allowed_statuses=[])
    if not assignee_is_sat:
        raise Unprocessable(
            "The assignee is not a professional of the SAT team.",
            errors=[FieldError("/assignee", "not a sat_team or sat_coordinator account")],
        )
    return replace(case, assigned_to=assignee, updated_at=now)


def check_event(case: Case, kind: str, category: str | None, categories: tuple[str, ...]) -> None:
    if case.ended:
        raise Conflict(f"The case is {case.status}: nothing more is recorded on it.", allowed_statuses=[])
    if kind == "support" and category not in categories:
        raise Unprocessable(
            "Unknown support category.",
            errors=[FieldError("/category", f"one of the pack's categories: {', '.join(categories)}")],
        )
    if kind != "support" and category is not None:
        raise Unprocessable(
            "A category is only for support.", errors=[FieldError("/category", "only with kind support")]
        )


def move(case: Case, status: str, outcome: str | None, now: str) -> Case:
    allowed = TRANSITIONS[case.status]
    if status not in allowed:
        raise Conflict(f"A {case.status} case cannot move to {status}.", allowed_statuses=sorted(allowed))
    if status in ENDED and not outcome:
        raise Unprocessable(
            "An outcome is needed to end a case.", errors=[FieldError("/outcome", "required to end a case")]
        )
    ended = status in ENDED
    return replace(
        case,
        status=status,
        outcome=outcome if ended else case.outcome,
        closed_at=now if ended else None,
        updated_at=now,
    )
