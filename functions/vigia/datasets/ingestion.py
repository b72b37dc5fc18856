"""Reading one uploaded dataset: every row read once, bad rows reported, the records handed to the lake's
spool and the city's monthly aggregates counted; the dataset is refused whole past a share of bad rows.

Nothing here holds the file: rows stream in (vigia.datasets.files), records stream out (`RecordSink`), and
what stays in memory is bounded by the city (its zones x months x measures) and by the capped list of bad
rows, never by the file's size.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import IO, Any, Protocol

from vigia.datasets import files, readers
from vigia.datasets.manifest import INGESTED, REFUSED, month
from vigia.datasets.readers import ADMINISTRATIVE, BLOCK, POINT, QUADRANT, UNKNOWN, BadValue, Record

# A dataset is refused whole when more than this share of its rows are bad (5 %: a few broken lines of a
# national file are reported and left out; a file in the wrong shape, or with a shifted column, is not
# half-loaded). The share is of the rows read; a file with no good row is refused whatever its share.
BAD_ROW_SHARE = 0.05
MAX_LINE_BYTES = 1024 * 1024  # a CSV line longer than this refuses the file (it is not a row of open data)
BAD_ROWS_LISTED = 100  # the manifest lists the first 100 bad rows; bad_row_count counts them all


class Zones(Protocol):
    """The city pack's places, as ingestion places a row (vigia.city.CityPack behind it)."""

    @property
    def city_zone(self) -> tuple[str, str]: ...  # the whole city: its department or comuna, official code

    def block_at(self, lat: float, lon: float) -> tuple[str, str] | None: ...  # (block_id, quadrant_id)

    def quadrant_of(self, block_id: str) -> str | None: ...  # None: not a block of the pack

    def has_quadrant(self, quadrant_id: str) -> bool: ...


class RecordSink(Protocol):
    """Where the lake's records go while the file is read (vigia.datasets.spool); kept only if accepted."""

    def add(self, row: Mapping[str, Any], *, year: int, month: int) -> None: ...


@dataclass
class Tally:
    """A zone's month of one measure: a sum of counts, or a survey's weighted sums."""

    total: float = 0.0
    respondents: int = 0
    weights: float = 0.0  # Σw
    weights_sq: float = 0.0  # Σw²
    weighted_sq: float = 0.0  # Σw·x²

    def add(self, value: float, weight: float | None) -> None:
        if weight is None:
            self.total += value
            return
        self.respondents += 1
        self.total += weight * value
        self.weights += weight
        self.weights_sq += weight * weight
        self.weighted_sq += weight * value * value

    def published(self, survey: bool) -> dict[str, Any]:
        if not survey:
            return {"value": round(self.total, 6)}
        estimate = self.total / self.weights
        variance = max(self.weighted_sq / self.weights - estimate * estimate, 0.0)
        effective = self.weights * self.weights / self.weights_sq  # Kish's effective sample size
        return {
            "value": round(estimate, 6),
            "respondents": self.respondents,
            "std_error": round(math.sqrt(variance / effective), 6),
        }


@dataclass
class Outcome:
    status: str
    rows: int = 0  # data rows read (the header not counted)
    records: int = 0  # records written to the lake (one per measure of a good row)
    bad_rows: list[dict[str, Any]] = field(default_factory=list)
    bad_row_count: int = 0
    unplaced_rows: int = 0  # good rows outside the city or with an unknown place: in the lake, not in `zones`
    sha256: str = ""
    reason: str | None = None
    aggregates: dict[tuple[str, str, str, str], dict[str, Any]] = field(default_factory=dict)
    months: list[str] = field(default_factory=list)  # the YYYY-MM partitions the records fill

    def summary(self) -> dict[str, Any]:
        """What the dataset's status shows (GET /v1/datasets/{dataset_id})."""
        return {
            "status": self.status,
            "rows": self.rows,
            "records": self.records,
            "bad_rows": self.bad_rows,
            "bad_row_count": self.bad_row_count,
            "unplaced_rows": self.unplaced_rows,
            "sha256": self.sha256,
            "reason": self.reason,
            "months": self.months,
        }


