"""Nightly indicators: one night's run over a synthetic full-scale year of Godoy Cruz, then ten years.

Godoy Cruz at full scale: 16,350 registered residents on 887 blocks (18 per block on average, in
proportion to the block's population), about 100 alerts a day. The measured night is one such day,
with every alert's lifecycle and its deliveries (sirens, neighbour SMS, police, CAD); the history is
the Alerts table holding 1 year, then 10 years, of days like it. The claim under test: a night reads
the day's alerts through the by_local_date index, so its time and its items read do not grow with the
history. Figures only; nothing here passes or fails.

About the emulator: moto answers a Query by visiting every item of the table (it is a test double,
not a database), so as shipped its Query time grows with the table whatever the caller does. DynamoDB
reads the queried partition only. To time the nightly code rather than moto's loop, the bench gives
moto's Query a key lookup (`_index_queries_by_key`) and also prints moto's unindexed Query time for
the day's alerts, labelled as such. The emulator's objects are frozen out of Python's garbage
collector before each timed night (gc.freeze): otherwise a full collection walks every one of the ten
years' items and the night pays for the emulator's memory. The history items carry the keys and a
few fields only (moto keeps every attribute as Python objects; ten years of full items do not fit a
laptop's memory); the day computed is full-size. Deliveries are looked up by alert id (their table's
key), so only the measured day's are stored.
"""

from __future__ import annotations

import gc
import os
import random
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DAY = date(2026, 3, 10)
RESIDENTS = 16_350
ALERTS_PER_DAY = 100
TYPES = {  # share of the day's alerts
    "robbery": 0.30,
    "suspicious_activity": 0.28,
    "panic": 0.20,
    "medical_emergency": 0.12,
    "fire": 0.04,
    "domestic_violence": 0.06,
}


def _provision() -> dict[str, str]:
    import boto3

    from infra.local.engine.functions import function_specs, merged_environment
    from infra.local.engine.intrinsics import Pseudo, Resolver, resolve_parameters
    from infra.local.engine.resources import Env, provision
    from infra.local.engine.template import translate

    cfn = translate()
    pseudo = Pseudo(stack_name="vigia-bench")
    resolver = Resolver(cfn, resolve_parameters(cfn.get("Parameters") or {}), pseudo)
    provisioned = provision(cfn, resolver, Env(pseudo=pseudo, client=lambda s: boto3.client(s)))
    os.environ.update(merged_environment(function_specs(cfn, resolver).values()))
    os.environ["CITY_PACK_DIR"] = str(ROOT / "infra/cities/godoy-cruz")
    os.environ["SCHEMAS_DIR"] = str(ROOT / "schemas")
    return provisioned.physical_ids()


def _moto_table(name: str) -> Any:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    return dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].get_table(name)


