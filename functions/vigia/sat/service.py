"""The SAT's use cases: read a caseload, a case, the week's warnings; assign, record, move; open cases from a
school's weeks; delete what retention says. Every read and change is audited before it is answered."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from vigia import clock
from vigia.callers import Caller
from vigia.errors import FieldError, InvalidRequest, NotFound, Unprocessable
from vigia.sat import cases as lifecycle
from vigia.sat.cases import Case
from vigia.sat.rules import AttendanceWeek, SatRules, Warning, evaluate

SYSTEM = "system"


class SatNotEnabled(NotFound):
    """The city's pack has no `sat` section: the SAT routes answer 404 sat-not-enabled."""

    slug = "sat-not-enabled"


class SatStore(Protocol):
    def put_weeks(self, weeks: Iterable[AttendanceWeek]) -> int: ...
    def weeks(self, student: str) -> list[AttendanceWeek]: ...
    def open_case(self, case: Case, event: dict[str, Any]) -> bool: ...
    def get(self, case_id: str) -> Case | None: ...
    def timeline(self, case_id: str) -> list[dict[str, Any]]: ...
    def cases(self) -> list[Case]: ...
    def save(self, before: Case, after: Case, event: dict[str, Any]) -> None: ...
    def delete_case(self, case: Case, *, with_student: bool) -> int: ...


@dataclass(frozen=True)
class SatPorts:
    store: SatStore
    audit: Callable[..., object]  # vigia.adapters.dynamodb.audit.record
    rules: SatRules | None  # None: the pack has no `sat` section
    is_sat_account: Callable[[str], bool]  # whether a user id is a SAT professional


def enabled(ports: SatPorts) -> SatRules:
    if ports.rules is None:
        raise SatNotEnabled("This city has not enabled the SAT (its pack has no sat section).")
    return ports.rules


def _role(who: Caller) -> str:
    return lifecycle.COORDINATOR if who.has(lifecycle.COORDINATOR) else lifecycle.TEAM


def _audit(
    ports: SatPorts, who: Caller, action: str, kind: str, target: str, reason: str | None = None
) -> None:
    # written before the answer: if the trail cannot be written, nothing is read or changed
    ports.audit(who.user_id, _role(who), action, kind, target, reason)


def _event(kind: str, by: str, at: str, **fields: Any) -> dict[str, Any]:
    return {"event_id": clock.new_id(), "kind": kind, "at": at, "by": by} | {
        k: v for k, v in fields.items() if v is not None
    }


def caseload(ports: SatPorts, who: Caller, status: str | None, limit: int) -> list[dict[str, Any]]:
    enabled(ports)
    _audit(ports, who, "sat_read_caseload", "sat_caseload", who.user_id, f"status={status or 'any'}")
    found = [c for c in ports.store.cases() if lifecycle.may_read(who, c) and status in (None, c.status)]
    return [c.view() for c in found[:limit]]


def detail(ports: SatPorts, case: Case) -> dict[str, Any]:
    weeks = sorted(ports.store.weeks(case.student), key=lambda w: w.week)
    attendance = [
        {k: getattr(w, k) for k in ("week", "school", "course", "days_expected", "days_attended")}
        for w in weeks
    ]
    return case.view() | {"timeline": ports.store.timeline(case.case_id), "attendance": attendance}


def read(ports: SatPorts, who: Caller, case_id: str) -> dict[str, Any]:
    enabled(ports)
    _audit(ports, who, "sat_read_case", "sat_case", case_id)
    return detail(ports, lifecycle.visible(who, ports.store.get(case_id), case_id))


def assign(ports: SatPorts, who: Caller, case_id: str, assignee: str, now: datetime) -> dict[str, Any]:
    enabled(ports)
    _audit(ports, who, "sat_assign", "sat_case", case_id)
    case = lifecycle.visible(who, ports.store.get(case_id), case_id)
    at = clock.iso(now)
    after = lifecycle.assign(who, case, assignee, ports.is_sat_account(assignee), at)
    ports.store.save(case, after, _event("assigned", who.user_id, at, assignee=assignee))
    return detail(ports, after)


def record_event(
    ports: SatPorts, who: Caller, case_id: str, body: dict[str, Any], now: datetime
) -> dict[str, Any]:
    rules = enabled(ports)
    _audit(ports, who, f"sat_{body['kind']}", "sat_case", case_id)
    case = lifecycle.visible(who, ports.store.get(case_id), case_id)
    lifecycle.check_event(case, body["kind"], body.get("category"), rules.support_categories)
    at = clock.iso(now)
    happened = _happened(body.get("at"), now) or at
    ports.store.save(
        case,
        case.__class__(**{**vars(case), "updated_at": at}),
        _event(
            body["kind"],
            who.user_id,
            at,
            category=body.get("category"),
            note=body.get("note"),
            happened_at=happened,
        ),
    )
    return detail(ports, ports.store.get(case_id) or case)