class Hashing:
    """The upload's bytes as they are read, hashed on the way (the SHA-256 of exactly what was read); lines
    are split here so a CSV streams whatever the underlying body offers (S3's yields fixed-size chunks)."""

    def __init__(self, stream: IO[bytes], chunk: int = 256 * 1024) -> None:
        self._stream, self._chunk = stream, chunk
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, n: int = -1) -> bytes:
        data = self._stream.read(n) if n is not None and n >= 0 else self._stream.read()
        self.digest.update(data)
        self.size += len(data)
        return data

    def __iter__(self) -> Iterator[bytes]:
        pending = b""
        while data := self.read(self._chunk):
            pending += data
            *lines, pending = pending.split(b"\n")
            for line in lines:
                yield line + b"\n"
            if len(pending) > MAX_LINE_BYTES:  # a file with no line breaks would be held whole
                raise files.UnreadableFile(f"a line runs past {MAX_LINE_BYTES // 1024} KB without a break")
        if pending:
            yield pending

    def drain(self) -> None:
        """Reads what a reader left unread (an XLSX's trailing parts), so the hash is of the whole file."""
        while self.read(self._chunk):
            pass


def ingest(
    manifest: Mapping[str, Any],
    stream: IO[bytes],
    zones: Zones,
    sink: RecordSink,
    *,
    dataset_id: str,
) -> Outcome:
    """Reads the upload under `manifest`; the Outcome says ingested or refused, and why."""
    hashing = Hashing(stream)
    reading = _Reading(manifest, zones, sink, dataset_id)
    try:
        reading.run(files.rows(hashing, manifest.get("format", "csv")))
    except files.UnreadableFile as error:
        reading.outcome.bad_row_count += 1
        reading.outcome.bad_rows.append({"row": error.row, "column": error.column, "why": error.why})
        reading.refuse(f"the file cannot be read as {manifest.get('format', 'csv')}: {error.why}")
    except _Refused:
        pass
    hashing.drain()
    outcome = reading.finish()
    outcome.sha256 = hashing.digest.hexdigest()
    return outcome


def _cut(text: str, most: int = 200) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"


class _Refused(Exception):
    """Reading stops: the dataset is refused whole (its reason is on the outcome)."""


