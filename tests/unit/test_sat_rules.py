"""The SAT's rules and a case's lifecycle, pure (docs/prevention.md "SAT"): which weeks open a case, in the
pack's words; who moves a case where; what a school's file may not carry (a national id)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vigia.callers import Caller
from vigia.errors import Conflict, Forbidden, NotFound, Unprocessable
from vigia.sat import cases
from vigia.sat.attendance import looks_like_national_id, read_weeks
from vigia.sat.rules import (
    CONSECUTIVE_ABSENCES,
    LOW_ATTENDANCE,
    AttendanceWeek,
    SatRules,
    evaluate,
    most_alerted,
)

RULES = SatRules(0.85, 4, 5, 1.5, 3, ("parenting", "psychosocial"), 730)
COORDINATOR = Caller("coord", "c@x", frozenset({"sat_coordinator"}))
PRO = Caller("pro-1", "p1@x", frozenset({"sat_team"}))
OTHER_PRO = Caller("pro-2", "p2@x", frozenset({"sat_team"}))


def weeks(attended: list[int], expected: int = 5, quadrant: str | None = None) -> list[AttendanceWeek]:
    return [
        AttendanceWeek("EST-1", f"2026-W{n + 10:02d}", "RBD-1", "7B", expected, a, quadrant)
        for n, a in enumerate(attended)
    ]


def test_attendance_below_the_share_over_four_weeks_opens_a_case():
    # Given 16 of 20 days (80 % < 85 %) over four weeks, no day missed in a row past 1
    warning = evaluate(weeks([4, 4, 4, 4]), RULES)
    assert warning is not None
    assert warning.rule == LOW_ATTENDANCE
    assert warning.attendance_rate == pytest.approx(0.8)
    assert warning.week == "2026-W13"
    # 18 of 20 (90 %) does not; nor three weeks of 0 % before a fourth is on record... by share
    assert evaluate(weeks([5, 4, 5, 4]), RULES) is None


def test_consecutive_absences_open_a_case_before_four_weeks_are_on_record():
    warning = evaluate(weeks([5, 0]), RULES)  # a whole week missed: 5 days in a row
    assert warning is not None
    assert warning.rule == CONSECUTIVE_ABSENCES
    assert warning.absent_days == 5
    assert evaluate(weeks([5, 1]), RULES) is None  # 4 missed, but a day attended: not 5 in a row


def test_a_violent_quadrant_warns_earlier():
    # 17 of 20 (85 %): not below the share anywhere but in a most-alerted quadrant (shortfall x 1.5)
    plain = weeks([4, 4, 4, 5], quadrant="C-181")
    assert evaluate(plain, RULES, frozenset({"C-190"})) is None
    warned = evaluate(plain, RULES, frozenset({"C-181"}))
    assert warned is not None
    assert warned.violent_quadrant
    assert warned.rule == LOW_ATTENDANCE


def test_the_most_alerted_quadrants_are_ranked_by_alerts():
    assert most_alerted({"A": 3, "B": 9, "C": 9, "D": 0}, 2) == frozenset({"B", "C"})
    assert most_alerted({"A": 0}, 3) == frozenset()


@given(st.lists(st.integers(min_value=0, max_value=5), min_size=1, max_size=12))
def test_full_attendance_never_warns_and_the_rule_is_monotone(attended):
    assert evaluate(weeks([5] * len(attended)), RULES) is None
    if evaluate(weeks(attended), RULES) is not None:
        # attending fewer days never removes a warning
        assert evaluate(weeks([a - 1 if a else 0 for a in attended]), RULES) is not None


def _case(status: str = "open", assigned_to: str | None = "pro-1") -> cases.Case:
    return cases.Case(
        "c1", "EST-1", "RBD-1", "7B", None, status, LOW_ATTENDANCE, {}, "t0", "2026-W13", "t0", assigned_to
    )


def test_a_professional_reads_only_her_own_cases_the_coordinator_all():
    case = _case()
    assert cases.visible(PRO, case, "c1") is case
    assert cases.visible(COORDINATOR, case, "c1") is case
    with pytest.raises(NotFound):  # 404, as absent: nothing of another's case
        cases.visible(OTHER_PRO, case, "c1")
    for role in ("operator", "police", "response_team", "analyst", "admin", "citizen"):
        assert not cases.may_read(Caller("pro-1", "x@x", frozenset({role})), case)


def test_only_the_coordinator_assigns_and_only_to_a_sat_professional():
    with pytest.raises(Forbidden):
        cases.assign(PRO, _case(), "pro-2", True, "t1")
    with pytest.raises(Unprocessable):
        cases.assign(COORDINATOR, _case(), "operator-1", False, "t1")
    assert cases.assign(COORDINATOR, _case(), "pro-2", True, "t1").assigned_to == "pro-2"


def test_the_lifecycle_moves_along_its_table_and_ending_needs_an_outcome():
    followed = cases.move(_case(), "in_follow_up", None, "t1")
    with pytest.raises(Unprocessable):
        cases.move(followed, "re_engaged", None, "t2")
    ended = cases.move(followed, "re_engaged", "back in class", "t2")
    assert ended.ended
    assert ended.closed_at == "t2"
    assert ended.outcome == "back in class"
    with pytest.raises(Conflict):
        cases.move(ended, "in_follow_up", None, "t3")
    with pytest.raises(Conflict):
        cases.move(_case(), "re_engaged", "x", "t1")  # open → re_engaged skips the follow-up
    with pytest.raises(Conflict):
        cases.check_event(ended, "note", None, RULES.support_categories)
    with pytest.raises(Unprocessable):
        cases.check_event(followed, "support", "money", RULES.support_categories)


@pytest.mark.parametrize(
    "student",
    ["12.345.678-5", "12345678-5", "123456785", "30123456", "30.123.456", "20-30123456-7", "9876543k"],
)
def test_a_national_id_shape_is_refused_as_a_student(student):
    assert looks_like_national_id(student)
    header = {
        "school": "RBD-1",
        "course": "7B",
        "week": "2026-W10",
        "days_expected": "5",
        "days_attended": "5",
    }
    read = read_weeks(
        iter([(2, {**header, "student": student}), (3, {**header, "student": "EST-9"})]), frozenset(), None
    )
    assert read.bad_rows[0] == {
        "row": 2,
        "column": "student",
        "why": "has a national id's shape: use the city's pseudonymous id",
    }
    assert student not in str(read.bad_rows)  # the value itself is never quoted
    assert read.refused  # 1 of 2 rows bad: past 5 %


@pytest.mark.parametrize("student", ["EST-00421", "A1B2C3", "pseudo_77"])
def test_a_pseudonymous_id_is_taken(student):
    assert not looks_like_national_id(student)


@pytest.mark.parametrize("no_quadrant", [0, 5])
def test_the_nightly_figures_hold_small_cells_back_and_cannot_be_subtracted(no_quadrant):
    from itertools import product

    from vigia.sat import aggregates

    # Given a month with 7 cases opened in C-181, 1 in C-182 (a single student), 6 in C-183, and some
    # whose file named no quadrant
    def case(n: int, quadrant: str | None) -> tuple[cases.Case, list]:
        opened = cases.Case(
            f"c{n}", f"EST-{n}", "RBD-1", "7B", quadrant, "open", LOW_ATTENDANCE, {},
            "2026-03-10T12:00:00Z", "2026-W11", "2026-03-10T12:00:00Z",
        )  # fmt: skip
        return opened, []

    plan = [*["C-181"] * 7, "C-182", *["C-183"] * 6, *[None] * no_quadrant]
    counts = aggregates.monthly_counts([case(n, q) for n, q in enumerate(plan)], "America/Santiago")
    rows = aggregates.published(counts, ["C-181", "C-182", "C-183"], threshold=5)
    published = {r["zone"]: r["opened"] for r in rows if r["month"] == "2026-03"}
    # Then the single case is "<5"
    assert published["C-182"] == "<5"
    # and an attacker with every published figure, trying every value the hidden cells could take, finds
    # more than one value of C-182 consistent with the city's total
    hidden = [z for z, v in published.items() if not isinstance(v, int)]
    assert len(hidden) >= 2
    fits = set()
    for guess in product(range(15), repeat=len(hidden)):
        values = {
            **{z: v for z, v in published.items() if isinstance(v, int)},
            **dict(zip(hidden, guess, strict=True)),
        }
        if any(values[z] >= 5 for z in hidden if published[z] == "<5"):
            continue
        if any(values[z] < 5 for z in hidden if published[z] == "x"):
            continue
        if values["city"] == sum(values[z] for z in ("C-181", "C-182", "C-183", "#none")):
            fits.add(values["C-182"])
    assert len(fits) > 1, fits
    # nothing but counts: no student, school or case id
    assert "EST-" not in str(rows)
    assert "RBD" not in str(rows)
