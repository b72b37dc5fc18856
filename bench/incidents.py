"""Incident figures on the emulator (moto's ThreadedMotoServer over HTTP, as `make run` uses it):

- the operators' queue (GET /v1/alerts) over 10,000 open alerts: first page, a filtered page, every page;
- AWS API calls per lifecycle action and per review of a resident (target <= 3), counted with a botocore hook.

    python -m bench incidents        # BENCH_INCIDENTS_OPEN=2000 for a quicker run
"""

from __future__ import annotations

import json
import os
import statistics
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench._emulator import CallCounter

ROOT = Path(__file__).resolve().parents[1]
OPEN_ALERTS = int(os.environ.get("BENCH_INCIDENTS_OPEN", "10000"))
TARGET_CALLS = 3
REPEATS = 5


def _provision(endpoint: str) -> dict[str, Any]:
    import boto3

    from infra.local.engine.functions import function_specs, merged_environment
    from infra.local.engine.intrinsics import Pseudo, Resolver, resolve_parameters
    from infra.local.engine.resources import Env, provision
    from infra.local.engine.template import translate

    cfn = translate()
    pseudo = Pseudo(stack_name="vigia-bench")
    resolver = Resolver(cfn, resolve_parameters(cfn.get("Parameters") or {}), pseudo)
    env = Env(pseudo=pseudo, client=lambda s: boto3.client(s, endpoint_url=endpoint), aws_endpoint=endpoint)
    provisioned = provision(cfn, resolver, env)
    specs = function_specs(cfn, resolver)
    os.environ.update(merged_environment(specs.values()))
    os.environ["CITY_PACK_DIR"] = str(ROOT / "infra/cities/godoy-cruz")
    os.environ["SCHEMAS_DIR"] = str(ROOT / "schemas")
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    return {"resources": provisioned.physical_ids(), "specs": specs}


def _police_officer(pool_id: str, endpoint: str) -> str:
    """A police account of the city (a unit's crew must be one); its user id."""
    import boto3

    idp = boto3.client("cognito-idp", endpoint_url=endpoint)
    user = idp.admin_create_user(
        UserPoolId=pool_id,
        Username="bench-officer@city.example",
        UserAttributes=[{"Name": "email", "Value": "bench-officer@city.example"}],
        MessageAction="SUPPRESS",
    )["User"]
    idp.admin_add_user_to_group(UserPoolId=pool_id, Username="bench-officer@city.example", GroupName="police")
    return next(a["Value"] for a in user["Attributes"] if a["Name"] == "sub")


def _seed_open_alerts(table_name: str, count: int, endpoint: str) -> None:
    """`count` open alerts of every type and quadrant, spread over the last hours (one batch writer)."""
    import boto3

    from vigia import clock, runtime

    pack = runtime.city_pack()
    types = [t for t in pack.alert_types.values() if not t.silent]
    blocks = list(pack.blocks.values())
    start = clock.now().timestamp() - count
    table = boto3.resource("dynamodb", endpoint_url=endpoint).Table(table_name)
    with table.batch_writer() as batch:
        for i in range(count):
            alert_type = types[i % len(types)]
            block = blocks[(i * 7) % len(blocks)]
            created = clock.iso(clock.now().fromtimestamp(start + i, tz=clock.now().tzinfo))
            batch.put_item(
                Item={
                    "pk": f"BENCH{i:08d}",
                    "sk": "ALERT",
                    "type": alert_type.code,
                    "silent": False,
                    "priority": alert_type.priority,
                    "sender_id": f"bench-{i % 500}",
                    "location": {
                        "lat": Decimal(str(round(block.centroid[0], 6))),
                        "lon": Decimal(str(round(block.centroid[1], 6))),
                    },
                    "block_id": block.block_id,
                    "quadrant_id": block.quadrant_id,
                    "status": ("received", "dispatched", "acknowledged")[i % 3],
                    "created_at": created,
                    "local_date": created[:10],
                    "queue_status": "open",
                    "queue_order": f"{alert_type.priority:02d}#{created}",
                }
            )


