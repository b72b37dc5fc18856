"""A case is never opened twice for one episode, even when ingestions run at once, each in its own process
(as two IngestDatasetFunction environments would), on the emulator that applies each transaction atomically
(tests/integration/concurrent_stack.py)."""

from __future__ import annotations

import multiprocessing
import os
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.concurrent_stack import START_TIMEOUT_S, ServerStack, server_stack

STUDENTS = 10
AT_ONCE = 4


@pytest.fixture(scope="module")
def stack() -> Iterator[ServerStack]:
    with server_stack() as started:
        yield started


def _ingest(environment: dict[str, str], first_week: int, barrier: Any, answers: Any) -> None:
    """One ingestion's environment: the same ten absent students' weeks, released with the others."""
    os.environ.update(environment)
    try:
        from vigia import clock, runtime
        from vigia.sat import service
        from vigia.sat.rules import AttendanceWeek, SatRules

        rules = SatRules(0.85, 4, 5, 1.0, 0, ("parenting",), 730)
        weeks = [
            AttendanceWeek(f"EST-{n}", f"2026-W{w:02d}", "RBD-1", "7B", 5, 0, None)
            for n in range(STUDENTS)
            for w in (first_week, first_week + 1)
        ]
        store = runtime.sat_store()
        store.weeks("warm-up")  # clients and the table binding made before the race
        barrier.wait(timeout=START_TIMEOUT_S)
        answers.put(service.ingest(store, rules, weeks, frozenset(), clock.now())["cases_opened"])
    except BaseException as error:  # report, never hang the test
        answers.put(repr(error))
        raise


def test_ingestions_at_once_open_exactly_one_case_per_student(stack):
    # Given four ingestions of files naming the same ten absent students (two with weeks 10-11, two 11-12),
    # each in its own process, released together
    ctx = multiprocessing.get_context("spawn")
    barrier, answers = ctx.Barrier(AT_ONCE), ctx.Queue()
    environment = {**stack.environment, "SAT_TABLE": stack.resources["SatTable"]}
    processes = [
        ctx.Process(target=_ingest, args=(environment, first, barrier, answers)) for first in (10, 10, 11, 11)
    ]
    for process in processes:
        process.start()
    opened = [answers.get(timeout=START_TIMEOUT_S) for _ in processes]
    for process in processes:
        process.join(timeout=30)
    assert all(isinstance(n, int) for n in opened), opened
    # Then every student has exactly one case, and the runs together say they opened ten
    cases = [i for i in stack.scan("SatTable") if i["sk"] == "case"]
    assert Counter(i["pk"].split("#")[0] for i in cases) == Counter({"case": STUDENTS})
    import json

    students = Counter(json.loads(i["body"])["student"] for i in cases)
    assert students == Counter({f"EST-{n}": 1 for n in range(STUDENTS)})
    assert sum(opened) == STUDENTS
    markers = [i for i in stack.scan("SatTable") if i["sk"] == "episode"]
    assert len(markers) == STUDENTS
    assert all(m.get("open_case_id") for m in markers)
