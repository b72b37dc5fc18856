"""Nightly indicators over HTTP on the local stack: an admin asks for a day, an analyst reads it."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta

import pytest

from infra.local.launch import ROOT, stack_environment
from tests.support import godoy_cruz_pack
from tests.support.alert_items import stored_alert, wire
from vigia import clock

pytestmark = pytest.mark.e2e

DAY = date(2025, 6, 17)  # a past day no other test writes alerts on


def seed_day(local_stack, pack, count: int = 7) -> None:
    """`count` resolved robberies on one block of Q-03 on DAY, as intake and the lifecycle leave them."""
    dynamodb = local_stack.aws("dynamodb")
    table = local_stack.outputs["Resources"]["AlertsTable"]
    block = next(b for b in pack.blocks.values() if b.quadrant_id == "Q-03")
    noon = datetime.combine(DAY, datetime.min.time(), pack.zone_info) + timedelta(hours=12)
    for n in range(count):
        created = noon.astimezone(UTC) + timedelta(minutes=7 * n)
        response = 300 + 20 * n
        dynamodb.put_item(
            TableName=table,
            Item=wire(
                stored_alert(
                    block,
                    created,
                    pack.zone_info,
                    sender_id=f"e2e-indicators-{n}",
                    on_scene_at=clock.iso(created + timedelta(seconds=response)),
                    response_time_s=response,
                    met_target=response <= 420,
                    local_date=DAY.isoformat(),
                )
            ),
        )


def exported(local_stack, name: str) -> bytes:
    s3 = local_stack.aws("s3")
    bucket = local_stack.outputs["Resources"]["ExportsBucket"]
    return s3.get_object(Bucket=bucket, Key=f"indicators/godoy-cruz/{DAY.isoformat()}/{name}")["Body"].read()


def test_an_admin_runs_a_past_day_and_an_analyst_reads_its_city_totals(local_stack):
    pack = godoy_cruz_pack()
    seed_day(local_stack, pack)
    admin, analyst = local_stack.client("admin"), local_stack.client("analyst")

    queued = admin.post(
        "/v1/indicator-runs", json={"date": DAY.isoformat()}, headers={"Idempotency-Key": "e2e-indicators"}
    )
    assert queued.status_code == 202, queued.text
    assert queued.json()["dates"] == [DAY.isoformat()]

    query = {"from": DAY.isoformat(), "to": DAY.isoformat(), "zone": "city", "type": "all"}

    def city_totals():
        answer = analyst.get("/v1/indicators", params=query)
        assert answer.status_code == 200, answer.text
        return answer.json()["items"]

    (item,) = local_stack.wait_for(city_totals, timeout=30)
    assert item["count"] == 7
    assert item["response_time_median_s"] == 360.0  # 300…420 s in 20 s steps
    assert item["rate_per_100k"] == round(7 * 100_000 / pack.population, 2)
    # `all` covers the public types only: silent ones are published apart, a whole month at a time
    assert item["iccs"] == "0201;0401;0501;0504"

    files = {name: exported(local_stack, name) for name in ("indicators.csv", "indicators.json", "feed.json")}
    assert len(json.loads(files["feed.json"])["alerts"]) == 7
    assert b"e2e-indicators" not in files["feed.json"]  # no sender in the open feed

    # `make indicators DATE=…` on the same stack: the same function, the same bytes.
    again = subprocess.run(
        [sys.executable, "-m", "infra.tools.indicators", "--date", DAY.isoformat()],
        cwd=ROOT,
        env=stack_environment(local_stack.local_dir, {}),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert again.returncode == 0, again.stderr
    header, line = again.stdout.splitlines()  # the tool's table: nothing else on stdout
    assert header.split()[:4] == ["date", "alerts", "items", "read"]
    assert line.split()[:2] == [DAY.isoformat(), "7"]
    assert {name: exported(local_stack, name) for name in files} == files

    citizen = local_stack.client("citizen").get("/v1/indicators", params=query)
    assert citizen.status_code == 403