def _index_queries_by_key(table: Any, index: str, attribute: str) -> dict[str, list[Any]]:
    """moto's Query visits every item; this one visits the queried partition, as DynamoDB does."""
    partitions: dict[str, list[Any]] = defaultdict(list)
    for item in table.all_items():
        if attribute in item.attrs:
            partitions[item.attrs[attribute].value].append(item)
    original = type(table).query

    def query(hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        if index_name == index:
            table.all_items = lambda: partitions.get(hash_key.value, [])
        elif index_name is None:
            table.all_items = lambda: list(table.items.get(hash_key, {}).values())
        try:
            return original(table, hash_key, *args, **kwargs)
        finally:
            table.__dict__.pop("all_items", None)

    table.query = query
    return partitions


def _index_base_queries(table: Any) -> None:
    original = type(table).query

    def query(hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        if index_name is None:
            table.all_items = lambda: list(table.items.get(hash_key, {}).values())
        try:
            return original(table, hash_key, *args, **kwargs)
        finally:
            table.__dict__.pop("all_items", None)

    table.query = query


def _unindex(table: Any) -> None:
    table.__dict__.pop("query", None)


# ---------------------------------------------------------------- the synthetic city
def _weighted(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _day_of_alerts(
    pack: Any, day: date, rng: random.Random
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """One full day: alert items with their lifecycle, and the deliveries their protocols made."""
    from vigia import clock

    blocks = list(pack.blocks.values())
    weights = [b.population for b in blocks]
    zone = pack.zone_info
    midnight = datetime.combine(day, datetime.min.time(), zone)
    alerts, deliveries = [], []
    for _n in range(rng.randint(ALERTS_PER_DAY - 15, ALERTS_PER_DAY + 15)):
        block = rng.choices(blocks, weights=weights)[0]
        type_ = _weighted(rng, TYPES)
        alert_type = pack.alert_types[type_]
        created = (midnight + timedelta(seconds=rng.uniform(0, 86_399))).astimezone(UTC)
        alert_id = clock.new_id(created)
        item: dict[str, Any] = {
            "pk": alert_id, "sk": "ALERT", "type": type_, "silent": alert_type.silent,
            "priority": alert_type.priority, "sender_id": f"resident-{rng.randrange(RESIDENTS)}",
            "location": {"lat": round(block.centroid.lat, 6), "lon": round(block.centroid.lon, 6)},
            "block_id": block.block_id, "quadrant_id": block.quadrant_id,
            "created_at": clock.iso(created), "local_date": day.isoformat(), "queue_status": "closed",
        }  # fmt: skip
        outcome = rng.random()
        if outcome < 0.06:
            item |= {"status": "cancelled", "cancelled_at": clock.iso(created + timedelta(seconds=50))}
        else:
            dispatch = rng.lognormvariate(4.3, 0.5)  # ~75 s median
            response = dispatch + rng.lognormvariate(5.4, 0.45)  # ~300 s median on scene
            item |= {
                "status": "false_alarm" if outcome < 0.12 else "resolved",
                "dispatched_at": clock.iso(created + timedelta(seconds=2)),
                "assigned_at": clock.iso(created + timedelta(seconds=dispatch)),
                "on_scene_at": clock.iso(created + timedelta(seconds=response)),
                "dispatch_time_s": round(dispatch, 1), "response_time_s": round(response, 1),
                "met_target": response <= pack.settings.response_target_s,
            }  # fmt: skip
        alerts.append(item)
        if alert_type.silent:
            continue  # the response team's messages: not counted, never read by the nightly job
        recipients = [("community_police", "sms", f"+54926155501{k}") for k in range(2)]
        if "neighbours" in alert_type.targets:
            residents = max(1, round(RESIDENTS * block.population / pack.population))
            recipients += [
                ("neighbours", "sms", f"+549261{rng.randrange(10**7):07d}") for _ in range(residents)
            ]
        if "sirens" in alert_type.targets:
            recipients += [("sirens", "siren", s.siren_id) for s in block.sirens]
        if "provincial_police" in alert_type.targets:
            recipients.append(("provincial_police", "webhook", "provincial_cad"))
        for target, channel, recipient in recipients:
            deliveries.append(
                {
                    "pk": alert_id, "sk": f"alert#{channel}#{recipient}", "kind": "alert",
                    "channel": channel, "target": target, "recipient": recipient,
                    "status": "sent" if rng.random() > 0.02 else "failed", "attempts": 1,
                    "created_at": item["created_at"], "updated_at": item["created_at"],
                }
            )  # fmt: skip
    return alerts, deliveries


def _put_full(table: Any, items: list[dict[str, Any]]) -> None:
    from decimal import Decimal

    from boto3.dynamodb.types import TypeSerializer

    serializer = TypeSerializer()

    def clean(value: Any) -> Any:
        if isinstance(value, float):
            return Decimal(str(value))
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        return value

    for item in items:
        table.put_item({k: serializer.serialize(clean(v)) for k, v in item.items()}, overwrite=True)


def _add_history(table: Any, after: int, days: int, rng: random.Random) -> int:
    """Slim alert items (keys, index keys, a few fields) for `days` days, from `after` + 1 days before DAY."""
    from moto.dynamodb.models.dynamo_type import DynamoType, Item

    sk = DynamoType({"S": "ALERT"})
    added = 0
    for offset in range(after + 1, after + days + 1):
        local = (DAY - timedelta(days=offset)).isoformat()
        for n in range(rng.randint(ALERTS_PER_DAY - 15, ALERTS_PER_DAY + 15)):
            attrs = {
                "pk": {"S": f"H{local}{n:04d}"},
                "sk": {"S": "ALERT"},
                "type": {"S": "robbery"},
                "local_date": {"S": local},
                "created_at": {"S": f"{local}T15:{n // 60 % 60:02d}:{n % 60:02d}.000Z"},
                "status": {"S": "resolved"},
                "block_id": {"S": "B-0001"},
                "quadrant_id": {"S": "Q-01"},
            }
            hash_key = DynamoType(attrs["pk"])
            table.items[hash_key][sk] = Item(hash_key, sk, attrs)
            added += 1
    return added


# ---------------------------------------------------------------- the measurement
class QueryCounter:
    def __init__(self, client: Any) -> None:
        self.queries = 0
        client.meta.events.register("before-call.dynamodb.Query", self._count)

    def _count(self, **_: Any) -> None:
        self.queries += 1


def _night(ports: Any, counter: QueryCounter) -> tuple[float, Any, int]:
    from vigia.indicators import service

    best, report, queries = float("inf"), None, 0
    for _ in range(3):
        before = counter.queries
        started = time.perf_counter()
        report = service.run_day(
            DAY, frame=ports.frame, alerts=ports.alerts, patrol=None, store=ports.store, sink=ports.sink,
            source="bench", now=datetime.now(UTC),
        )  # fmt: skip
        best = min(best, time.perf_counter() - started)
        queries = counter.queries - before
    return best, report, queries


def _moto_day_query(client: Any, table: str) -> float:
    started = time.perf_counter()
    client.query(
        TableName=table, IndexName="by_local_date", KeyConditionExpression="local_date = :d",
        ExpressionAttributeValues={":d": {"S": DAY.isoformat()}}, Select="COUNT",
    )  # fmt: skip
    return time.perf_counter() - started


def run() -> None:
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1", "POWERTOOLS_METRICS_NAMESPACE": "Vigia",
        }
    )  # fmt: skip
    os.environ.pop("AWS_ENDPOINT_URL", None)
    from moto import mock_aws

    with mock_aws():
        resources = _provision()
        from vigia import runtime
        from vigia.adapters import aws

        runtime.reset()
        pack = runtime.city_pack()
        ports = runtime.indicator_ports()
        client = aws.client("dynamodb")
        counter = QueryCounter(client)
        rng = random.Random(2026)

        alerts_table = _moto_table(resources["AlertsTable"])
        deliveries_table = _moto_table(resources["DeliveriesTable"])
        alerts, deliveries = _day_of_alerts(pack, DAY, rng)
        _put_full(alerts_table, alerts)
        _put_full(deliveries_table, deliveries)
        _index_base_queries(deliveries_table)
        _index_base_queries(_moto_table(resources["IndicatorsTable"]))
        public = sum(1 for a in alerts if not a["silent"])
        print(
            f"  the night computed: {DAY}, {len(alerts)} alerts ({public} non-silent), "
            f"{len(deliveries):,} deliveries; {RESIDENTS:,} residents on {len(pack.blocks)} blocks"
        )
        print(
            f"  {'history':<10}{'alerts in table':>16}{'time, best of 3':>17}{'items read':>12}"
            f"{'queries':>9}{'rows':>6}{'moto unindexed day query':>26}"
        )
        figures = {}
        history = 0
        for years, (after, days) in ((1, (0, 364)), (10, (364, 9 * 365))):
            history += _add_history(alerts_table, after, days, rng)
            _unindex(alerts_table)
            raw = _moto_day_query(client, resources["AlertsTable"])
            _index_queries_by_key(alerts_table, "by_local_date", "local_date")
            gc.collect()
            gc.freeze()  # the emulator's millions of objects are not the night's: keep them out of GC passes
            elapsed, report, queries = _night(ports, counter)
            gc.unfreeze()
            figures[years] = (elapsed, report.items_read)
            print(
                f"  {f'{years} year' + ('s' if years > 1 else ''):<10}{history + len(alerts):>16,}"
                f"{elapsed:>15.3f} s{report.items_read:>12,}{queries:>9}{report.rows:>6}{raw:>24.3f} s"
            )
        (t1, r1), (t10, r10) = figures[1], figures[10]
        print(f"  ratio 10 years / 1 year: time {t10 / t1:.2f}x, items read {r10 / r1:.2f}x"
              "  (moto's own unindexed Query grows with the table; DynamoDB's does not)")  # fmt: skip
