"""IndicatorsTable: the nightly indicators' rows, runs and ledger; and `DynamoAlertDays`, a local day's alerts
and their deliveries as the run reads them (the exports bucket, run queue and patrol figures are in
adapters.indicator_runs).

IndicatorsTable, keys chosen so every read is a GetItem or a Query on a key:

    pk            sk                 what
    <date>        <zone>#<type>      a row: its published figures (`row`) and exact statistics (`stats`)
    <date>        city#<silent type> kind=sealed: the day's exact figures for the month's summary; never read
                                     as a row (GET /v1/indicators, the files) — issue 10, rule 4
    <date>        #run               the last run of the date: when, from where, files' checksums
    #ledger       nightly            the last day the nightly run completed (catch-up starts after it)

A re-run writes the date's rows again and deletes any row the new run did not produce (a block that
no longer has an alert), so the table always holds exactly one run's rows per date.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from pynamodb.attributes import UnicodeAttribute
from pynamodb.exceptions import UpdateError

from vigia.adapters.aws import client
from vigia.adapters.dynamodb import deliveries, idempotency
from vigia.adapters.dynamodb.alerts import AlertRecord, values
from vigia.adapters.dynamodb.binding import Record, conditional_failed, table, table_name, unbound
from vigia.indicators.facts import alert_facts
from vigia.indicators.frame import CityFrame
from vigia.indicators.service import DayRead, StoredCell
from vigia.indicators.stats import CellStats
from vigia.indicators.table import Row

RUN_SK = "#run"
LEDGER = ("#ledger", "nightly")

_ALERT_FIELDS = (
    "pk", "sk", "type", "silent", "status", "created_at", "local_date", "block_id", "quadrant_id",
    "dispatched_at", "assigned_at", "on_scene_at", "resolved_at", "false_alarm_at", "cancelled_at",
    "dispatch_time_s", "response_time_s", "met_target", "roaming", "visitor",
)  # fmt: skip


@table("indicators_table")
class IndicatorRecord(Record):
    """A row (kind "row" or "sealed"), a run (`#run`) or the ledger; see the table above."""

    Meta = unbound()
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    kind = UnicodeAttribute(null=True)
    zone_level = UnicodeAttribute(null=True)
    zone = UnicodeAttribute(null=True)
    type = UnicodeAttribute(null=True)
    row = UnicodeAttribute(null=True)  # the published figures, JSON
    stats = UnicodeAttribute(null=True)  # the exact statistics, JSON (CellStats)
    data = UnicodeAttribute(null=True)  # a run: when, from where, files' checksums, JSON
    last_completed = UnicodeAttribute(null=True)  # the ledger
    updated_at = UnicodeAttribute(null=True)


# ---------------------------------------------------------------- reading a day
class DynamoAlertDays:
    """A local day's alerts: one Query on the Alerts table's by_local_date index (never a Scan), then one
    Query per non-silent alert on the Deliveries table for its sirens and neighbour messages.

    The two Queries speak to boto3 rather than through pynamodb's query: the run reports the items DynamoDB
    read (ScannedCount) and the indicators' test pins each Query on the shared client
    (tests/integration/test_indicators_runs.py). Each item is still read through the one model and mapping
    of its table (AlertRecord and `alerts.values`, DeliveryRecord)."""

    def __init__(self, frame: CityFrame) -> None:
        self.frame = frame

    def alerts_on(self, day: date) -> DayRead:
        names = {f"#f{i}": name for i, name in enumerate(_ALERT_FIELDS)}
        read = 0
        alerts = []
        for page in _pages(
            TableName=table_name(AlertRecord),
            IndexName="by_local_date",
            KeyConditionExpression="#d = :d",
            ExpressionAttributeNames={**names, "#d": "local_date"},
            ExpressionAttributeValues={":d": {"S": day.isoformat()}},
            ProjectionExpression=", ".join(names),
        ):
            read += int(page.get("ScannedCount", 0))
            for raw in page.get("Items", []):
                item = values(AlertRecord.from_raw_data(raw))
                facts = alert_facts(item, response_target_s=self.frame.response_target_s)
                if facts is None:
                    continue
                abroad = facts.raised_abroad_in is not None  # its sirens and messages were the partner's
                if not (abroad or facts.silent or self.frame.type_info(facts.type).silent):
                    counts, delivered = deliveries.counts(facts.alert_id)  # a silent alert's never are read
                    read += delivered
                    facts = replace(
                        facts,
                        sirens_sounded=counts.sirens_sounded,
                        neighbour_messages=counts.neighbour_messages,
                    )
                alerts.append(facts)
        return DayRead(alerts, read)


def _pages(**kwargs: Any) -> Iterator[dict[str, Any]]:
    """Every page of a Query (the raw responses, so callers can count what DynamoDB read)."""
    dynamodb = client("dynamodb")
    while True:
        page = dynamodb.query(**kwargs)
        yield page
        if "LastEvaluatedKey" not in page:
            return
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


# ---------------------------------------------------------------- the indicators table
class DynamoIndicatorsStore:
    def replace_day(self, day: str, rows: Sequence[Row], run: Mapping[str, Any]) -> None:
        stale = set(self._keys(day)) - {r.sk for r in rows} - {RUN_SK}
        with IndicatorRecord.batch_write() as batch:  # 25 a call; unprocessed items resent with backoff
            for r in rows:
                batch.save(
                    IndicatorRecord(
                        day,
                        r.sk,
                        kind="row" if r.listed else "sealed",  # sealed: never read as a row
                        zone_level=r.zone_level,
                        zone=r.zone,
                        type=r.type,
                        row=json.dumps(dict(r.published), ensure_ascii=False, separators=(",", ":")),
                        stats=r.stats.to_json(),
                    )
                )
            for sk in sorted(stale):
                batch.delete(IndicatorRecord(day, sk))
        IndicatorRecord(day, RUN_SK, kind="run", data=json.dumps(dict(run), sort_keys=True)).save()

    def _keys(self, day: str) -> Iterator[str]:
        for item in IndicatorRecord.query(day, attributes_to_get=["pk", "sk"]):
            yield item.sk

    def published(self, day: str, *, zone: str | None, type_: str | None) -> list[dict[str, Any]]:
        if zone is not None and type_ is not None:
            try:
                item = IndicatorRecord.get(day, f"{zone}#{type_}", attributes_to_get=["row", "kind"])
            except IndicatorRecord.DoesNotExist:
                return []
            return [json.loads(item.row or "{}")] if item.kind == "row" else []
        return [
            json.loads(item.row or "{}")
            for item in self._rows(day, zone, ("kind", "type", "row"))
            if item.kind == "row" and (type_ is None or item.type == type_)
        ]

    def cells(self, day: str, zone: str) -> list[StoredCell]:
        return [
            StoredCell(
                i.zone_level or "",
                i.zone or "",
                i.type or "",
                CellStats.from_json(i.stats or "{}"),
                published=json.loads(i.row or "{}"),
                listed=i.kind == "row",
            )
            for i in self._rows(day, zone, ("kind", "zone_level", "zone", "type", "stats", "row"))
            if i.kind in ("row", "sealed")
        ]

    def zone_cells(
        self, days: Sequence[str], zones: Sequence[str], type_: str
    ) -> dict[tuple[str, str], StoredCell]:
        """The published cells of `zones` × `type_` on `days`, by (day, zone): BatchGetItem on their keys, 100
        a call (the observatory's months: a month of one zone is one call, of ten quadrants four). A day never
        computed has none (the city and quadrants always have rows on a computed day)."""
        keys = [(day, f"{zone}#{type_}") for day in days for zone in zones]
        found = IndicatorRecord.batch_get(
            keys, attributes_to_get=["pk", "kind", "zone_level", "zone", "type", "stats", "row"]
        )
        return {
            (i.pk, i.zone or ""): StoredCell(
                i.zone_level or "",
                i.zone or "",
                i.type or "",
                CellStats.from_json(i.stats or "{}"),
                published=json.loads(i.row or "{}"),
            )
            for i in found
            if i.kind == "row"
        }

    def _rows(self, day: str, zone: str | None, fields: Sequence[str]) -> Iterator[IndicatorRecord]:
        within = IndicatorRecord.sk.startswith(f"{zone}#") if zone is not None else None
        yield from IndicatorRecord.query(day, within, attributes_to_get=list(fields))

    def run_record(self, day: str) -> dict[str, Any] | None:
        try:
            found = IndicatorRecord.get(day, RUN_SK)
        except IndicatorRecord.DoesNotExist:
            return None
        return dict(json.loads(found.data or "{}"))

    def last_completed(self) -> date | None:
        try:
            found = IndicatorRecord.get(*LEDGER, consistent_read=True)
        except IndicatorRecord.DoesNotExist:
            return None
        return date.fromisoformat(found.last_completed) if found.last_completed else None

    def mark_completed(self, day: date, at: str) -> None:
        """Moves the ledger forward to `day` (never back: a slower, older run cannot undo a newer one)."""
        when = day.isoformat()
        try:
            IndicatorRecord(*LEDGER).update(
                actions=[IndicatorRecord.last_completed.set(when), IndicatorRecord.updated_at.set(at)],
                condition=IndicatorRecord.last_completed.does_not_exist()
                | (IndicatorRecord.last_completed < when),
            )
        except UpdateError as error:
            if not conditional_failed(error):
                raise


# ---------------------------------------------------------------- Idempotency-Key claims
class DynamoClaims:
    """Idempotency-Key claims for POST /v1/indicator-runs, in the shared IdempotencyTable (TTL a day)."""

    def claim(self, key: str, request_hash: str, resource_id: str) -> tuple[str, str] | None:
        return idempotency.claim(f"indicator-runs#{key}", request_hash, resource_id)