def _happened(text: str | None, now: datetime) -> str | None:
    """When the visit or contact happened, as given: a time with its offset, not in the future."""
    if text is None:
        return None
    try:
        when = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError:
        # valid RFC 3339 that Python does not read (a leap second): the document allows it, so 422, not 400
        raise Unprocessable(
            "at is not a date-time this service reads.", errors=[FieldError("/at", "an ISO-8601 date-time")]
        ) from None
    if when.tzinfo is None:
        raise InvalidRequest(
            "at needs its offset.", errors=[FieldError("/at", "a date-time with Z or an offset")]
        )
    if when > now + timedelta(minutes=5):  # a phone's clock a little ahead is not a lie
        raise Unprocessable(
            "A visit cannot be recorded in the future.", errors=[FieldError("/at", "in the future")]
        )
    return clock.iso(when)


def set_status(
    ports: SatPorts, who: Caller, case_id: str, body: dict[str, Any], now: datetime
) -> dict[str, Any]:
    enabled(ports)
    _audit(ports, who, "sat_status", "sat_case", case_id, body["status"])
    case = lifecycle.visible(who, ports.store.get(case_id), case_id)
    at = clock.iso(now)
    after = lifecycle.move(case, body["status"], body.get("outcome"), at)
    ports.store.save(
        case, after, _event("status", who.user_id, at, status=after.status, outcome=after.outcome)
    )
    return detail(ports, after)


def warnings(ports: SatPorts, who: Caller, week: str | None) -> dict[str, Any]:
    enabled(ports)
    every = ports.store.cases()
    wanted = week or max((c.opened_week for c in every), default=None)
    _audit(ports, who, "sat_read_warnings", "sat_warnings", wanted or "none")
    found = [c.view() for c in every if c.opened_week == wanted and lifecycle.may_read(who, c)]
    return {"week": wanted, "warnings": found}


def new_case(warning: Warning, latest: AttendanceWeek, now: datetime) -> Case:
    at = clock.iso(now)
    return Case(
        case_id=clock.new_id(now),
        student=warning.student,
        school=latest.school,
        course=latest.course,
        quadrant=latest.quadrant,
        status="open",
        rule=warning.rule,
        evidence={
            "attendance_rate": None if warning.attendance_rate is None else round(warning.attendance_rate, 4),
            "weeks": warning.weeks,
            "absent_days": warning.absent_days,
            "violent_quadrant": warning.violent_quadrant,
        },
        opened_at=at,
        opened_week=warning.week,
        updated_at=at,
    )


def ingest(
    store: SatStore, rules: SatRules, rows: Iterable[AttendanceWeek], violent: frozenset[str], now: datetime
) -> dict[str, int]:
    """A school's weeks into SatTable, then the rules over each named student's record: a case opens at the
    first of the file's weeks that warns, unless her episode already has one (the store's condition)."""
    by_student: dict[str, set[str]] = defaultdict(set)
    batch: list[AttendanceWeek] = []
    for row in rows:
        batch.append(row)
        by_student[row.student].add(row.week)
    written = store.put_weeks(batch)
    opened = 0
    for student, file_weeks in by_student.items():
        history = sorted(store.weeks(student), key=lambda w: w.week)
        for week in sorted(file_weeks):
            upto = [w for w in history if w.week <= week]
            warning = evaluate(upto, rules, violent)
            if warning is None:
                continue
            case = new_case(warning, upto[-1], now)
            if store.open_case(case, _event("opened", SYSTEM, case.opened_at, note=warning.rule)):
                opened += 1
            break  # one episode at a time: the first warning decides
    return {"weeks": written, "students": len(by_student), "cases_opened": opened}


def retain(store: SatStore, rules: SatRules, now: datetime) -> int:
    """Deletes every case that ended more than retention_days ago (and, when none of hers is left, the
    student's weeks): the number of cases deleted."""
    cutoff = clock.iso(now - timedelta(days=rules.retention_days))
    every = store.cases()
    gone = [c for c in every if c.ended and c.closed_at is not None and c.closed_at < cutoff]
    for case in gone:
        others = [c for c in every if c.student == case.student and c not in gone]
        store.delete_case(case, with_student=not others)
    return len(gone)


def nightly_figures(
    store: SatStore, *, city_id: str, time_zone: str, quadrants: Sequence[str], threshold: int, now: datetime
) -> dict[str, Any]:
    """The night's SAT file (vigia.sat.aggregates): counts per quadrant and month, small cells held back.
    Read after retention, so a deleted case no longer counts (see docs/prevention.md)."""
    from vigia.sat import aggregates

    with_timelines = [(case, store.timeline(case.case_id)) for case in store.cases()]
    rows = aggregates.published(aggregates.monthly_counts(with_timelines, time_zone), quadrants, threshold)
    return aggregates.document(rows, city_id, threshold, clock.iso(now))
