"""`make bench BENCH=lake` on a small lake: the pruned query opens only its city's year, the unpruned one
every file, and both give the same answer (the bench asserts that itself); figures only, never a time."""

from __future__ import annotations

import re

import pytest

from bench import lake


def test_the_bench_prints_files_opened_with_and_without_pruning(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(lake, "CITIES", 2)
    monkeypatch.setattr(lake, "YEARS", 2)
    monkeypatch.setattr(lake, "PER_DAY", 5)
    monkeypatch.setattr(lake, "DISTINCT_DAYS", 4)

    lake.run()

    out = capsys.readouterr().out
    assert "1,462 partitions" in out  # 2 cities x 731 days (2016 is a leap year)
    opened = [int(n.replace(",", "")) for n in re.findall(r"([\d,]+) files opened", out)]
    assert opened == [366, 1462]  # one city's 2016, then every file
