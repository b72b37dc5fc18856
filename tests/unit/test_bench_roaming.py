"""`make bench BENCH=roaming` (bench/roaming.py): run by name only, since it starts the federated pair; its
figures say how many of the alerts sent were reached, and never a time where none was (no time asserted)."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest

import bench.__main__ as harness
from bench.roaming import figures_row, percentile


def test_the_default_bench_leaves_roaming_out_and_says_how_to_run_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ran: list[str] = []

    def module_process(args: list[str], **_: Any) -> subprocess.CompletedProcess[str]:
        ran.append(args[-1])  # [python, -m, bench, <module>]
        return subprocess.CompletedProcess(args, 0)

    monkeypatch.setattr(harness.subprocess, "run", module_process)

    assert harness.main([]) == 0

    assert "roaming" not in ran
    assert {"intake", "live", "dispatch"} <= set(ran)  # the others still run
    assert "make bench BENCH=roaming runs it" in capsys.readouterr().out


def test_bench_roaming_runs_it_by_name(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ran: list[str] = []
    monkeypatch.setattr(harness, "run_one", ran.append)

    assert harness.main(["roaming"]) == 0

    assert ran == ["roaming"]
    assert "left out" not in capsys.readouterr().out


def test_a_figures_row_counts_what_was_reached_of_what_was_sent() -> None:
    row = figures_row("home 202 -> host's police SMS", [0.5, 2.0, 1.0], of=4)

    assert row.split()[-4:] == ["3/4", "1.000", "2.000", "2.000"]
    assert figures_row("nothing reached", [], of=30).split()[-4:] == ["0/30", "-", "-", "-"]
    assert percentile([float(v) for v in range(1, 21)], 0.95) == 19.0  # nearest rank, as bench/live.py
