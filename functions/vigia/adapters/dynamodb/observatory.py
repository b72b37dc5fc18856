"""ObservatoryTable: the monthly aggregates of ingested datasets that the observatory's API reads.

    pk                              sk                            attributes
    zone#<zone_kind>#<zone_id>      <YYYY-MM>#<source>#<measure>  value (number), dataset_id, basis?,
                                                                  respondents?, std_error? (surveys)

`zone_kind` is block, quadrant, department (INDEC), comuna (CUT) or point; `basis` says where the
source counts a record: `occurrence` (where it happened) or `residence` (where the person lives); absent
when the ingestion did not say. Ingestion writes these items (a newer version of a dataset replaces its
rows); GET /v1/observatory/compare and /resources read one Query per zone over a range of months.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from vigia.adapters.dynamodb.binding import Record, table, unbound
from vigia.adapters.dynamodb.indicators import DynamoIndicatorsStore
from vigia.indicators.frame import CityFrame
from vigia.observatory.compare import Record as SourceRecord
from vigia.observatory.service import Unit


@table("observatory_table")
class ObservatoryRecord(Record):
    Meta = unbound()
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    value = NumberAttribute()
    dataset_id = UnicodeAttribute(null=True)
    basis = UnicodeAttribute(null=True)
    respondents = NumberAttribute(null=True)  # a survey's estimate: how many answered
    std_error = NumberAttribute(null=True)  # and its standard error (kept; not served yet)


def zone_key(zone_kind: str, zone_id: str) -> str:
    return f"zone#{zone_kind}#{zone_id}"


class DynamoObservatory:
    """The source records of zones over months: one Query per zone, on its key and a range of months."""

    def records(self, zone_kind: str, zone_id: str, first: str, last: str) -> list[SourceRecord]:
        # `<last>#\uffff` sorts after every `<last>#<source>#<measure>`
        found = ObservatoryRecord.query(
            zone_key(zone_kind, zone_id), ObservatoryRecord.sk.between(f"{first}#", f"{last}#\uffff")
        )
        out = []
        for item in found:
            month, source, measure = [*item.sk.split("#", 2), "", ""][:3]
            out.append(
                SourceRecord(
                    zone_kind=zone_kind,
                    zone_id=zone_id,
                    month=month,
                    source=source,
                    measure=measure,
                    value=float(item.value),
                    dataset_id=item.dataset_id or "",
                    basis=item.basis or "unknown",
                    respondents=None if item.respondents is None else float(item.respondents),
                )
            )
        return out

    def put(self, records: Iterable[SourceRecord]) -> None:
        """Writes aggregates as they are (ingestion's replacement of an older version is its own)."""
        with ObservatoryRecord.batch_write() as batch:
            for r in records:
                batch.save(
                    ObservatoryRecord(
                        zone_key(r.zone_kind, r.zone_id),
                        f"{r.month}#{r.source}#{r.measure}",
                        value=r.value,
                        dataset_id=r.dataset_id or None,
                        basis=None if r.basis == "unknown" else r.basis,
                        respondents=r.respondents,
                    )
                )


@dataclass(frozen=True)
class ObservatoryPorts:
    """What the observatory's routes hand to vigia.observatory.service, built on the city pack."""

    frame: CityFrame
    days: DynamoIndicatorsStore  # the nightly indicators' days (their exact `all` cells)
    records: DynamoObservatory
    units: Sequence[Unit]  # the pack's police units with their shift hours a day
