"""DatasetsTable: each dataset version's manifest and status; and the datasets' aggregates in ObservatoryTable
(written through its one model, adapters.dynamodb.observatory.ObservatoryRecord).

DatasetsTable, one item per dataset version:

    dataset_id (pk)   source (GSI by_source, with dataset_id)   status   manifest (JSON)   outcome (JSON)
    zones (JSON: the ObservatoryTable pks it wrote)   replaced_by   created_at   created_by   claimed_at

A status moves awaiting_upload → ingesting (a conditional update: one ingestion per dataset, whatever S3
delivers twice) → ingested | refused.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from pynamodb.attributes import UnicodeAttribute
from pynamodb.exceptions import UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from vigia.adapters.dynamodb.binding import Record, conditional_failed, table, unbound
from vigia.adapters.dynamodb.observatory import ObservatoryRecord, zone_key

AWAITING_UPLOAD, INGESTING = "awaiting_upload", "ingesting"


class BySource(GlobalSecondaryIndex["DatasetRecord"]):
    class Meta:
        index_name = "by_source"
        projection = AllProjection()

    source = UnicodeAttribute(hash_key=True)
    dataset_id = UnicodeAttribute(range_key=True)


@table("datasets_table")
class DatasetRecord(Record):
    Meta = unbound()
    dataset_id = UnicodeAttribute(hash_key=True)
    source = UnicodeAttribute()
    status = UnicodeAttribute()
    manifest = UnicodeAttribute()  # JSON: what was registered
    outcome = UnicodeAttribute(
        null=True
    )  # JSON: rows, bad_rows, sha256, months … (ingestion.Outcome.summary)
    zones = UnicodeAttribute(null=True)  # JSON: the ObservatoryTable pks its aggregates went to
    replaced_by = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    created_by = UnicodeAttribute()
    claimed_at = UnicodeAttribute(null=True)
    by_source = BySource()


def _view(item: DatasetRecord) -> dict[str, Any]:
    outcome = json.loads(item.outcome) if item.outcome else {}
    return {
        "dataset_id": item.dataset_id,
        "source": item.source,
        "status": item.status,
        **json.loads(item.manifest),
        **{k: v for k, v in outcome.items() if k != "status"},
        "zones": json.loads(item.zones) if item.zones else [],
        "replaced_by": item.replaced_by,
        "created_at": item.created_at,
        "created_by": item.created_by,
    }


class DynamoDatasets:
    """The datasets' manifests and status (vigia.datasets.service's Datasets port)."""

    def create(
        self, dataset_id: str, manifest: Mapping[str, Any], *, created_at: str, created_by: str
    ) -> None:
        DatasetRecord(
            dataset_id,
            source=manifest["source"],
            status=AWAITING_UPLOAD,
            manifest=json.dumps(dict(manifest), ensure_ascii=False, sort_keys=True),
            created_at=created_at,
            created_by=created_by,
        ).save(condition=DatasetRecord.dataset_id.does_not_exist())

    def get(self, dataset_id: str) -> dict[str, Any] | None:
        try:
            return _view(DatasetRecord.get(dataset_id, consistent_read=True))
        except DatasetRecord.DoesNotExist:
            return None

    def of_source(self, source: str) -> Iterator[dict[str, Any]]:
        for item in DatasetRecord.by_source.query(source):
            yield _view(item)

    def listed(self) -> list[dict[str, Any]]:
        """Every dataset, newest first (a city registers a few a month: one Scan, paged by DynamoDB)."""
        return sorted((_view(i) for i in DatasetRecord.scan()), key=lambda d: d["dataset_id"], reverse=True)

    def claim(self, dataset_id: str, *, now: str, stale_before: str) -> bool:
        """awaiting_upload → ingesting, once: False when another delivery of the upload got there first. A
        claim older than `stale_before` (its function was stopped mid-file) is taken over."""
        stale = (DatasetRecord.status == INGESTING) & (DatasetRecord.claimed_at < stale_before)
        try:
            DatasetRecord(dataset_id).update(
                actions=[DatasetRecord.status.set(INGESTING), DatasetRecord.claimed_at.set(now)],
                condition=(DatasetRecord.status == AWAITING_UPLOAD) | stale,
            )
        except UpdateError as error:
            if conditional_failed(error):
                return False
            raise
        return True

    def release(self, dataset_id: str) -> None:
        """ingesting → awaiting_upload: the ingestion failed on its own (not the file's) fault; retried."""
        DatasetRecord(dataset_id).update(
            actions=[DatasetRecord.status.set(AWAITING_UPLOAD)], condition=DatasetRecord.status == INGESTING
        )

    def finish(self, dataset_id: str, outcome: Mapping[str, Any], zones: list[str]) -> None:
        DatasetRecord(dataset_id).update(
            actions=[
                DatasetRecord.status.set(str(outcome["status"])),
                DatasetRecord.outcome.set(json.dumps(dict(outcome), ensure_ascii=False, default=str)),
                DatasetRecord.zones.set(json.dumps(zones)),
            ]
        )

    def mark_replaced(self, dataset_id: str, by: str) -> None:
        DatasetRecord(dataset_id).update(actions=[DatasetRecord.replaced_by.set(by)])


class DynamoDatasetAggregates:
    """A dataset's monthly aggregates in ObservatoryTable: written, and a replaced version's removed."""

    def put(
        self, dataset_id: str, source: str, basis: str | None, aggregates: Mapping[tuple[str, ...], Any]
    ) -> list[str]:
        """Writes each (zone_kind, zone_id, YYYY-MM, measure) → {value, …}; returns the pks written."""
        zones: set[str] = set()
        with ObservatoryRecord.batch_write() as batch:
            for (kind, zone_id, month, measure), figures in aggregates.items():
                pk = zone_key(kind, zone_id)
                zones.add(pk)
                item = ObservatoryRecord(pk, f"{month}#{source}#{measure}", value=figures["value"],
                                         dataset_id=dataset_id, basis=basis)  # fmt: skip
                for extra in ("respondents", "std_error"):
                    if extra in figures and hasattr(ObservatoryRecord, extra):
                        setattr(item, extra, figures[extra])
                batch.save(item)
        return sorted(zones)

    def remove(self, dataset_id: str, source: str, zones: list[str], first: str, last: str) -> int:
        """Deletes what `dataset_id` still holds in its zones and months (a newer version overwrote the
        rest): one Query per zone. Returns how many items went."""
        gone = 0
        for pk in zones:
            stale = [
                item
                for item in ObservatoryRecord.query(
                    pk, ObservatoryRecord.sk.between(f"{first}#", f"{last}#\uffff")
                )
                if item.dataset_id == dataset_id and item.sk.split("#", 2)[1:2] == [source]
            ]
            with ObservatoryRecord.batch_write() as batch:
                for item in stale:
                    batch.delete(item)
            gone += len(stale)
        return gone
