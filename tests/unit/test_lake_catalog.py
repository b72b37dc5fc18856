"""The lake's one definition (vigia/lake/tables.py) is what the Glue catalog, the Parquet files, `make sql`'s
views, the docs and the zips say: each read here and compared with it."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from infra.local.engine.template import load_template, translate
from infra.tools import package
from infra.tools.lake_sql import connect
from vigia.lake.parquet import write_table
from vigia.lake.tables import DAILY, GLUE_TYPES, TABLES, partition_key

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def translated() -> dict[str, Any]:
    return translate()


def _of_type(cfn: dict[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in cfn["Resources"].items() if r["Type"] == type_}


def test_every_lake_table_is_one_glue_table_with_exactly_its_columns_and_partition_keys(translated) -> None:
    glue = {
        r["Properties"]["TableInput"]["Name"]: r["Properties"]
        for r in _of_type(translated, "AWS::Glue::Table").values()
    }

    assert sorted(glue) == sorted(TABLES)
    for name, table in TABLES.items():
        given = glue[name]["TableInput"]
        columns = [(c["Name"], c["Type"]) for c in given["StorageDescriptor"]["Columns"]]
        keys = [(c["Name"], c["Type"]) for c in given["PartitionKeys"]]
        assert columns == [(c.name, GLUE_TYPES[c.type]) for c in table.columns], name
        assert keys == [(c.name, GLUE_TYPES[c.type]) for c in table.partition_keys], name
        serde = given["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"]
        assert serde == "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
        assert given["StorageDescriptor"]["Location"] == {"Fn::Sub": f"s3://${{LakeBucket}}/lake/{name}/"}
        assert glue[name]["DatabaseName"] == {"Ref": "LakeDatabase"}
        if name in DAILY:  # partitions found by projection, where the export writes them
            assert given["Parameters"]["storage.location.template"] == {
                "Fn::Sub": f"s3://${{LakeBucket}}/lake/{name}/city=${{!city}}/date=${{!date}}/"
            }
            assert (
                partition_key(name, "c", "2026-03-10") == f"lake/{name}/city=c/date=2026-03-10/part-0.parquet"
            )


def test_the_athena_workgroup_encrypts_results_in_the_lake_bucket_caps_bytes_and_enforces_it(
    translated,
) -> None:
    (workgroup,) = _of_type(translated, "AWS::Athena::WorkGroup").values()
    config = workgroup["Properties"]["WorkGroupConfiguration"]

    assert config["EnforceWorkGroupConfiguration"] is True
    assert config["BytesScannedCutoffPerQuery"] == {"Ref": "LakeQueryBytesLimit"}
    results = config["ResultConfiguration"]
    assert results["OutputLocation"] == {"Fn::Sub": "s3://${LakeBucket}/athena-results/"}
    assert results["EncryptionConfiguration"]["EncryptionOption"] in ("SSE_S3", "SSE_KMS")
    assert int(translated["Parameters"]["LakeQueryBytesLimit"]["Default"]) >= 10 * 1024 * 1024


def test_only_the_lake_functions_run_the_lake_zip_and_the_export_runs_after_the_indicators() -> None:
    sam = load_template()
    default = sam["Globals"]["Function"]["CodeUri"]
    functions = {
        k: r["Properties"] for k, r in sam["Resources"].items() if r["Type"] == "AWS::Serverless::Function"
    }
    lake = {k for k, p in functions.items() if p.get("CodeUri", default) == ".build/lake.zip"}

    assert default == ".build/vigia.zip"
    assert "LakeExportFunction" in lake
    assert "ApiFunction" not in lake
    assert lake <= {"LakeExportFunction", "IngestDatasetFunction"}
    nightly = functions["NightlyIndicatorsFunction"]["Events"]["Nightly"]["Properties"]
    export = functions["LakeExportFunction"]["Events"]["Nightly"]["Properties"]
    hour = lambda p: int(p["ScheduleExpression"].split()[1])  # noqa: E731  cron(m h …)
    assert export["ScheduleExpressionTimezone"] == nightly["ScheduleExpressionTimezone"]
    assert hour(export) > hour(nightly)


def test_the_main_zip_ships_neither_pyarrow_nor_duckdb_and_the_lake_zip_only_pyarrow_and_openpyxl() -> None:
    main = " ".join(package.requirement_args(lake=False))
    lake = package.requirement_args(lake=True)

    main_pins = (ROOT / "requirements.txt").read_text().lower()
    assert "pyarrow" not in main_pins
    assert "duckdb" not in main_pins
    assert "requirements-lake" not in main
    assert [a for a in lake if "==" in a] == ["pyarrow==26.0.1", "openpyxl==3.1.5", "et-xmlfile==2.0.0"]
    assert not any("duckdb" in a for a in lake)


def test_a_file_holds_the_tables_columns_in_order_and_reads_back_through_duckdb_views(tmp_path: Path) -> None:
    key = tmp_path / partition_key("alerts", "godoy-cruz", "2026-03-10")
    key.parent.mkdir(parents=True)
    received = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
    sink = io.BytesIO()
    write_table(
        "alerts", [{"alert_id": "A-1", "received_at": received, "type": "robbery", "alerts": 1}], sink
    )
    key.write_bytes(sink.getvalue())

    assert pq.read_schema(io.BytesIO(sink.getvalue())).names == list(TABLES["alerts"].column_names)
    db = connect(tmp_path)
    got = db.execute("SELECT alert_id, received_at, city, date, alerts FROM alerts").fetchall()
    assert [(a, r.replace(tzinfo=UTC), c, str(d), n) for a, r, c, d, n in got] == [
        ("A-1", received, "godoy-cruz", "2026-03-10", 1)
    ]
    # every table answers, with the catalog's columns, files or none
    for name, table in TABLES.items():
        described = [row[0] for row in db.execute(f'DESCRIBE "{name}"').fetchall()]
        assert described == [*table.column_names, *(c.name for c in table.partition_keys)]


def test_a_key_that_is_no_column_is_refused() -> None:
    with pytest.raises(ValueError, match="sender_id"):
        write_table("alerts", [{"alert_id": "A-1", "sender_id": "resident-1"}], io.BytesIO())


def test_the_docs_list_every_lake_table_and_column() -> None:
    text = (ROOT / "docs" / "observatory.md").read_text()
    lake = text.split("## The lake", 1)[1].split("\n## ", 1)[0]
    for name, table in TABLES.items():
        section = re.search(rf"^### `{name}`\n(.*?)(?=^### |\Z)", lake, re.S | re.M)
        assert section, f"docs/observatory.md 'The lake' has no ### `{name}`"
        listed = re.findall(r"^\| `(\w+)` \|", section.group(1), re.M)
        assert listed == [*table.column_names, *(c.name for c in table.partition_keys)], name


def test_writing_parquet_loads_no_part_of_pyarrow_the_lake_zip_leaves_out() -> None:
    code = (
        "import io, sys\n"
        "from vigia.lake.parquet import write_table\n"
        "write_table('alerts', [{'alert_id': 'A-1'}], io.BytesIO())\n"
        "print('\\n'.join(line.split()[-1] for line in open('/proc/self/maps') if 'pyarrow' in line))\n"
        "print('\\n'.join(m.replace('.', '/') + '.' for m in sys.modules if m.startswith('pyarrow')))\n"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout

    for line in loaded.splitlines():
        path = "pyarrow/" + line.split("/pyarrow/", 1)[1] if "/pyarrow/" in line else line
        assert package.left_out(path) is None, f"{path} is loaded but left out of the lake zip"
