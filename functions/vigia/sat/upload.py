"""A `sat_attendance` dataset's upload, read for the SAT: its weeks to SatTable and the rules run over them.

Called by the datasets' ingestion (vigia.datasets.service) in place of the lake: nothing of it is spooled,
aggregated or written under lake/. The dataset's status gets rows and bad rows (row, column, why), never a
value of the file, and no count of cases.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from vigia.datasets import files
from vigia.datasets.ingestion import Hashing, Outcome
from vigia.datasets.manifest import INGESTED, REFUSED
from vigia.sat import service
from vigia.sat.attendance import read_weeks
from vigia.sat.rules import SatRules


@dataclass(frozen=True)
class SatIngestPorts:
    store: service.SatStore
    rules: SatRules | None
    quadrants: frozenset[str]
    violent: Callable[[], frozenset[str]]  # the most alerted quadrants (nightly indicators), read when needed


def ingest_attendance(
    dataset: Mapping[str, Any], stream: IO[bytes], ports: SatIngestPorts, now: datetime
) -> tuple[Outcome, dict[str, int]]:
    """(the dataset's outcome, what was written: weeks, students, cases opened — for the log, as counts)."""
    hashing = Hashing(stream)
    period = (dataset["period"]["from"], dataset["period"]["to"])
    if ports.rules is None:
        hashing.drain()
        outcome = Outcome(REFUSED, reason="this city has not enabled the SAT (its pack has no sat section)")
        outcome.sha256 = hashing.digest.hexdigest()
        return outcome, {}
    try:
        read = read_weeks(files.rows(hashing, dataset.get("format", "csv")), ports.quadrants, period)
    except files.UnreadableFile as error:
        hashing.drain()
        outcome = Outcome(REFUSED, bad_rows=[{"row": error.row, "column": error.column, "why": error.why}])
        outcome.bad_row_count, outcome.reason = 1, f"the file cannot be read: {error.why}"
        outcome.sha256 = hashing.digest.hexdigest()
        return outcome, {}
    hashing.drain()
    outcome = Outcome(
        REFUSED if read.refused else INGESTED,
        rows=read.rows,
        bad_rows=read.bad_rows,
        bad_row_count=read.bad_row_count,
        reason=read.reason,
    )
    outcome.sha256 = hashing.digest.hexdigest()
    if read.refused:
        return outcome, {}
    counts = service.ingest(ports.store, ports.rules, read.weeks, ports.violent(), now)
    outcome.records = 0  # nothing in the lake
    return outcome, counts
