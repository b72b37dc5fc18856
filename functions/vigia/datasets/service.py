"""The datasets' use cases: register a version (POST /v1/datasets), read them, and ingest an upload (the
S3 event of IngestDatasetFunction). Stores and files come in as ports; runtime.py builds them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO, Any, Protocol

from vigia import clock
from vigia.datasets import manifest as manifests
from vigia.datasets.ingestion import Outcome, Zones, ingest
from vigia.datasets.manifest import INGESTED, REFUSED, Place, overlaps, upload_key
from vigia.datasets.spool import Spool, partition_key
from vigia.errors import Forbidden, NotFound
from vigia.sat.attendance import READER as SAT_READER
from vigia.sat.cases import COORDINATOR as SAT_COORDINATOR

# A presigned PUT takes up to 5 GB; the ingestion reads at most this much (a national file is ~70 MB).
MAX_UPLOAD_BYTES = 512 * 1024 * 1024
# A claim older than the function's timeout (900 s) is a run that was stopped mid-file: the next upload of the
# file (a PUT again) takes it over.
CLAIM_STALE_S = 960
# Where each reader's source counts a record (the observatory compares, never adds, the two).
BASIS = {"snic": "occurrence", "cead": "occurrence", "school": "occurrence", "health": "residence",
         "survey": "residence"}  # fmt: skip
_HIDDEN = ("zones",)  # internal bookkeeping, not part of a dataset's answer


class Datasets(manifests.Datasets, Protocol):
    def create(
        self, dataset_id: str, manifest: Mapping[str, Any], *, created_at: str, created_by: str
    ) -> None: ...

    def listed(self) -> list[dict[str, Any]]: ...

    def claim(self, dataset_id: str, *, now: str, stale_before: str) -> bool: ...

    def release(self, dataset_id: str) -> None: ...

    def finish(self, dataset_id: str, outcome: Mapping[str, Any], zones: list[str]) -> None: ...

    def mark_replaced(self, dataset_id: str, by: str) -> None: ...


class Aggregates(Protocol):
    def put(
        self, dataset_id: str, source: str, basis: str | None, aggregates: Mapping[Any, Any]
    ) -> list[str]: ...

    def remove(self, dataset_id: str, source: str, zones: list[str], first: str, last: str) -> int: ...


class Files(Protocol):
    def upload_url(self, key: str, expires_s: int) -> str: ...

    def size(self, key: str) -> int: ...

    def open(self, key: str) -> IO[bytes]: ...

    def put_partition(self, key: str, path: Any) -> None: ...

    def delete(self, keys: Iterable[str]) -> int: ...


@dataclass(frozen=True)
class DatasetPorts:
    datasets: Datasets
    aggregates: Aggregates
    files: Files
    place: Place
    zones: Zones
    # reader sat_attendance: the upload read into SatTable instead of the lake (vigia.sat.upload)
    sat: Callable[[Mapping[str, Any], IO[bytes]], Outcome] | None = None


def view(dataset: Mapping[str, Any]) -> dict[str, Any]:
    """A dataset as GET /v1/datasets/{dataset_id} answers it."""
    return {k: v for k, v in dataset.items() if k not in _HIDDEN}


def register(
    body: Mapping[str, Any],
    ports: DatasetPorts,
    *,
    who: str,
    now: datetime,
    expires_s: int,
    roles: frozenset[str] = frozenset({"analyst"}),
) -> dict[str, Any]:
    _may_register(body["reader"], roles)
    manifest = manifests.check(body, ports.place, ports.datasets)
    dataset_id = clock.new_id(now)
    manifest["basis"] = body.get("basis") or BASIS.get(body["reader"])
    ports.datasets.create(dataset_id, manifest, created_at=clock.iso(now), created_by=who)
    key = upload_key(dataset_id, manifest["format"])
    return {
        "dataset_id": dataset_id,
        "status": manifests.AWAITING_UPLOAD,
        "upload_url": ports.files.upload_url(key, expires_s),
        "upload_method": "PUT",
        "expires_in_s": expires_s,
    }


def _may_register(reader: str, roles: frozenset[str]) -> None:
    """Students' attendance is the SAT's: only its coordinator registers it; she registers nothing else."""
    if reader == SAT_READER and SAT_COORDINATOR not in roles:
        raise Forbidden(
            "Only the SAT coordinator registers attendance files.", rule="sat-attendance-by-coordinator"
        )
    if reader != SAT_READER and not roles & {"analyst", "admin"}:
        raise Forbidden(
            "The SAT coordinator registers sat_attendance files only.", rule="sat-coordinator-attendance-only"
        )


def read(
    dataset_id: str, ports: DatasetPorts, roles: frozenset[str] = frozenset({"analyst"})
) -> dict[str, Any]:
    found = ports.datasets.get(dataset_id)
    if found is not None and not roles & {"analyst", "admin"} and found.get("reader") != SAT_READER:
        found = None  # the SAT coordinator reads her attendance files' status only
    if found is None:
        raise NotFound(f"dataset {dataset_id} does not exist")
    return view(found)


def listed(ports: DatasetPorts, *, source: str | None, status: str | None) -> list[dict[str, Any]]:
    found = ports.datasets.of_source(source) if source else ports.datasets.listed()
    rows = [view(d) for d in found if status is None or d["status"] == status]
    return sorted(rows, key=lambda d: d["dataset_id"], reverse=True)


def ingest_upload(key: str, ports: DatasetPorts, *, now: datetime, spool_dir: str | None = None) -> str:
    """Reads one upload into the lake and the observatory; returns what happened, in a word, for the log.

    One ingestion per dataset: the claim (awaiting_upload → ingesting) is conditional, so a second delivery
    of the same S3 event, or a second PUT, changes nothing. A failure that is not the file's releases the
    claim and raises, so the invocation is retried; a run stopped mid-file (its timeout) leaves a claim that
    a new PUT of the file takes over after CLAIM_STALE_S."""
    dataset_id = manifests.dataset_of_key(key)
    dataset = ports.datasets.get(dataset_id) if dataset_id else None
    if dataset_id is None or dataset is None or key != upload_key(dataset_id, dataset["format"]):
        return "not a registered upload"
    stale_before = clock.iso(now - timedelta(seconds=CLAIM_STALE_S))
    if not ports.datasets.claim(dataset_id, now=clock.iso(now), stale_before=stale_before):
        return f"already {dataset['status']}"
    try:
        outcome = _ingest(dataset_id, dataset, key, ports, spool_dir)
    except Exception:
        ports.datasets.release(dataset_id)
        raise
    return outcome


def _ingest(
    dataset_id: str, dataset: Mapping[str, Any], key: str, ports: DatasetPorts, spool_dir: str | None
) -> str:
    if dataset["reader"] == SAT_READER:
        return _ingest_attendance(dataset_id, dataset, key, ports)
    refusal = _conflict(dataset_id, dataset, ports, key)
    if refusal is not None:
        ports.datasets.finish(dataset_id, refusal.summary(), [])
        return REFUSED
    with Spool(spool_dir) as spool:
        outcome = ingest(dataset, ports.files.open(key), ports.zones, spool, dataset_id=dataset_id)
        if outcome.status == INGESTED:
            for year, month, path in spool.parquet_files():
                ports.files.put_partition(partition_key(dataset["source"], year, month, dataset_id), path)
    zones: list[str] = []
    if outcome.status == INGESTED:
        zones = ports.aggregates.put(dataset_id, dataset["source"], dataset.get("basis"), outcome.aggregates)
        if dataset.get("replaces"):
            _retire(str(dataset["replaces"]), dataset_id, ports)
    ports.datasets.finish(dataset_id, outcome.summary(), zones)
    return outcome.status


def _ingest_attendance(dataset_id: str, dataset: Mapping[str, Any], key: str, ports: DatasetPorts) -> str:
    """A school's weekly attendance: to SatTable, never the lake or the observatory; weekly files of the
    same months are expected (a student's week written again is overwritten), so no overlap check."""
    size = ports.files.size(key)
    if size > MAX_UPLOAD_BYTES:
        outcome = Outcome(REFUSED, reason=f"the file has {size} bytes; at most {MAX_UPLOAD_BYTES} are read")
    elif ports.sat is None:
        outcome = Outcome(REFUSED, reason="this function cannot read SAT attendance")
    else:
        outcome = ports.sat(dataset, ports.files.open(key))
    ports.datasets.finish(dataset_id, outcome.summary(), [])
    return outcome.status


def _conflict(dataset_id: str, dataset: Mapping[str, Any], ports: DatasetPorts, key: str) -> Outcome | None:
    """A refusal before reading: the file is too large, or another live version of the source covers the
    same months (registered at the same time as this one), which would count them twice."""
    size = ports.files.size(key)
    if size > MAX_UPLOAD_BYTES:
        return Outcome(REFUSED, reason=f"the file has {size} bytes; at most {MAX_UPLOAD_BYTES} are read")
    for other in ports.datasets.of_source(dataset["source"]):
        if other["dataset_id"] in (dataset_id, dataset.get("replaces")) or other.get("replaced_by"):
            continue
        if other["status"] in (manifests.INGESTING, INGESTED) and overlaps(
            other["period"], dataset["period"]
        ):
            return Outcome(
                REFUSED,
                reason=f"dataset {other['dataset_id']} of {dataset['source']} already covers these months; "
                "register a version that replaces it",
            )
    return None


def _retire(old_id: str, new_id: str, ports: DatasetPorts) -> None:
    """The replaced version leaves the observatory and the lake: its aggregates the new one did not
    overwrite, and its month files (the new version's are already in place)."""
    old = ports.datasets.get(old_id)
    if old is None:
        return
    period = old["period"]
    ports.aggregates.remove(old_id, old["source"], list(old.get("zones") or []), period["from"], period["to"])
    keys = []
    for month_text in old.get("months") or []:
        year, month = (int(part) for part in month_text.split("-"))
        keys.append(partition_key(old["source"], year, month, old_id))
    ports.files.delete(keys)
    ports.datasets.mark_replaced(old_id, new_id)