def _timed(fn: Any, repeats: int = REPEATS) -> tuple[float, Any]:
    """Median wall time in ms over `repeats` runs, and the last result."""
    times, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def run() -> None:
    import logging

    from moto.server import ThreadedMotoServer

    from infra.local.launch import free_ports

    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
            "POWERTOOLS_METRICS_NAMESPACE": "Vigia",
            "POWERTOOLS_METRICS_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": "ERROR",
        }
    )
    os.environ.pop("VIGIA_OUTBOX_PATH", None)
    import warnings

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the emulator's access log
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    counter = CallCounter()
    counter.install()
    (port,) = free_ports(1)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        _run(f"http://127.0.0.1:{port}", counter)
    finally:
        server.stop()


def _run(endpoint: str, counter: CallCounter) -> None:
    stack = _provision(endpoint)
    from vigia import runtime

    runtime.reset()
    from infra.local.engine.functions import LambdaContext
    from vigia.handlers.api import lambda_handler

    context = LambdaContext(stack["specs"]["ApiFunction"])
    pack = runtime.city_pack()

    def call(
        method: str, path: str, body: Any = None, claims: dict[str, str] | None = None, **query: str
    ) -> Any:
        request: dict[str, Any] = {
            "http": {"method": method, "path": path},
            "requestId": "bench",
            "stage": "$default",
            "routeKey": "ANY /v1/{proxy+}",
        }
        if claims:
            request["authorizer"] = {"jwt": {"claims": claims}}
        event = {
            "version": "2.0",
            "rawPath": path,
            "rawQueryString": "&".join(f"{k}={v}" for k, v in query.items()),
            "queryStringParameters": query or None,
            "headers": {"content-type": "application/json"},
            "requestContext": request,
            "body": json.dumps(body) if body is not None else None,
            "isBase64Encoded": False,
        }
        answer = lambda_handler(event, context)
        return answer["statusCode"], json.loads(answer["body"] or "null")

    operator = {"sub": "bench-op", "cognito:groups": "[operator]"}
    officer = {"sub": _police_officer(stack["resources"]["UserPool"], endpoint), "cognito:groups": "[police]"}

    # ---------------------------------------------------------------- the queue over 10,000 open alerts
    started = time.perf_counter()
    _seed_open_alerts(stack["resources"]["AlertsTable"], OPEN_ALERTS, endpoint)
    print(f"seeded {OPEN_ALERTS:,} open alerts in {time.perf_counter() - started:.1f} s")
    first_ms, (status, page) = _timed(lambda: call("GET", "/v1/alerts", claims=operator, limit="50"))
    assert status == 200, page
    print(f"queue, first page of 50 (by priority then age): median {first_ms:.0f} ms over {REPEATS} runs")
    rare = "fire"
    filtered_ms, (_, page) = _timed(
        lambda: call("GET", "/v1/alerts", claims=operator, limit="50", type=rare, zone="Q-03")
    )
    shown = len(page["items"])
    print(f"queue, first page filtered type={rare}&zone=Q-03 ({shown} items): median {filtered_ms:.0f} ms")

    def walk() -> int:
        seen, cursor = 0, None
        while True:
            extra = {"cursor": cursor} if cursor else {}
            _, body = call("GET", "/v1/alerts", claims=operator, limit="200", **extra)
            seen += len(body["items"])
            cursor = body["next_cursor"]
            if not cursor:
                return seen

    counter.calls.clear()
    walk_ms, seen = _timed(walk, repeats=1)
    queries = counter.calls.get("dynamodb.Query", 0)
    print(f"queue, every page of 200 ({seen:,} alerts, {queries} Queries, 0 Scans): {walk_ms:.0f} ms")
    assert "dynamodb.Scan" not in counter.calls

    # ---------------------------------------------------------------- AWS calls per action
    call("PUT", "/v1/units/GC-01/crew", {"user_ids": [officer["sub"]]}, operator)
    sender = "bench-sender"
    runtime.incidents().seed_crew("GC-02", [])
    import boto3

    boto3.resource("dynamodb", endpoint_url=endpoint).Table(stack["resources"]["ResidentsTable"]).put_item(
        Item={
            "pk": sender,
            "kind": "resident",
            "status": "approved",
            "phone": "+5492615550998",
            "created_at": "x",
        }
    )

    def fresh_alert(n: int, sender_id: str = "bench-x", type_: str = "robbery") -> str:
        alert_id = f"BENCHACT{n:04d}"
        from vigia import clock

        now = clock.iso(clock.now())
        block = next(iter(pack.blocks.values()))
        boto3.resource("dynamodb", endpoint_url=endpoint).Table(stack["resources"]["AlertsTable"]).put_item(
            Item={
                "pk": alert_id,
                "sk": "ALERT",
                "type": type_,
                "silent": False,
                "priority": 2,
                "sender_id": sender_id,
                "location": {"lat": Decimal("-32.92"), "lon": Decimal("-68.84")},
                "block_id": block.block_id,
                "quadrant_id": block.quadrant_id,
                "status": "received",
                "created_at": now,
                "local_date": now[:10],
                "queue_status": "open",
                "queue_order": f"02#{now}",
            }
        )
        return alert_id

    rows: list[tuple[str, int, str]] = []

    def measure(label: str, path: str, body: Any, claims: dict[str, str]) -> None:
        counter.calls.clear()
        status, answer = call("POST", path, body, claims)
        assert status == 200, (label, answer)
        detail = counter.detail()
        rows.append((label, sum(counter.calls.values()), detail))

    a = fresh_alert(1)
    for label, body, who in (
        ("acknowledge (operator)", {"action": "acknowledge"}, operator),
        ("assign GC-01 (operator; SMS to the car)", {"action": "assign", "unit_id": "GC-01"}, operator),
        ("en_route (police, own car)", {"action": "en_route"}, officer),
        ("on_scene (police, own car)", {"action": "on_scene"}, officer),
        ("resolve (police, own car)", {"action": "resolve"}, officer),
    ):
        measure(label, f"/v1/alerts/{a}/actions", body, who)
    b = fresh_alert(2)
    measure("assign GC-02", f"/v1/alerts/{b}/actions", {"action": "assign", "unit_id": "GC-02"}, operator)
    measure(
        "reassign to GC-03 (frees GC-02)",
        f"/v1/alerts/{b}/actions",
        {"action": "assign", "unit_id": "GC-03"},
        operator,
    )
    measure(
        "escalate (frees the car; CAD had it)", f"/v1/alerts/{b}/actions", {"action": "escalate"}, operator
    )
    d = fresh_alert(4, type_="suspicious_activity")
    measure("escalate (CAP Alert to the CAD)", f"/v1/alerts/{d}/actions", {"action": "escalate"}, operator)
    c = fresh_alert(3)
    measure(
        "cancel (operator; tells the dispatcher)", f"/v1/alerts/{c}/actions", {"action": "cancel"}, operator
    )
    for n in range(3):
        alert_id = fresh_alert(10 + n, sender)
        label = "false_alarm, 3rd strike (suspends, SMS)" if n == 2 else f"false_alarm, strike {n + 1}"
        measure(label, f"/v1/alerts/{alert_id}/actions", {"action": "false_alarm"}, operator)
    measure("reinstate a resident (SMS)", f"/v1/residents/{sender}/reinstate", {}, operator)
    measure("suspend a resident (SMS)", f"/v1/residents/{sender}/suspend", {"reason": "bench"}, operator)

    print(
        f"AWS calls per action (target <= {TARGET_CALLS}; the suspending false alarm reads the sender too):"
    )
    for label, total, detail in rows:
        flag = "" if total <= TARGET_CALLS else "  <- over target"
        print(f"  {label:<44} {total}{flag}  ({detail})")