class _Reading:
    def __init__(self, manifest: Mapping[str, Any], zones: Zones, sink: RecordSink, dataset_id: str) -> None:
        self.manifest, self.zones, self.sink, self.dataset_id = manifest, zones, sink, dataset_id
        self.reader = manifest["reader"]
        self.survey = self.reader == "survey"
        geography = manifest["geography"]
        self.kind = geography["kind"]
        self.city_code = geography.get("code")
        columns = manifest.get("columns") or {}
        self.shape = readers.shape_of(self.reader, columns, tuple(m["name"] for m in manifest["measures"]))
        self.measures = readers.measure_columns(self.shape, manifest["measures"])
        self.lat_lon = (files.name(columns.get("lat", "lat")), files.name(columns.get("lon", "lon")))
        self.first, self.last = month(manifest["period"]["from"]), month(manifest["period"]["to"])
        self.outcome = Outcome(status=INGESTED)
        self.tallies: dict[tuple[str, str, str, str], Tally] = {}
        self.months: set[date] = set()
        self.header_checked = False

    def run(self, rows: Iterator[files.Row]) -> None:
        for row_number, row in rows:
            if not self.header_checked:
                self._check_header(row)
            self.outcome.rows += 1
            try:
                found = readers.records(
                    self.shape, row_number, row, zone_kind=self.kind, measures=self.measures,
                    is_survey=self.survey, lat_lon=self.lat_lon,
                )  # fmt: skip
                placed = [self._place(r) for r in found]
            except BadValue as bad:
                self._bad(row_number, bad.column, bad.why)
                continue
            if found and not placed[0][1]:
                self.outcome.unplaced_rows += 1
            for record, zones in placed:
                self._keep(record, zones)
            if found and self.survey:
                self._keep_weight(found[0])

    def _check_header(self, row: Mapping[str, str]) -> None:
        self.header_checked = True
        wanted = readers.required_columns(self.shape, self.kind, tuple(self.measures.values()), self.lat_lon)
        missing = [c for c in wanted if c not in row]
        if missing:
            for column in missing:
                self.outcome.bad_rows.append({"row": 1, "column": column, "why": "missing from the header"})
            self.outcome.bad_row_count += len(missing)
            self.refuse(f"the header lacks {', '.join(missing)} (the {self.reader} reader's columns)")
            raise _Refused

    def _place(self, record: Record) -> tuple[Record, list[tuple[str, str]]]:
        """The record (its block found, for a point) and the city's zones it counts in ([] : none)."""
        if not self.first <= record.period <= self.last:
            raise BadValue(
                self.shape.day or self.shape.month or "",
                f"{record.period:%Y-%m} is outside the manifest's period "
                f"{self.manifest['period']['from']}..{self.manifest['period']['to']}",
            )
        city = self.zones.city_zone
        if record.zone_id == UNKNOWN:
            return record, []
        if self.kind in ADMINISTRATIVE:  # the city's own code is the city's zone; the rest: lake only
            return record, [(self.kind, record.zone_id or "")] if record.zone_id == self.city_code else []
        if self.kind == POINT:
            assert record.lat is not None
            assert record.lon is not None
            found = self.zones.block_at(record.lat, record.lon)
            if found is None:
                return record, []
            block_id, quadrant_id = found
            placed = Record(**{**record.__dict__, "zone_id": block_id})
            return placed, [(BLOCK, block_id), (QUADRANT, quadrant_id), city]
        zone_id = record.zone_id or ""
        if self.kind == BLOCK:
            its_quadrant = self.zones.quadrant_of(zone_id)
            if its_quadrant is None:
                raise BadValue(self.shape.zone or "", f"{zone_id!r} is not a block of the city pack")
            return record, [(BLOCK, zone_id), (QUADRANT, its_quadrant), city]
        if not self.zones.has_quadrant(zone_id):
            raise BadValue(self.shape.zone or "", f"{zone_id!r} is not a quadrant of the city pack")
        return record, [(QUADRANT, zone_id), city]

    def _keep(self, record: Record, zones: list[tuple[str, str]]) -> None:
        self.sink.add(self._lake_row(record, record.measure, record.value), year=record.period.year,
                      month=record.period.month)  # fmt: skip
        self.outcome.records += 1
        self.months.add(record.period)
        measure = record.measure.split(":", 1)[0]  # the observatory counts a measure's total
        for kind, zone_id in zones:
            key = (kind, zone_id, record.period.isoformat()[:7], measure)
            self.tallies.setdefault(key, Tally()).add(record.value, record.weight)

    def _keep_weight(self, record: Record) -> None:
        """A respondent's expansion factor beside their answers (same row_number), so the lake can weigh."""
        assert record.weight is not None
        self.sink.add(self._lake_row(record, "factor_expansion", record.weight), year=record.period.year,
                      month=record.period.month)  # fmt: skip
        self.outcome.records += 1

    def _lake_row(self, record: Record, measure: str, value: float) -> dict[str, Any]:
        return {
            "dataset_id": self.dataset_id,
            "reader": self.reader,
            "zone_kind": record.zone_kind,
            "zone_id": record.zone_id,
            "lat": record.lat,
            "lon": record.lon,
            "period": record.period,
            "measure": measure,
            "value": value,
            "row_number": record.row_number,
        }

    def _bad(self, row_number: int, column: str, why: str) -> None:
        self.outcome.bad_row_count += 1
        if len(self.outcome.bad_rows) < BAD_ROWS_LISTED:
            # a cell quoted in `why` is cut: the manifest's item must stay far below DynamoDB's 400 KB
            self.outcome.bad_rows.append({"row": row_number, "column": column[:100], "why": _cut(why)})

    def refuse(self, reason: str) -> None:
        self.outcome.status, self.outcome.reason = REFUSED, reason

    def finish(self) -> Outcome:
        outcome = self.outcome
        if outcome.status == INGESTED:
            if outcome.rows == 0:
                self.refuse("the file has a header but no rows")
            elif outcome.bad_row_count > BAD_ROW_SHARE * outcome.rows:
                self.refuse(
                    f"{outcome.bad_row_count} of {outcome.rows} rows are bad (more than "
                    f"{BAD_ROW_SHARE:.0%}): the file is refused whole; fix it and register a new version"
                )
            elif outcome.records == 0:
                self.refuse("no row has a value for the manifest's measures")
        if outcome.status == INGESTED:
            outcome.aggregates = {k: t.published(self.survey) for k, t in self.tallies.items()}
            outcome.months = sorted(f"{m:%Y-%m}" for m in self.months)
        return outcome
