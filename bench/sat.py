"""One school year of the SAT: 40 weeks of weekly attendance for 20,000 students, read as the upload reader
reads a file and evaluated by the pack's rules week after week (docs/prevention.md "SAT"): time and peak
memory. Synthetic data, made here; no AWS: the rules and the reader are pure (SatTable's writes are not
timed). Figures only: nothing is asserted on them."""

from __future__ import annotations

import multiprocessing
import random
import resource
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

STUDENTS = 20_000
WEEKS = 40
HEADER = "school,course,student,week,days_expected,days_attended,quadrant\n"


def school_weeks(first_monday: date = date(2026, 3, 2)) -> list[str]:
    weeks = []
    for n in range(WEEKS):
        year, week, _ = (first_monday + timedelta(weeks=n)).isocalendar()
        weeks.append(f"{year}-W{week:02d}")
    return weeks


def synthetic_year(path: Path, quadrants: list[str]) -> int:
    """Each student attends 4-5 of 5 days; one in twelve starts to drift away in a random week (1-2 days
    then none); one in a hundred misses a whole week once. Returns the rows written."""
    rng = random.Random(17)
    weeks = school_weeks()
    rows = 0
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER)
        for s in range(STUDENTS):
            school, course = f"RBD-{s % 40:04d}", f"{1 + s % 8}{'ABC'[s % 3]}"
            quadrant = quadrants[s % len(quadrants)]
            drift = rng.randrange(WEEKS) if rng.random() < 1 / 12 else None
            gap = rng.randrange(WEEKS) if rng.random() < 1 / 100 else None
            for n, week in enumerate(weeks):
                attended = 5 if rng.random() < 0.8 else 4
                if drift is not None and n >= drift:
                    attended = rng.choice((0, 1, 2))
                if gap == n:
                    attended = 0
                out.write(f"{school},{course},EST-{s:05d},{week},5,{attended},{quadrant}\n")
                rows += 1
    return rows


def _measure(path: str, quadrants: list[str], out: Any) -> None:
    from vigia.datasets import files
    from vigia.sat.attendance import read_weeks
    from vigia.sat.rules import SatRules, evaluate

    rules = SatRules(0.85, 4, 5, 1.5, 3, ("parenting",), 730)
    violent = frozenset(quadrants[:3])
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    with open(path, "rb") as stream:
        read = read_weeks(files.rows(stream, "csv"), frozenset(quadrants), None)
    read_s = time.perf_counter() - started
    after_read = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # week after week, as the weekly uploads come: each student's record up to that week, one case per
    # episode (a student with an open case is not evaluated again; cases are not closed in the bench)
    by_student: dict[str, list[Any]] = {}
    for week in read.weeks:
        by_student.setdefault(week.student, []).append(week)
    started = time.perf_counter()
    opened: dict[str, str] = {}
    evaluations = 0
    for n in range(1, WEEKS + 1):
        for student, history in by_student.items():
            if student in opened:
                continue
            evaluations += 1
            warning = evaluate(history[max(0, n - rules.weeks - 4) : n], rules, violent)
            if warning is not None:
                opened[student] = warning.rule
    eval_s = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out.put((read.rows, read.bad_row_count, read_s, after_read - base, evaluations, len(opened), eval_s,
             peak - base, base))  # fmt: skip


def run() -> None:
    quadrants = [f"C-{n}" for n in range(181, 191)]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "attendance.csv"
        rows = synthetic_year(path, quadrants)
        size_mb = path.stat().st_size / 1e6
        queue: Any = multiprocessing.get_context("spawn").Queue()
        child = multiprocessing.get_context("spawn").Process(
            target=_measure, args=(str(path), quadrants, queue)
        )
        child.start()
        read_rows, bad, read_s, read_kb, evaluations, opened, eval_s, peak_kb, base_kb = queue.get()
        child.join()
    print(
        f"SAT, one school year: {STUDENTS:,} students x {WEEKS} weeks = {rows:,} rows ({size_mb:.1f} MB CSV)"
    )
    print(
        f"  read as an upload (sat_attendance reader): {read_s:.1f} s ({read_rows / read_s:,.0f} rows/s), "
        f"{bad} bad rows, peak RSS +{read_kb / 1024:.0f} MB over {base_kb / 1024:.0f} MB (every week held)"
    )
    print(
        f"  rules week by week: {evaluations:,} evaluations in {eval_s:.1f} s "
        f"({evaluations / eval_s:,.0f}/s); {opened:,} cases opened ({opened / STUDENTS:.1%} of students)"
    )
    print(f"  peak RSS over the run: +{peak_kb / 1024:.0f} MB")
