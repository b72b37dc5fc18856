"""AWS for the nightly indicators: a day's alerts (by_local_date), their deliveries, the IndicatorsTable,
the exports bucket, the run queue, Idempotency-Key claims, and patrol figures where the city has them.

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

import functools
import json
import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from vigia import settings
from vigia.adapters import aws
from vigia.indicators.facts import (
    DeliveryCounts,
    PatrolDay,
    SurveyTally,
    alert_facts,
    delivery_counts,
    patrol_day,
    survey_tallies,
)
from vigia.indicators.frame import CityFrame, frame_from_pack
from vigia.indicators.service import DayRead, StoredCell
from vigia.indicators.stats import CellStats
from vigia.indicators.table import Row

if TYPE_CHECKING:
    from vigia.city import CityPack
    from vigia.patrol.service import PatrolStore

_log = logging.getLogger(__name__)
_SER, _DES = TypeSerializer(), TypeDeserializer()
RUN_SK = "#run"
LEDGER = ("#ledger", "nightly")
BATCH = 25  # BatchWriteItem's limit

_ALERT_FIELDS = (
    "pk", "sk", "type", "silent", "status", "created_at", "local_date", "block_id", "quadrant_id",
    "dispatched_at", "assigned_at", "on_scene_at", "resolved_at", "false_alarm_at", "cancelled_at",
    "dispatch_time_s", "response_time_s", "met_target",
)  # fmt: skip


def _plain(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _DES.deserialize(v) for k, v in item.items()}


def _item(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _SER.serialize(v) for k, v in values.items() if v is not None}


def _projection(fields: Sequence[str]) -> tuple[str, dict[str, str]]:
    names = {f"#f{i}": name for i, name in enumerate(fields)}
    return ", ".join(names), names


def _query(**kwargs: Any) -> Iterator[dict[str, Any]]:
    """Every page of a Query (the raw responses, so callers can count what DynamoDB read)."""
    dynamodb = aws.client("dynamodb")
    while True:
        page = dynamodb.query(**kwargs)
        yield page
        if "LastEvaluatedKey" not in page:
            return
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


# ---------------------------------------------------------------- reading a day
class DynamoAlertDays:
    """A local day's alerts: one Query on the Alerts table's by_local_date index (never a Scan), then one
    Query per non-silent alert on the Deliveries table for its sirens and neighbour messages."""

    def __init__(self, frame: CityFrame) -> None:
        self.frame = frame

    def alerts_on(self, day: date) -> DayRead:
        s = settings.get()
        projection, names = _projection(_ALERT_FIELDS)
        read = 0
        alerts = []
        for page in _query(
            TableName=s.alerts_table,
            IndexName="by_local_date",
            KeyConditionExpression="#d = :d",
            ExpressionAttributeNames={**names, "#d": "local_date"},
            ExpressionAttributeValues={":d": {"S": day.isoformat()}},
            ProjectionExpression=projection,
        ):
            read += int(page.get("ScannedCount", 0))
            for raw in page.get("Items", []):
                facts = alert_facts(_plain(raw), response_target_s=self.frame.response_target_s)
                if facts is None:
                    continue
                if not (facts.silent or self.frame.type_info(facts.type).silent):
                    counts, delivered = self._deliveries(facts.alert_id)  # a silent alert's never are read
                    read += delivered
                    facts = replace(
                        facts,
                        sirens_sounded=counts.sirens_sounded,
                        neighbour_messages=counts.neighbour_messages,
                    )
                alerts.append(facts)
        return DayRead(alerts, read)

    @staticmethod
    def _deliveries(alert_id: str) -> tuple[DeliveryCounts, int]:
        projection, names = _projection(("kind", "target", "status"))
        rows: list[dict[str, Any]] = []
        read = 0
        for page in _query(
            TableName=settings.get().deliveries_table,
            KeyConditionExpression="pk = :a",
            ExpressionAttributeValues={":a": {"S": alert_id}},
            ProjectionExpression=projection,
            ExpressionAttributeNames=names,
        ):
            read += int(page.get("ScannedCount", 0))
            rows.extend(_plain(i) for i in page.get("Items", []))
        return delivery_counts(rows), read


# ---------------------------------------------------------------- the indicators table
class DynamoIndicatorsStore:
    @property
    def table(self) -> str:
        return settings.get().indicators_table

    def replace_day(self, day: str, rows: Sequence[Row], run: Mapping[str, Any]) -> None:
        stale = set(self._keys(day)) - {r.sk for r in rows} - {RUN_SK}
        puts = [
            {
                "PutRequest": {
                    "Item": _item(
                        {
                            "pk": day,
                            "sk": r.sk,
                            "kind": "row" if r.listed else "sealed",  # sealed: never read as a row
                            "zone_level": r.zone_level,
                            "zone": r.zone,
                            "type": r.type,
                            "row": json.dumps(dict(r.published), ensure_ascii=False, separators=(",", ":")),
                            "stats": r.stats.to_json(),
                        }
                    )
                }
            }
            for r in rows
        ]
        deletes = [{"DeleteRequest": {"Key": _item({"pk": day, "sk": sk})}} for sk in sorted(stale)]
        self._batch_write(puts + deletes)
        aws.client("dynamodb").put_item(
            TableName=self.table,
            Item=_item(
                {"pk": day, "sk": RUN_SK, "kind": "run", "data": json.dumps(dict(run), sort_keys=True)}
            ),
        )

    def _keys(self, day: str) -> Iterator[str]:
        for page in _query(
            TableName=self.table,
            KeyConditionExpression="pk = :d",
            ExpressionAttributeValues={":d": {"S": day}},
            ProjectionExpression="sk",
        ):
            for item in page.get("Items", []):
                yield item["sk"]["S"]

    def _batch_write(self, requests: list[dict[str, Any]]) -> None:
        dynamodb = aws.client("dynamodb")
        for start in range(0, len(requests), BATCH):
            pending: dict[str, Any] = {self.table: requests[start : start + BATCH]}
            for attempt in range(8):
                left = dynamodb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
                if not left:
                    break
                pending = left
                time.sleep(min(0.05 * 2**attempt, 2.0))  # throttled: back off, then resend what is left
            else:
                raise RuntimeError(f"IndicatorsTable kept refusing {len(pending[self.table])} writes")

    def published(self, day: str, *, zone: str | None, type_: str | None) -> list[dict[str, Any]]:
        if zone is not None and type_ is not None:
            found = aws.client("dynamodb").get_item(
                TableName=self.table,
                Key=_item({"pk": day, "sk": f"{zone}#{type_}"}),
                ProjectionExpression="#r, #k",
                ExpressionAttributeNames={"#r": "row", "#k": "kind"},
            )
            item = found.get("Item") or {}
            return [json.loads(item["row"]["S"])] if item.get("kind", {}).get("S") == "row" else []
        rows = []
        for item in self._rows(day, zone, ("kind", "type", "row")):
            if item.get("kind") == "row" and (type_ is None or item.get("type") == type_):
                rows.append(json.loads(item["row"]))
        return rows

    def cells(self, day: str, zone: str) -> list[StoredCell]:
        return [
            StoredCell(
                i["zone_level"],
                i["zone"],
                i["type"],
                CellStats.from_json(i["stats"]),
                published=json.loads(i.get("row") or "{}"),
                listed=i["kind"] == "row",
            )
            for i in self._rows(day, zone, ("kind", "zone_level", "zone", "type", "stats", "row"))
            if i.get("kind") in ("row", "sealed")
        ]

    def _rows(self, day: str, zone: str | None, fields: Sequence[str]) -> Iterator[dict[str, Any]]:
        projection, names = _projection(fields)
        condition, values = "pk = :d", {":d": {"S": day}}
        if zone is not None:
            condition += " AND begins_with(sk, :z)"
            values[":z"] = {"S": f"{zone}#"}
        for page in _query(
            TableName=self.table,
            KeyConditionExpression=condition,
            ExpressionAttributeValues=values,
            ProjectionExpression=projection,
            ExpressionAttributeNames=names,
        ):
            for raw in page.get("Items", []):
                yield _plain(raw)

    def run_record(self, day: str) -> dict[str, Any] | None:
        found = aws.client("dynamodb").get_item(TableName=self.table, Key=_item({"pk": day, "sk": RUN_SK}))
        return json.loads(found["Item"]["data"]["S"]) if "Item" in found else None

    def last_completed(self) -> date | None:
        found = aws.client("dynamodb").get_item(
            TableName=self.table, Key=_item({"pk": LEDGER[0], "sk": LEDGER[1]}), ConsistentRead=True
        )
        value = found.get("Item", {}).get("last_completed", {}).get("S")
        return date.fromisoformat(value) if value else None

    def mark_completed(self, day: date, at: str) -> None:
        """Moves the ledger forward to `day` (never back: a slower, older run cannot undo a newer one)."""
        try:
            aws.client("dynamodb").update_item(
                TableName=self.table,
                Key=_item({"pk": LEDGER[0], "sk": LEDGER[1]}),
                UpdateExpression="SET last_completed = :d, updated_at = :t",
                ConditionExpression="attribute_not_exists(last_completed) OR last_completed < :d",
                ExpressionAttributeValues={":d": {"S": day.isoformat()}, ":t": {"S": at}},
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise


# ---------------------------------------------------------------- exports, queue, claims
class S3Exports:
    def put(self, key: str, body: bytes, content_type: str) -> None:
        aws.client("s3").put_object(
            Bucket=settings.get().exports_bucket, Key=key, Body=body, ContentType=content_type
        )


class SqsRunQueue:
    def enqueue(self, run_id: str, days: Sequence[str]) -> None:
        sqs = aws.client("sqs")
        url = settings.get().indicator_runs_queue_url
        for start in range(0, len(days), 10):
            entries = [
                {"Id": str(n), "MessageBody": json.dumps({"run_id": run_id, "date": day})}
                for n, day in enumerate(days[start : start + 10])
            ]
            failed = sqs.send_message_batch(QueueUrl=url, Entries=entries).get("Failed") or []
            if failed:
                raise RuntimeError(
                    f"{len(failed)} indicator runs could not be queued: {failed[0].get('Code')}"
                )


class DynamoClaims:
    """Idempotency-Key claims for POST /v1/indicator-runs, in the shared IdempotencyTable (TTL a day)."""

    TTL_S = 24 * 3600

    def claim(self, key: str, request_hash: str, resource_id: str) -> tuple[str, str] | None:
        s = settings.get()
        dynamodb = aws.client("dynamodb")
        pk = f"indicator-runs#{key}"
        try:
            dynamodb.put_item(
                TableName=s.idempotency_table,
                Item=_item(
                    {
                        "pk": pk,
                        "request_hash": request_hash,
                        "resource_id": resource_id,
                        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                        "expires_at": int(time.time()) + self.TTL_S,
                    }
                ),
                ConditionExpression="attribute_not_exists(pk)",
            )
            return None
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
        found = dynamodb.get_item(TableName=s.idempotency_table, Key=_item({"pk": pk}), ConsistentRead=True)
        item = _plain(found.get("Item") or {})
        return str(item.get("request_hash", "")), str(item.get("resource_id", ""))


# ---------------------------------------------------------------- patrols and surveys, where present
class PatrolFigures:
    """Dosage (schedule vs check-ins) and perception surveys of a day, read through the patrol store.

    "Where present": a city without hot-spot patrols, a day without a schedule, or a stack without the
    patrol table gives None / no surveys, and the indicator columns stay empty.
    """

    def __init__(self, frame: CityFrame, patrols: Callable[[], PatrolStore]) -> None:
        self.frame = frame
        self._patrols = patrols  # built on first use, inside the "where present" guard

    def patrol_day(self, day: date) -> PatrolDay | None:
        from vigia.patrol.checkins import dosage

        try:
            store = self._patrols()
            schedule = store.schedule(day.isoformat())
            if schedule is None:
                return None
            return patrol_day(dosage(schedule, store.checkins(day.isoformat())))
        except Exception as error:
            if not _absent(error):
                raise
            _log.info("no patrol figures", extra={"date": day.isoformat(), "reason": type(error).__name__})
            return None

    def surveys_on(self, day: date) -> dict[str, SurveyTally]:
        from zoneinfo import ZoneInfo

        from vigia.patrol.surveys import iso_week

        zone = ZoneInfo(self.frame.time_zone)
        try:
            found = self._patrols().surveys(iso_week(day))
        except Exception as error:
            if not _absent(error):
                raise
            return {}
        taken = [(s.quadrant_id, s.answers) for s in found if s.at.astimezone(zone).date() == day]
        return survey_tallies(taken, self.frame.questions)


def _absent(error: Exception) -> bool:
    """The patrol table does not exist in this stack (or this function may not read it)."""
    text = f"{type(error).__name__} {error}"
    return any(m in text for m in ("ResourceNotFound", "AccessDenied", "TableDoesNotExist", "does not exist"))


# ---------------------------------------------------------------- wiring
@dataclass(frozen=True)
class IndicatorPorts:
    """Everything the indicator handlers hand to vigia.indicators.service, built on the city pack."""

    frame: CityFrame
    alerts: DynamoAlertDays
    patrol: PatrolFigures
    store: DynamoIndicatorsStore
    sink: S3Exports
    queue: SqsRunQueue
    claims: DynamoClaims


@functools.lru_cache(maxsize=4)
def city_frame(pack: CityPack) -> CityFrame:
    """The indicators' view of the city pack (computed once per pack)."""
    return frame_from_pack(pack)
