"""A short `make chaos` in the suite: 200 alerts of every type through a fresh local stack while every hop
fails at 20 %, then the count (docs/reliability.md). Nothing lost, nothing leaked from a silent alert, no
duplicate the provider gap does not explain, and every hop was in fact given faults."""

from __future__ import annotations

import re
from pathlib import Path

from infra.tools import chaos
from vigia.adapters import faults

LAST_LINE = re.compile(
    r"^chaos: (\d+) alerts, faults (\d+)%, lost (\d+), duplicates (\d+) \(provider gap (\d+)\), "
    r"dead letters after redrive (\d+), silent leaks (\d+), p95 (\d+\.\d) s$"
)


def test_two_hundred_alerts_under_faults_at_every_hop_lose_nothing(tmp_path: Path) -> None:
    lines: list[str] = []
    code, result = chaos.run(200, 0.2, seed=20261201, work=tmp_path / "chaos", out=lines.append)
    report = "\n".join(lines)
    assert code == 0, report
    assert result.alerts >= 200 + 20, report  # the calm phase's 20 and the 200 under faults, all accepted
    assert result.lost == [], report
    assert result.silent_leaks == [], report
    assert result.duplicates - result.provider_gap == 0, report
    assert result.stuck == [], report
    assert sum(result.dead_after.values()) == 0, report
    # every hop met faults (a run where the switch silently did nothing would count 0 of everything)
    hops = {hop for hop, _ in result.faults}
    assert hops >= set(faults.HOPS), f"hops never given a fault: {set(faults.HOPS) - hops}\n{report}"
    # the CAD was sent repeats of messages it had accepted and did not act on them twice
    assert result.replays > 0, report
    match = LAST_LINE.match(lines[-1])
    assert match, lines[-1]
    assert (match[1], match[2], match[3], match[7]) == ("200", "20", "0", "0")
