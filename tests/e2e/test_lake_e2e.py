"""The lake on the local stack: the stack starts with its Glue catalog and Athena workgroup,
`make backfill-lake` writes a past day's partitions, and `make sql` reads them with the catalog's names."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime, timedelta

import pytest

from infra.local.launch import ROOT, stack_environment
from tests.support import godoy_cruz_pack
from tests.support.alert_items import stored_alert, wire
from vigia.lake.tables import TABLES

pytestmark = pytest.mark.e2e

# A past day no other test writes alerts on: not the e2e journeys' patrol weeks (four weeks before
# 2025-07-16), their indicators day (2025-07-23) nor test_indicators_e2e's (2025-06-17)
DAY = date(2024, 11, 5)


def tool(local_stack, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        env=stack_environment(local_stack.local_dir, {}),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_the_stack_has_the_catalog_and_a_backfilled_day_is_read_back_with_make_sql(local_stack):
    glue = local_stack.aws("glue")
    database = local_stack.outputs["Resources"]["LakeDatabase"]
    tables = {t["Name"]: t for t in glue.get_tables(DatabaseName=database)["TableList"]}
    assert sorted(tables) == sorted(TABLES)
    workgroup = local_stack.aws("athena").get_work_group(
        WorkGroup=local_stack.outputs["Resources"]["LakeWorkGroup"]
    )
    assert workgroup["WorkGroup"]["Configuration"]["EnforceWorkGroupConfiguration"] is True
    pack = godoy_cruz_pack()
    block = next(b for b in pack.blocks.values() if b.quadrant_id == "Q-03")
    noon = datetime.combine(DAY, datetime.min.time(), pack.zone_info) + timedelta(hours=12)
    for n, type_ in enumerate(["robbery"] * 4 + ["domestic_violence"] * 2):
        created = noon.astimezone(UTC) + timedelta(minutes=5 * n)
        local_stack.aws("dynamodb").put_item(
            TableName=local_stack.outputs["Resources"]["AlertsTable"],
            Item=wire(stored_alert(block, created, pack.zone_info, type_, sender_id=f"e2e-lake-{n}")),
        )

    backfill = tool(
        local_stack, "infra.tools.backfill_lake", "--from", DAY.isoformat(), "--to", DAY.isoformat()
    )

    assert backfill.returncode == 0, backfill.stderr
    header, line = backfill.stdout.splitlines()
    assert header.split() == ["date", "alerts", "incidents", "patrol", "surveys", "indicators"]
    # 4 robberies and one silent quadrant row; the day's indicators were never computed
    assert line.split()[:3] == [DAY.isoformat(), "5", "4"]
    assert line.endswith("not computed")

    query = (
        "SELECT quadrant_id, silent, sum(alerts) AS n FROM alerts "
        "WHERE date = DATE '2024-11-05' GROUP BY ALL ORDER BY silent"  # DAY
    )
    answer = tool(local_stack, "infra.tools.lake_sql", "--query", query)

    assert answer.returncode == 0, answer.stderr
    assert "mirrored s3://" in answer.stderr
    lines = answer.stdout.splitlines()
    assert lines[0].split() == ["quadrant_id", "silent", "n"]
    assert [row.split() for row in lines[2:4]] == [["Q-03", "False", "4"], ["Q-03", "True", "2"]]
    assert lines[-1] == "(2 rows)"
    assert (
        local_stack.local_dir / "lake" / "alerts" / "city=godoy-cruz" / f"date={DAY}" / "part-0.parquet"
    ).exists()
